"""The shared test vectors of the sync protocol are what the Python side makes today.

The same file is checked by the JavaScript side in Chromium (test_protocol_js.py), so the two
agree byte for byte on signatures, versions and the JSON inside a batch.
"""
import base64
import copy
import json
import zlib

import pytest
from make_protocol_vectors import OUT, vectors

from sync.auth import sign
from sync.batch import decode

STORED = json.loads(OUT.read_text(encoding="utf-8"))


def test_the_stored_vectors_are_what_the_python_side_makes():
    # Payloads are compared decoded: zlib's bytes are not part of the contract, their content is.
    made, expected = vectors(), copy.deepcopy(STORED)
    for name, case in made["batches"].items():
        stored = expected["batches"][name]
        assert case["json"] == stored["json"]
        assert decode(base64.b64decode(stored["payload"])) == (case["decoded"]["envelope"], case["decoded"]["changes"])
        case.pop("payload"), stored.pop("payload")
    assert json.loads(json.dumps(made, ensure_ascii=False)) == expected


@pytest.mark.parametrize("case", STORED["signatures"], ids=lambda c: c["path"])
def test_signature_vectors(case):
    body = base64.b64decode(case["body"])
    assert sign(case["secret"], case["method"], case["path"], body, case["nonce"], case["node_id"]) == case["signature"]
    assert sign(case["secret"] + "x", case["method"], case["path"], body, case["nonce"], case["node_id"]) != case["signature"]


@pytest.mark.parametrize("name", STORED["batches"])
def test_batch_json_inflates_to_the_stored_text(name):
    case = STORED["batches"][name]
    assert zlib.decompress(base64.b64decode(case["payload"])).decode() == case["json"]
