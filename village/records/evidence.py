"""Evidence files (consent scans, minutes, photos): kept on the node by SHA-256, named by an attachments record.

The bytes go to the node's blob store (`<data>/files/`, `sync.blobs`); the `attachments` record
(owner, kind, sha256, size, mime, name) goes through the one write path and syncs like any
record. The file itself follows on the sync engine's file lane, after the records. What a file
is comes from its first bytes, never from its name; photos are made smaller here when large.
"""
import io
import warnings
from contextlib import contextmanager

from sync import codes
from sync.blobs import BlobStore
from sync.filelane import index_blob, waiting_count
from sync.scope import in_scope, inside
from village.i18n_markers import N_
from village.records import core
from village.records.schema import MIMES, fields
from village.records.validate import ValidationError

FILES_DIR = "files"  # under the node's data directory
MAX_BYTES = int(fields("attachments")["size"].maximum)  # 20 MB: the record's own bound, declared there
# The first bytes of each kind of file we keep (its "magic number").
MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
PHOTO_MAX_SIDE = 2048  # pixels: an A4 scan stays legible (about 250 dpi), a phone photo drops to ~1/4
PHOTO_KEEP_BYTES = 1024 * 1024  # a photo up to this size is kept as it came
MAX_PIXELS = 80_000_000  # a bigger image is refused before it is decoded (a "decompression bomb")
JPEG_QUALITY = 85


def store(node):
    """Return the node's blob store."""
    return BlobStore(node.data_dir / FILES_DIR)


def sniff(data):
    """Return the mime type `data` really is (by its first bytes), or None when it is none we keep."""
    return next((mime for mime, magic in MAGIC.items() if data.startswith(magic)), None)


def _refuse(message, **params):
    return ValidationError([("file", message, params)])


def checked(data, mime):
    """Return the bytes to keep for a file said to be `mime`: checked, photos made smaller when large.

    Raise ValidationError for a file too large, of another kind than it says, or unreadable.
    """
    _of_kind(data, mime)
    return _downscaled(data, mime) if mime.startswith("image/") else data


