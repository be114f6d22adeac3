"""Languages: the catalogs, the node's default language and the one-tap switch.

A catalog is found in every install mode: a wheel ships compiled catalogs in
village/translations (setup.py compiles them at build time); a source tree or an editable
install has locales/<lang>/LC_MESSAGES/messages.po next to the package, compiled here in
memory, once per process, when no compiled catalog is there or the .po is newer (so an edited
.po shows without `make catalogs`). A language whose catalog is in neither place is reported,
never silently shown in English.
"""
import functools
import io
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from village.errors import Problem
from village.settings import LANGUAGES, RTL_LANGUAGES, SOURCE_LANGUAGE

RTL = frozenset(RTL_LANGUAGES)
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
SOURCE_TREE = Path(__file__).parent.parent
LOG = logging.getLogger(__name__)


class CatalogMissing(Problem):
    """A language the node offers has no catalog: its pages would show in English."""


def catalog_files(lang):
    """Return (compiled .mo, source .po or None) where the catalog of `lang` may be."""
    mo = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.mo"
    # Only a source tree (it has babel.cfg) holds our locales/: never read another package's.
    po = SOURCE_TREE / "locales" / lang / "LC_MESSAGES" / "messages.po"
    return mo, po if (SOURCE_TREE / "babel.cfg").is_file() and po.is_file() else None


def _modified(path):
    return path.stat().st_mtime if path.is_file() else None


def _compile(po):
    with po.open("rb") as source:
        catalog = read_po(source)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@functools.lru_cache(maxsize=None)
def load_catalog(lang):
    """Return the catalog of `lang`, or None when it is nowhere to be found (logged once)."""
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    mo, po = catalog_files(lang)
    mo_time = _modified(mo)
    if po is not None and (mo_time is None or _modified(po) > mo_time):
        return _compile(po)
    if mo_time is not None:
        with mo.open("rb") as compiled:
            return Translations(compiled)
    LOG.error("no catalog for language %s: looked for %s and %s; its pages would show in English",
              lang, mo, SOURCE_TREE / "locales" / lang / "LC_MESSAGES" / "messages.po")
    return None


def translations(lang):
    """Return the catalog for `lang` (English, the source language, needs none).

    Loaded once per language and process and shared: a catalog is only read after loading.
    A missing catalog was logged by load_catalog; what is shown then is the English source.
    """
    return load_catalog(lang) or NullTranslations()


def missing_catalogs():
    """Return the languages offered (LANGUAGES) whose catalog cannot be found."""
    return [lang for lang in LANGUAGES if load_catalog(lang) is None]


def require_catalogs():
    """Raise CatalogMissing when a language the node offers has no catalog."""
    missing = missing_catalogs()
    if missing:
        raise CatalogMissing("node.no_catalog", langs=", ".join(missing))


def pick_language(requested, node_lang):
    """Return the language to show: the one asked for if we ship it, else the node's default."""
    return requested if requested in LANGUAGES else node_lang
