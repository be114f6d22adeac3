"""What the field app's service worker keeps offline: every file of static/field/app/ with its content hash.

The precache list and the version are computed from the files' bytes and the app's words, so
a changed file is a new version and an unchanged node answers the same service worker byte for
byte (the browser then installs nothing).
"""
import functools
import hashlib
import json
from pathlib import Path

from village.field.forms import describe, words
from village.settings import LANGUAGES

APP_DIR = Path(__file__).parent.parent / "static" / "field" / "app"
TEMPLATES = Path(__file__).parent.parent / "templates" / "field"


def _digest(data):
    return hashlib.sha256(data).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _static_hashes(stamp):
    """Return {path under static/: content hash} of the app's files (`stamp`: their mtimes, to notice edits)."""
    return {f"field/app/{p.relative_to(APP_DIR).as_posix()}": _digest(p.read_bytes())
            for p in sorted(APP_DIR.rglob("*")) if p.is_file()}


def static_hashes():
    """Return {path under static/: content hash} of every file of the field app."""
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(APP_DIR.rglob("*")) if p.is_file())
    return _static_hashes(stamp)


def words_json(lang):
    """Return the app's words in `lang` as JSON bytes."""
    return json.dumps(words(lang), ensure_ascii=False, sort_keys=True).encode()


def forms_json():
    """Return the description of the forms as JSON bytes."""
    return json.dumps(describe(), ensure_ascii=False, sort_keys=True).encode()


def version(node):
    """Return the app's version: a hash of its files, forms, words, page templates and the node's name and language."""
    parts = [node.name.encode(), node.lang.encode(), json.dumps(static_hashes(), sort_keys=True).encode(), forms_json()]
    parts += [words_json(lang) for lang in LANGUAGES]
    parts += [p.read_bytes() for p in sorted(TEMPLATES.glob("*"))]
    return _digest(b"\0".join(parts))
