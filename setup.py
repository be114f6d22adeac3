"""Build hook: compile the catalogs in locales/ into the package when it is built.

The one place catalogs are compiled: a wheel's build (build_py) and `make catalogs`
(`python setup.py catalogs`, into the source tree) both run compile_catalogs. A source tree or
an editable install without compiled catalogs reads the .po files instead (village/i18n.py).
"""
from pathlib import Path

from setuptools import Command, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent


def compile_catalogs(target):
    """Compile every locales/<lang>/LC_MESSAGES/messages.po into `target`/<lang>/LC_MESSAGES/."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in HERE.glob("locales/*/LC_MESSAGES/messages.po"):
        out = Path(target) / po.parent.parent.name / "LC_MESSAGES" / "messages.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as src:
            catalog = read_po(src)
        with out.open("wb") as dest:
            write_mo(dest, catalog)


class BuildWithCatalogs(build_py):
    """build_py that also ships the compiled catalogs."""

    def run(self):
        """Build the package, then compile the catalogs into it."""
        super().run()
        compile_catalogs(Path(self.build_lib) / "village" / "translations")


class Catalogs(Command):
    """`python setup.py catalogs`: compile the catalogs into village/translations of this tree."""

    description = "compile locales/*/LC_MESSAGES/messages.po into village/translations"
    user_options = []

    def initialize_options(self):
        """No options."""

    def finalize_options(self):
        """No options."""

    def run(self):
        """Compile the catalogs next to the code."""
        compile_catalogs(HERE / "village" / "translations")


setup(cmdclass={"build_py": BuildWithCatalogs, "catalogs": Catalogs})
