"""What the field app's service worker keeps offline: every file of static/field/app/, the sync protocol's
modules (static/field/protocol/) and static/field/secure.js, each with its content hash.

The precache list and the version are computed from the files' bytes and the app's words, so
a changed file is a new version and an unchanged node answers the same service worker byte for
byte (the browser then installs nothing).
"""
import functools
import hashlib
import json
from pathlib import Path

from village.field.bundle import join
from village.field.forms import describe, words
from village.field.rescue import MAX_FILE
from village.settings import LANGUAGES

STATIC = Path(__file__).parent.parent / "static"
APP_DIR = STATIC / "field" / "app"
# Files outside app/ that the app loads: the protocol it syncs with, the secure-context check.
SECURE = "field/secure.js"
SHARED = tuple(sorted((STATIC / "field" / "protocol").glob("*.js"))) + (STATIC / SECURE,)
ENTRY = "field/app/app.js"
TEMPLATES = Path(__file__).parent.parent / "templates" / "field"


def _digest(data):
    return hashlib.sha256(data).hexdigest()[:16]


def _files():
    """Return [(path under static/, file)] of every file the app needs offline."""
    own = [(f"field/app/{p.relative_to(APP_DIR).as_posix()}", p) for p in sorted(APP_DIR.rglob("*")) if p.is_file()]
    return own + [(p.relative_to(STATIC).as_posix(), p) for p in SHARED]


@functools.lru_cache(maxsize=8)
def _static_hashes(stamp):
    """Return {path under static/: content hash} of the app's files (`stamp`: their mtimes, to notice edits)."""
    return {name: _digest(path.read_bytes()) for name, path in _files()}


def static_hashes():
    """Return {path under static/: content hash} of every file of the field app."""
    return _static_hashes(tuple((str(path), path.stat().st_mtime_ns) for _name, path in _files()))


@functools.lru_cache(maxsize=4)
def _joined(stamp):
    sources = {name: path.read_text(encoding="utf-8") for name, path in _files()
               if name.endswith(".js") and name != SECURE}
    body = join(sources, ENTRY).encode()
    return body, _digest(body)


def app_module():
    """Return (bytes, content hash) of the app's modules joined into one (village/field/bundle.py)."""
    return _joined(tuple(sorted(static_hashes().items())))


def words_json(lang):
    """Return the app's words in `lang` as JSON bytes."""
    return json.dumps(words(lang), ensure_ascii=False, sort_keys=True).encode()


def forms_json():
    """Return the description of the forms as JSON bytes, with the most an "Export unsynced" file may hold."""
    return json.dumps({**describe(), "export": {"max_bytes": MAX_FILE}}, ensure_ascii=False, sort_keys=True).encode()


def version(node):
    """Return the app's version: a hash of its files, forms, words, page templates and the node's name and language."""
    parts = [node.name.encode(), node.lang.encode(), json.dumps(static_hashes(), sort_keys=True).encode(), forms_json()]
    parts += [words_json(lang) for lang in LANGUAGES]
    parts += [p.read_bytes() for p in sorted(TEMPLATES.glob("*"))]
    return _digest(b"\0".join(parts))
