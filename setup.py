"""Build hook: compile the catalogs in locales/ into the package when it is built."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def compile_catalogs(target):
    """Compile every locales/<lang>/LC_MESSAGES/messages.po into `target`/<lang>/LC_MESSAGES/."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).parent.glob("locales/*/LC_MESSAGES/messages.po"):
        out = Path(target) / po.parent.parent.name / "LC_MESSAGES" / "messages.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as src, out.open("wb") as dest:
            write_mo(dest, read_po(src))


class BuildWithCatalogs(build_py):
    """build_py that also ships the compiled catalogs."""

    def run(self):
        super().run()
        compile_catalogs(Path(self.build_lib) / "village" / "translations")


setup(cmdclass={"build_py": BuildWithCatalogs})