def _of_kind(data, mime):
    """Raise ValidationError unless `data` is a file of kind `mime` (by its first bytes) within MAX_BYTES."""
    if len(data) > MAX_BYTES:
        raise _refuse(N_("The file is %(size)s MB; at most %(max)s MB can be kept. Scan or photograph it at a "
                         "lower resolution."), size=round(len(data) / 2**20, 1), max=MAX_BYTES // 2**20)
    if not data:
        raise _refuse(N_("The file is empty."))
    found = sniff(data)
    if found is None:
        raise _refuse(N_("This file is not a JPEG or PNG picture or a PDF document."))
    if found != mime:
        raise _refuse(N_("The file is a %(found)s, not the %(said)s it claims to be."), found=found, said=mime)


def content_problem(db, sha, size, data):
    """Return what is wrong with `data` received as the file `sha` of `size` bytes (None: keep it).

    Checked as `checked` checks a file attached here: the kind its first bytes say must be the
    kind a live record naming it says (`mime`), within MAX_BYTES, and a picture must read as one
    of at most MAX_PIXELS. Its bytes are kept as they came (they are named by their hash): never
    made smaller.
    """
    said = sorted({row[0] for row in db.execute(
        "SELECT mime FROM attachments WHERE sha256 = ? AND size = ? AND _deleted = 0", [sha, size])})
    found = sniff(data)
    try:
        if not said:
            raise _refuse(N_("No record here names this file."))
        _of_kind(data, found if found in said else said[0])
        if found.startswith("image/"):
            with _picture(data) as image:
                _read_whole(image)
    except ValidationError as exc:
        return str(exc)
    return None


@contextmanager
def _picture(data):
    """Open the picture `data` (its header read); refuse one that cannot be read or has more than MAX_PIXELS."""
    from PIL import Image, UnidentifiedImageError

    try:
        with _opened(data) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _refuse(N_("The picture has too many pixels (%(w)s × %(h)s)."), w=width, h=height)
            yield image
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise _refuse(N_("The picture cannot be read: it is damaged or cut short.")) from None


def _read_whole(image):
    """Read all of a picture, so that one damaged or cut short fails (a JPEG decoded at 1/8 scale: cheap)."""
    if image.format == "JPEG":
        image.draft("RGB", (max(1, image.size[0] // 8), max(1, image.size[1] // 8)))
        image.load()
    else:
        image.verify()  # a PNG's chunks and their checksums


def _downscaled(data, mime):
    """Return a picture no longer than PHOTO_MAX_SIDE on its long side when it is large, else as it came."""
    with _picture(data) as image:
        return _smaller(image, data, mime)


def _opened(data):
    """Return the picture `data` opened (its header read, nothing decoded)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own bound, lower, is checked next
        return Image.open(io.BytesIO(data))


def _smaller(image, data, mime):
    """Return `data` when the picture is small enough, else a smaller copy (no metadata kept: no GPS)."""
    from PIL import ImageOps

    if len(data) <= PHOTO_KEEP_BYTES and max(image.size) <= PHOTO_MAX_SIDE:
        image.verify()  # kept as it came, once it reads as a picture
        return data
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))  # decodes a JPEG at a reduced scale: fast
    image = ImageOps.exif_transpose(image)  # the copy stands the right way up without its EXIF
    out = io.BytesIO()
    if mime == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue() if out.tell() < len(data) else data


def attach(writer, node, owner_table, owner_id, kind, data, name, mime, taken_on=None, actor=None):
    """Keep the file `data` as evidence of record `owner_id` of `owner_table`; return its attachments record id.

    The bytes are checked (size, kind by their first bytes) and stored by SHA-256 (the same
    bytes twice are stored once); the record is saved through the one write path, in the area
    of the record it belongs to, so it travels with it.
    """
    if mime not in MIMES:
        raise _refuse(N_("Only JPEG and PNG pictures and PDF documents can be kept."))
    owner = core.get(writer.db, owner_table, owner_id) if owner_table in fields("attachments")["owner_table"].choices \
        else None
    if owner is None:
        raise ValidationError([("owner_id", N_("There is no record %(id)s in %(table)s."),
                                {"id": owner_id, "table": owner_table})])
    data = checked(data, mime)
    sha = store(node).put(data)
    index_blob(writer.db, sha, len(data))
    values = {"owner_table": owner_table, "owner_id": owner_id, "kind": kind, "sha256": sha, "size": len(data),
              "mime": mime, "name": name, "taken_on": taken_on, "area": owner["area"]}
    return core.save(writer, node, "attachments", values, actor=actor)


def uploadable(area):
    """Return `accepts(db, sha, size)` for a node owning `area` sending files up: a live record inside `area` names it.

    So a village (or a tablet) stores at its hub only files named by records it may write, whether
    they come over HTTP, in a USB bundle or in a tablet's "Export unsynced" file.
    """
    def accepts(db, sha, size):
        rows = db.execute("SELECT area FROM attachments WHERE sha256 = ? AND size = ? AND _deleted = 0", [sha, size])
        return any(row[0] is not None and inside(row[0], area) for row in rows)
    return accepts


# Why a file carried on a stick (a bundle, a tablet's file) was not kept, by the file lane's code (sync.filehub).
NOT_KEPT = {
    codes.FILE_MISMATCH: N_("its bytes are not the ones its name and size say (changed or damaged)"),
    codes.FILE_UNKNOWN: N_("no record of the sender's area names it here (its record is another village's, was "
                           "refused, or never came)"),
    codes.FILE_REFUSED: N_("it is not the kind of file its record says, or it is damaged"),
}


def not_kept(refused, gettext):
    """Return a line per file of `refused` ({"sha", "code"} each, from sync.filehub): its name, why it was not kept."""
    return [f"{item['sha'][:12]}…: {gettext(NOT_KEPT.get(item['code'], NOT_KEPT[codes.FILE_REFUSED]))}"
            for item in refused]


def readable(db, area, sha, size):
    """Return True when a live attachments record in scope of a node owning `area` names file `sha` of `size` bytes."""
    rows = db.execute("SELECT area FROM attachments WHERE sha256 = ? AND size = ? AND _deleted = 0", [sha, size])
    return any(in_scope(row[0], area) for row in rows)


def wanted(db, limit=1000):
    """Return [(sha256, size)] of files named by records here and not held here: what to fetch from the hub."""
    return db.execute(f"SELECT DISTINCT a.sha256, a.size {MISSING} LIMIT ?", [limit]).fetchall()


MISSING = "FROM attachments a WHERE a._deleted = 0 AND NOT EXISTS (SELECT 1 FROM sync_blobs b WHERE b.sha256 = a.sha256)"


def missing(db, limit=20):
    """Return the attachments records whose file is not held here (yet), newest first."""
    cur = db.execute(f"SELECT a.id, a.owner_table, a.owner_id, a.kind, a.name, a.size {MISSING} "
                     "ORDER BY a._version DESC, a.id LIMIT ?", [limit])  # no rowid on a PostgreSQL hub
    return [dict(zip(("id", "owner_table", "owner_id", "kind", "name", "size"), row)) for row in cur]


def held(db, hashes):
    """Return which of the sha256 `hashes` this node holds the file of."""
    hashes = sorted(set(hashes))
    found = set()
    for i in range(0, len(hashes), 500):
        part = hashes[i:i + 500]
        found.update(r[0] for r in db.execute(
            f"SELECT sha256 FROM sync_blobs WHERE sha256 IN ({', '.join('?' * len(part))})", part))
    return found


def file_counts(db):
    """Return {"files_waiting": files not yet held by the hub, "files_missing": records whose file is not here}."""
    return {"files_waiting": waiting_count(db),
            "files_missing": db.execute(f"SELECT COUNT(*) {MISSING}").fetchone()[0]}


def files_of(db, owner_table, owner_id):
    """Return the evidence records of one record, each with `held`: whether its file is here."""
    cur = db.execute("SELECT a.*, EXISTS (SELECT 1 FROM sync_blobs b WHERE b.sha256 = a.sha256) AS held "
                     "FROM attachments a WHERE a.owner_table = ? AND a.owner_id = ? AND a._deleted = 0 "
                     "ORDER BY a._version, a.id", [owner_table, owner_id])
    names = [d[0] for d in cur.description]
    return [{**core.public("attachments", dict(zip(names, row))), "held": bool(row[-1])} for row in cur]


def read(node, db, attachment_id):
    """Return (attachments record, bytes) of one evidence file, bytes None when the file is not held here."""
    record = core.get(db, "attachments", attachment_id)
    if record is None:
        return None, None
    blobs = store(node)
    return record, blobs.read(record["sha256"]) if blobs.has(record["sha256"]) else None
