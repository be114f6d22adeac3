"""Write tests/data/protocol_vectors.json from the real Python functions of the sync protocol.

The JavaScript side (village/static/field/protocol/) is checked against the same file in
Chromium (tests/test_protocol_js.py); tests/test_protocol_vectors.py checks the file is what
the Python side makes today. Run: python tests/make_protocol_vectors.py
"""
import base64
import hashlib
import json
import zlib
from pathlib import Path

from sync.auth import sign
from sync.batch import _columns, decode, encode
from sync.clock import make_version
from sync.snapshot import record_changes

OUT = Path(__file__).parent / "data" / "protocol_vectors.json"
TABLET = "tab0123456789abcdef"
VILLAGE = "52/5201/520102/001"
PIECE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4  # the start of a JPEG, then every byte value


def _change(tbl, row_id, hlc, data, node=TABLET, op="put", area=VILLAGE, prev_area=None, base=None):
    return {"tbl": tbl, "op": op, "row_id": row_id, "version": make_version(hlc, node), "area": area,
            "prev_area": prev_area, "data": data, "base": base}


def batches():
    """Return named (envelope, changes) cases covering every column of the format."""
    t0 = 0x0190C0FFEE12_0000
    visits = [_change("visits", f"v-{i}", t0 + i * 7, {"household_id": "h-1", "kind": "elderly_care",
                                                       "visited_on": "2025-03-01", "notes": f"第{i}次 访问"})
              for i in range(3)]
    mixed = [
        _change("households", "h-1", t0 + 5, {"area": VILLAGE, "head_name": "阿依古丽·买买提", "members": 4,
                                               "income": 2.5, "tiny": 1e-05, "huge": 1.5e16, "third": 0.1}),
        _change("households", "h-2", t0 + 2, {"area": VILLAGE, "head_name": "quote \" back \\ tab \t nl \n \x01",
                                               "members": 1, "income": None, "ok": True, "no": False}),
        _change("persons", "p-1", t0 + 9, {"name": "Ali"}, node="village-abc",
                base={"name": make_version(t0, TABLET)}),
        _change("plots", "pl-1", t0 + 11, {"area": "52/5201/520102/002"}, area="52/5201/520102/002",
                prev_area=VILLAGE),
        _change("plots", "pl-2", t0 + 1, {}, op="del"),
        _change("visits", "v-9", t0 + 20, {}, op="evict"),
    ]
    return {"visits": ({"start": 0, "end": 3}, visits),
            "mixed": ({"start": 3, "end": 9}, mixed),
            "pull_envelope": ({"last": 1234, "more": False}, visits[:1]),
            "empty": ({"start": 9, "end": 9}, []),
            "snapshot_page": snapshot_page(t0)}


def snapshot_page(t0):
    """Return a page of a first load (`sync.snapshot`): a stored record as one put per version, the page cursor."""
    made, edited = make_version(t0 + 30, "village-abc"), make_version(t0 + 40, TABLET)
    row = {"id": "h-3", "area": VILLAGE, "code": "H003", "head_name": "王芳", "phone": "13900000000",
           "members": 3, "_version": edited, "_origin": "village-abc", "_deleted": 0,
           "_fv": json.dumps({"area": made, "code": made, "head_name": edited, "phone": made, "members": made})}
    envelope = {"cursor": 4321, "more": True, "after": ["households", "h-3"], "epochs": [["0123456789abcdef", 0]]}
    return envelope, record_changes("households", row)


def signatures():
    """Return signature cases: the inputs of `sign` (body as base64) and its answer."""
    cases = [("s3cret", "POST", "/sync/push", zlib.compress(b"{}"), "AAAA-nonce", "abc123"),
             ("f" * 64, "GET", "/sync/ping", b"", "ping-xyz", "link01"),
             ("秘密", "post", "/sync/pull", b'{"cursor":0,"limit":1000}', "n", "l"),
             # A piece on the file lane: the file, its size and the piece's offset are in the signed path.
             ("s3cret", "POST", f"/sync/files/{hashlib.sha256(PIECE).hexdigest()}/{len(PIECE)}/0", PIECE, "n2",
              "tab01")]
    return [{"secret": s, "method": m, "path": p, "body": base64.b64encode(b).decode(), "nonce": n, "node_id": i,
             "signature": sign(s, m, p, b, n, i)} for s, m, p, b, n, i in cases]


def digests():
    """Return SHA-256 cases: what names a file on the file lane (and in its attachments record)."""
    return [{"body": base64.b64encode(b).decode(), "sha256": hashlib.sha256(b).hexdigest()}
            for b in (b"", PIECE, "照片".encode())]


def vectors():
    """Return every vector, as written to the file."""
    out = {"signatures": signatures(), "digests": digests(), "versions": [], "batches": {}}
    for hlc in (0, 1, 0x0190C0FFEE120001, 2 ** 63 - 1):
        out["versions"].append({"hlc": str(hlc), "node_id": TABLET, "version": make_version(hlc, TABLET)})
    for name, (envelope, changes) in batches().items():
        payload = encode(envelope, changes)
        text = json.dumps(dict(envelope, v=1, c=_columns(changes)), ensure_ascii=False, separators=(",", ":"))
        decoded_envelope, decoded = decode(payload)
        out["batches"][name] = {"envelope": envelope, "changes": changes, "json": text,
                                "payload": base64.b64encode(payload).decode(),
                                "decoded": {"envelope": decoded_envelope, "changes": decoded}}
    return out


if __name__ == "__main__":
    OUT.write_text(json.dumps(vectors(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
