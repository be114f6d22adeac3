"""Every shipped catalog is complete: no untranslated, no fuzzy entry, and placeholders kept."""
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
