"""A tablet's "Export unsynced" file, imported at its village node (`village tablet import`, the clerk's page).

The file (static/field/app/rescue.js) holds one sync batch of the tablet's sealed outbox entries,
the very bytes a push sends, then the photos still waiting on the tablet (those of the worker who
exported), each sealed to this node as an outbox entry is, and the tablet's signature over all of
it with its own secret. Importing it is a push from that tablet without the network: the same
checks, the same quarantine, the same idempotent apply (each record once, by its version), so a
second import changes nothing. Then each photo is kept as the file lane keeps a tablet's upload
(`sync.filehub.take_files`): only when its bytes hash to its name and size, a record inside the
tablet's area names it (one in the same file included) and it is the kind of file that record says;
a photo held already is not stored again, and one refused is not kept at all.
"""
import base64
import binascii
import json
from collections import namedtuple

from sync.auth import signature_ok
from sync.batch import BadBatch, decode
from sync.blobs import is_sha256
from sync.filehub import take_files
from sync.links import get_link
from sync.server import TABLET, SyncRefused, receive_push
from village.errors import Problem
from village.field.outbox import Unreadable, open_sealed, unsealer_for
from village.keys import sealing_key
from village.records import evidence, rollups, trust

FORMAT = "village-tablet-export/2"
# /1 was written before photos travelled in the file: records only. A tablet whose outbox is not
# empty waits to update its app (docs/field.md), so its file may still be one of these.
FORMATS = ("village-tablet-export/1", FORMAT)
SIGNED_AS = ("POST", "/tablet/import", "export")  # as static/field/app/rescue.js signs
# The whole file: the records and the photos that fit (the app fills a file up to this, and says how
# many photos wait for the next one). About 110 photos of the app's 200 KB besides the records.
MAX_FILE = 32 * 1024 * 1024
PHOTO_FIELDS = ("sha256", "size", "eph", "iv", "ct")

Export = namedtuple("Export", "link signature batch photos")


def check_size(size):
    """Raise Problem for a file of `size` bytes, more than a tablet's file may be (before it is read)."""
    if size > MAX_FILE:
        raise Problem("tablet.export_too_large", size=round(size / 2**20, 1), max=MAX_FILE // 2**20)


def read_file(raw):
    """Return the Export an export file's bytes hold; raise Problem when they are not one."""
    check_size(len(raw))
    try:
        data = json.loads(raw)
        if data.get("format") not in FORMATS:
            raise ValueError("not an export of the field app")
        photos = _photos(data.get("photos", [])) if data["format"] == FORMAT else []
        return Export(str(data["link"])[:64], str(data["signature"])[:128],
                      base64.b64decode(data["batch"], validate=True), photos)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Problem("tablet.bad_export", reason=str(exc)[:200]) from None


def _photos(listed):
    """Return the file's sealed photos, each checked for shape; raise ValueError for one that is not."""
    if not isinstance(listed, list):
        raise ValueError("the photos are not a list")
    for photo in listed:
        if not (isinstance(photo, dict) and all(isinstance(photo.get(f), str) for f in PHOTO_FIELDS[2:])
                and is_sha256(photo.get("sha256")) and type(photo.get("size")) is int
                and 0 < photo["size"] <= evidence.MAX_BYTES):
            raise ValueError("a photo is not a sealed file named by its sha256 and size")
    return [{f: photo[f] for f in PHOTO_FIELDS} for photo in listed]


def signed_body(batch, photos):
    """Return the bytes an export's signature is made over: its batch, then a line per photo (as rescue.js)."""
    return batch + b"".join(f"\n{p['sha256']} {p['size']} {p['eph']} {p['iv']} {p['ct']}".encode() for p in photos)


def _tablet(db, export):
    """Return the link of the enrolled tablet that signed `export`; raise Problem when none did."""
    link = get_link(db, export.link)
    if link is None or link.get("kind") != TABLET or not link.get("enrolled_by"):
        raise Problem("tablet.export_unknown", id=export.link)
    method, path, nonce = SIGNED_AS
    if not signature_ok(link["secret"], export.signature, method, path, signed_body(export.batch, export.photos),
                        nonce, export.link):
        raise Problem("tablet.export_forged", id=export.link)
    if link.get("revoked_at"):
        raise Problem("tablet.export_revoked", id=export.link, name=link["name"])
    return link


def import_export(node, db, raw):
    """Apply an export file's records once, then keep its photos once; return the acknowledgement.

    The acknowledgement is a push's ({applied, received, refused, ...}) with "photos": {received,
    new, held, refused: [{sha, code, message}]}.
    """
    export = read_file(raw)
    link = _tablet(db, export)
    key = sealing_key(node.data_dir)
    try:
        envelope, changes = decode(export.batch)
        ack = receive_push(db, node.node_id, link, envelope, changes, policy=trust.policy_for(link),
                           after_apply=rollups.after_apply, unseal=unsealer_for(node, link))
    except (BadBatch, SyncRefused) as exc:
        raise Problem("tablet.bad_export", reason=str(exc)[:200]) from None
    # After the records: a photo is kept only when a record held here, in the tablet's area, names it.
    taken = take_files(db, evidence.store(node), [(p["sha256"], p["size"]) for p in export.photos],
                       _opened(key, export.photos), evidence.uploadable(link["area"]), evidence.content_problem)
    ack["photos"] = {"received": len(export.photos), "new": len(taken["new"]), "held": len(taken["held"]),
                     "refused": taken["refused"]}
    return ack


def _opened(key, photos):
    """Yield each sealed photo's bytes (None for one that does not open), one at a time."""
    for photo in photos:
        # Its name is what it is sealed under: a photo moved under another's name does not open.
        longest = 4 * ((photo["size"] + 16 + 2) // 3)  # base64 of the photo and the seal's tag
        try:
            yield open_sealed(key, photo, photo["sha256"], longest)
        except Unreadable:
            yield None
