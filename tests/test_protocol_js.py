"""The JavaScript side of the sync protocol, run in Chromium against the shared test vectors."""
import base64
import json
import zlib

import pytest
from make_protocol_vectors import OUT

from sync.batch import decode

VECTORS = json.loads(OUT.read_text(encoding="utf-8"))

CHECK = """async (vectors) => {
  const p = await import("/static/field/protocol/index.js");
  const b64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const out = {signatures: [], versions: [], json: {}, decoded: {}, encoded: {}};
  for (const c of vectors.signatures) {
    out.signatures.push(await p.sign(c.secret, c.method, c.path, b64(c.body), c.nonce, c.node_id));
  }
  for (const c of vectors.versions) out.versions.push(p.makeVersion(BigInt(c.hlc), c.node_id));
  for (const [name, c] of Object.entries(vectors.batches)) {
    out.json[name] = p.batchJSON(c.envelope, c.changes);
    out.decoded[name] = await p.decodeBatch(b64(c.payload));
    const bytes = await p.encodeBatch(c.envelope, c.changes);
    out.encoded[name] = btoa(String.fromCharCode(...bytes));
  }
  let damaged = null;
  try { await p.decodeBatch(b64(vectors.batches.visits.payload).slice(0, 20)); } catch (e) { damaged = e.constructor.name; }
  out.damaged = damaged;
  return out;
}"""


@pytest.fixture
def results(app, serve, page):
    live = serve(app)
    page.goto(live.url + "/sync/ping")  # any page of the node: the modules load from its origin
    return page.evaluate(CHECK, VECTORS)


def test_js_signatures_and_versions_match_python(results):
    assert results["signatures"] == [c["signature"] for c in VECTORS["signatures"]]
    assert results["versions"] == [c["version"] for c in VECTORS["versions"]]


def test_js_batch_json_is_python_json_byte_for_byte(results):
    for name, case in VECTORS["batches"].items():
        assert results["json"][name] == case["json"], name


def test_js_decodes_python_batches_and_python_decodes_js_batches(results):
    for name, case in VECTORS["batches"].items():
        assert results["decoded"][name] == case["decoded"], name
        payload = base64.b64decode(results["encoded"][name])
        assert zlib.decompress(payload).decode() == case["json"]  # CompressionStream('deflate') is zlib
        assert decode(payload) == (case["decoded"]["envelope"], case["decoded"]["changes"])


def test_js_refuses_a_cut_batch(results):
    assert results["damaged"] == "BadBatch"
