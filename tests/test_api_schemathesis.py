"""The API tested from outside: schemathesis against a served village node and a served county hub.

Its coverage and fuzzing phases send every operation of /api/openapi.json valid and invalid
requests; the run fails on any server error and on any answer that does not match the document
(status, content type, headers, body).
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import COUNTY, VILLAGE, token

from village import create_app
from village.api.openapi import document
from village.records import core
from village.records.services import submit

pytestmark = pytest.mark.slow
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance")
EXAMPLES_PER_OPERATION = 8  # with the coverage phase's own cases: about 40 s a node here


def schemathesis():
    """Return the schemathesis command of this Python's environment."""
    return str(Path(sys.executable).with_name("schemathesis"))


def seeded(node, db):
    """Give the node a household, a member and a request, so reads and moves meet real records too."""
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "HX0001", "head_name": "王建国", "phone": "13812345678",
                                               "area": VILLAGE})
        core.save(w, node, "persons", {"household_id": hh, "name": "王小明"})
        submit(w, node, "service_requests", {"applicant_name": "李秀英", "kind": "subsidy", "household_id": hh})


@pytest.mark.parametrize("role, area, token_role", [("village", VILLAGE, "admin"), ("county", COUNTY, "county")])
def test_schemathesis_finds_no_server_error_and_no_nonconforming_answer(make_node, serve, monkeypatch, tmp_path,
                                                                         role, area, token_role):
    monkeypatch.setenv("VILLAGE_API_REQUESTS_PER_MINUTE", "1000000")  # the limit is tested on its own
    node, db = make_node(role, area)
    seeded(node, db)
    headers = token(db, node, role=token_role)
    server = serve(create_app({"NODE": node}))
    run = subprocess.run(
        [schemathesis(), "run", f"{server.url}/api/openapi.json", "-H", f"Authorization: {headers['Authorization']}",
         "--phases", "coverage,fuzzing", "--checks", CHECKS, "-n", str(EXAMPLES_PER_OPERATION), "--seed", "14",
         "--no-color", "--generation-database", "none", "--workers", "1"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    operations = sum(1 for item in document()["paths"].values() for method in item if method != "parameters")
    selected, tested = re.search(r"Selected: \d+/(\d+)", output), re.search(r"Tested: (\d+)", output)
    # Every operation tested; schemathesis leaves out only the document's own address.
    assert selected and tested and int(tested.group(1)) == int(selected.group(1)) >= operations - 1, output[-3000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert generated and generated.group(1) == generated.group(2) and int(generated.group(1)) > 1000, output[-3000:]
