"""Languages: the catalogs, the node's default language and the one-tap switch."""
import functools
from pathlib import Path

from babel.support import NullTranslations, Translations

LANGUAGES = {"zh_Hans": "中文", "ug": "ئۇيغۇرچە", "en": "English"}
RTL = {"ug"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


@functools.lru_cache(maxsize=None)
def translations(lang):
    """Return the compiled catalog for `lang` (English, the source language, needs none).

    Loaded once per language and shared: a catalog is only read after loading.
    """
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [lang])


def pick_language(requested, node_lang):
    """Return the language to show: the one asked for if we ship it, else the node's default."""
    return requested if requested in LANGUAGES else node_lang
