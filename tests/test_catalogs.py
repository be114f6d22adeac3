"""Every shipped catalog is complete (no untranslated or fuzzy entry, placeholders kept) and found in every install mode."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent.parent / "locales"
CATALOGS = sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def load(path):
    with path.open("rb") as f:
        return read_po(f)


def test_zh_hans_and_ug_catalogs_exist():
    assert {p.parent.parent.name for p in CATALOGS} >= {"zh_Hans", "ug"}


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_message_is_translated_and_none_is_fuzzy(path):
    catalog = load(path)
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(s and s.strip() for s in strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"{len(untranslated)} untranslated in {path}: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {path}: {fuzzy[:20]}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_translations_keep_the_placeholders_of_their_source(path):
    wrong = []
    for message in load(path):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for s in strings:
            if s and set(PLACEHOLDER.findall(s)) != wanted:
                wrong.append(message.id)
    assert not wrong, f"placeholders differ in {path}: {wrong[:20]}"


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    """Return every string marked for translation in the code and templates (as pybabel extracts them)."""
    from babel.messages.frontend import CommandLineInterface

    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    root = Path(__file__).parent.parent
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(root / "babel.cfg"), "-k", "N_", "-k", "_l",
                                "-o", str(pot), str(root)])
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_the_catalog_holds_every_marked_string(marked, path):
    """A string marked in code or templates but missing from a catalog would stay English forever."""
    missing = marked - {m.id for m in load(path) if m.id}
    assert not missing, f"{len(missing)} marked strings missing from {path}: {sorted(missing, key=str)[:20]}"


# Catalogs in every install mode: a copy of the source tree without village/translations (an
# editable install, a fresh clone), a built package without locales/ (a wheel), and neither.

ROOT = Path(__file__).parent.parent
SHOW_PAGES = """
import sys
from village import create_app
from village.node import init_node
print("package:", __import__("village").__file__)
node = init_node(sys.argv[1], "village", "红星村", "52/5201/520102/001", "zh_Hans")
client = create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
print(client.get("/clerk/login").get_data(as_text=True))
print(client.post("/clerk/login", data={"username": "x1", "password": "wrong password"}).get_data(as_text=True))
"""


def source_copy(target, with_locales=("zh_Hans", "ug")):
    """Copy the code and the given languages' .po files to `target`, leaving compiled catalogs behind."""
    import shutil

    skip = shutil.ignore_patterns("__pycache__", "translations")
    for name in ("village", "sync"):
        shutil.copytree(ROOT / name, target / name, ignore=skip)
    for lang in with_locales:
        shutil.copytree(ROOT / "locales" / lang, target / "locales" / lang)
    for name in ("babel.cfg", "setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    return target


def run_python(code_dir, cwd, *args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(code_dir), "PATH": "/usr/bin:/bin", "HOME": str(cwd)})


@pytest.mark.slow  # runs the package in other processes
def test_a_source_tree_without_compiled_catalogs_shows_chinese(tmp_path):
    tree = source_copy(tmp_path / "tree")
    shown = run_python(tree, tree, "-c", SHOW_PAGES, str(tmp_path / "data"))
    assert shown.returncode == 0, shown.stderr
    assert f"package: {tree}" in shown.stdout and not (tree / "village" / "translations").exists()
    assert "用户名" in shown.stdout  # a template's string
    assert "用户名或密码不对。" in shown.stdout  # a view's (flask_babel.gettext) string


@pytest.mark.slow  # runs the package in other processes
def test_a_built_package_carries_its_catalogs(tmp_path):
    """What a wheel holds: setup.py's build compiles the catalogs; no locales/ is installed."""
    tree = source_copy(tmp_path / "tree")
    built = run_python(tree, tree, "setup.py", "-q", "build_py", "-d", str(tmp_path / "lib"))
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "lib" / "village" / "translations" / "ug" / "LC_MESSAGES" / "messages.mo").is_file()
    assert not (tmp_path / "lib" / "locales").exists()
    shown = run_python(tmp_path / "lib", tmp_path, "-c", SHOW_PAGES, str(tmp_path / "data"))
    assert shown.returncode == 0, shown.stderr
    assert f"package: {tmp_path / 'lib'}" in shown.stdout
    assert "用户名" in shown.stdout and "用户名或密码不对。" in shown.stdout


@pytest.mark.slow  # runs the package in other processes
def test_a_missing_catalog_stops_the_node_with_a_clear_message(tmp_path):
    tree = source_copy(tmp_path / "tree", with_locales=("zh_Hans",))
    data = str(tmp_path / "data")
    made = run_python(tree, tree, "-m", "village", "init", "--data", data, "--role", "village",
                      "--name", "红星村", "--area", "52/5201/520102/001", "--lang", "zh_Hans")
    assert made.returncode == 0, made.stderr
    served = run_python(tree, tree, "-m", "village", "serve", "--data", data, "--port", "0")
    assert served.returncode != 0
    assert "ug" in served.stderr and "Traceback" not in served.stderr + served.stdout
    assert "no catalog for language ug" in served.stderr  # the log line names what it looked for
    assert "zh_Hans" not in served.stderr.split("looked for")[0]  # the Chinese catalog was found


def test_an_edited_po_file_is_used_over_an_older_compiled_catalog(tmp_path, monkeypatch):
    import os

    from babel.messages.mofile import write_mo

    from village import i18n

    mo = tmp_path / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.mo"
    po = tmp_path / "locales" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    for folder in (mo.parent, po.parent):
        folder.mkdir(parents=True)
    with mo.open("wb") as compiled:
        write_mo(compiled, load(ROOT / "locales/zh_Hans/LC_MESSAGES/messages.po"))
    os.utime(mo, (1, 1))  # compiled long before the .po was edited
    po.write_text((ROOT / "locales/zh_Hans/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
                  .replace('msgstr "用户名"', 'msgstr "用户名（新）"'), encoding="utf-8")
    (tmp_path / "babel.cfg").write_text("")  # what marks a source tree
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path / "translations")
    monkeypatch.setattr(i18n, "SOURCE_TREE", tmp_path)
    i18n.load_catalog.cache_clear()
    try:
        assert i18n.translations("zh_Hans").gettext("Username") == "用户名（新）"
        i18n.load_catalog.cache_clear()
        os.utime(po, (1, 1))  # now the compiled catalog is the newer one: it is used
        assert i18n.translations("zh_Hans").gettext("Username") == "用户名"
    finally:
        i18n.load_catalog.cache_clear()
