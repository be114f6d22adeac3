"""The JavaScript side of the sync protocol, run in Chromium against the shared test vectors."""
import base64
import json
import zlib

import pytest
from make_protocol_vectors import OUT

from sync.batch import decode
from test_field_photos import village  # noqa: F401 (a fixture)
from sync.filelane import PIECE
from village.records import evidence

VECTORS = json.loads(OUT.read_text(encoding="utf-8"))

CHECK = """async (vectors) => {
  const p = await import("/static/field/protocol/index.js");
  const b64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const out = {signatures: [], versions: [], json: {}, decoded: {}, encoded: {}};
  for (const c of vectors.signatures) {
    out.signatures.push(await p.sign(c.secret, c.method, c.path, b64(c.body), c.nonce, c.node_id));
  }
  out.digests = [];
  for (const c of vectors.digests) out.digests.push(await p.sha256Hex(b64(c.body)));
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


def test_js_signatures_versions_and_file_names_match_python(results):
    assert results["signatures"] == [c["signature"] for c in VECTORS["signatures"]]
    assert results["versions"] == [c["version"] for c in VECTORS["versions"]]
    assert results["digests"] == [c["sha256"] for c in VECTORS["digests"]]


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


SEND = """async ([creds, sha, size, body, sentBefore, loseFirst]) => {
  const p = await import("/static/field/protocol/index.js");
  const bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  const client = new p.NodeClient("", creds);
  if (sentBefore) await client.sendPiece(sha, size, 0, bytes.subarray(0, sentBefore));  // then the link broke
  const offsets = [], codes = [], send = client.sendPiece.bind(client);
  client.sendPiece = async (...args) => {  // the real request, watched (and its first answer lost if asked)
    offsets.push(args[2]);
    try {
      const answer = await send(...args);
      if (loseFirst && offsets.length === 1) throw new p.SyncError("the answer was lost on the way");
      return answer;
    } catch (error) { codes.push(error.code); throw error; }
  };
  const held = await p.sendFiles(client, [{sha, size}], async () => bytes);
  const again = await p.sendFiles(client, [{sha, size}], async () => null);  // held now: nothing to send
  return {held, again, offsets, codes};
}"""


@pytest.mark.parametrize("sent_before, lose_first, offsets, codes", [
    (0, False, [0, PIECE], []),
    (1000, False, [1000, 1000 + PIECE], []),  # a break before: it goes on from where the node's copy ends
    (0, True, [0, 0, PIECE], ["unreachable", "file_offset"]),  # an answer lost: the node says where to go on
])
def test_js_file_lane_sends_a_photo_in_pieces_and_goes_on_where_the_node_stopped(village, page, sent_before,
                                                                                lose_first, offsets, codes):
    from test_field_photos import JPEG, captured, sha

    v = village
    captured(v)  # the visit and its photo record, pushed
    page.goto(v["server"].url + "/sync/ping")
    creds = {"node_id": v["client"].node_id, "secret": v["client"].secret}
    out = page.evaluate(SEND, [creds, sha(JPEG), len(JPEG), base64.b64encode(JPEG).decode(), sent_before, lose_first])
    assert out == {"held": [sha(JPEG)], "again": [sha(JPEG)], "offsets": offsets, "codes": codes}
    assert evidence.store(v["node"]).read(sha(JPEG)) == JPEG
