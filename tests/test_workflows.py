"""The request and grievance workflows are declared once (records.workflows) and drive every surface."""
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from village.i18n import translations
from village.records import core
from village.records.schema import fields
from village.records.services import change_status, submit
from village.records.workflows import WORKFLOWS

ROOT = Path(__file__).parent.parent
STEPS = [(flow.table, step) for flow in WORKFLOWS.values() for step in flow.steps]
GOOD = {"service_requests": {"applicant_name": "李秀英", "kind": "subsidy"},
        "grievances": {"category": "road", "description": "路塌了"}}


@pytest.mark.parametrize("table, step", STEPS, ids=lambda x: getattr(x, "name", x))
def test_every_status_is_reachable_labelled_and_translated(table, step):
    flow = WORKFLOWS[table]
    assert flow.path_to(step.name) is not None, f"{step.name} cannot be reached from {flow.first}"
    assert all(flow.step(n) for n in step.next), f"{step.name} leads to an undeclared status"
    words = [step.label, step.public] + ([step.action] if step.name != flow.first else [])
    assert all(words)
    for lang in ("zh_Hans", "ug"):
        catalog = translations(lang)
        assert all(catalog.ugettext(w) != w for w in words), (lang, words)


@pytest.mark.parametrize("flow", WORKFLOWS.values(), ids=lambda f: f.table)
def test_the_schema_reads_the_statuses_first_status_and_history_field(flow):
    specs = fields(flow.table)
    assert specs["status"].choices == flow.statuses and specs["status"].default == flow.first
    assert specs[flow.history].kind == "json"


@pytest.mark.parametrize("table, step", STEPS, ids=lambda x: getattr(x, "name", x))
def test_every_status_shows_in_its_queue_and_at_the_kiosk_in_its_words(clerk, db, node, table, step):
    flow = WORKFLOWS[table]
    with core.write(db, node) as w:
        row, ticket = submit(w, node, table, GOOD[table])
        for move in flow.path_to(step.name):
            change_status(w, node, table, row, move, "test")
    queue = clerk.get(f"/clerk/{flow.queue}", query_string={"status": step.name, "lang": "en"}).get_data(as_text=True)
    assert f"{step.label} (1)" in queue and ticket in queue
    kiosk = clerk.get("/status", query_string={"ticket": ticket}).get_data(as_text=True)
    assert f'status-{step.name}">{step.public}<' in kiosk


def test_a_status_added_to_the_declaration_alone_reaches_records_clerk_and_kiosk(tmp_path):
    """Copy the package, add "on_hold" to the request workflow in workflows.py only, and use it everywhere."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "village", copy / "village", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "sync", copy / "sync", ignore=shutil.ignore_patterns("__pycache__"))
    source = copy / "village" / "records" / "workflows.py"
    text = source.read_text()
    declared = 'Step("in_review", ("approved", "rejected"),'
    assert declared in text
    text = text.replace(declared, 'Step("in_review", ("approved", "rejected", "on_hold"),').replace(
        '        Step("rejected",',
        '        Step("on_hold", ("in_review",), N_("on hold"), N_("Waiting for papers"), N_("Put on hold")),\n'
        '        Step("rejected",')
    source.write_text(text)
    script = textwrap.dedent(f"""
        from village import create_app
        from village.node import init_node, open_db
        from village.records import core
        from village.records.services import change_status, submit
        from village.users import add_user

        node = init_node({str(tmp_path / "data")!r}, "village", "红星村", "52/5201/520102/001", "en")
        db = open_db(node)
        add_user(db, "clerk1", "clerk", "correct horse")
        with core.write(db, node) as w:
            row, ticket = submit(w, node, "service_requests", {{"applicant_name": "李", "kind": "subsidy"}})
            change_status(w, node, "service_requests", row, "in_review", "test")
        client = create_app({{"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}}).test_client()
        client.post("/clerk/login", data={{"username": "clerk1", "password": "correct horse"}})
        item = client.get(f"/clerk/requests/{{row}}").get_data(as_text=True)
        assert 'value="on_hold"' in item and "Put on hold" in item, item
        assert client.post(f"/clerk/requests/{{row}}/status", data={{"status": "on_hold"}}).status_code == 302
        assert core.get(db, "service_requests", row)["status"] == "on_hold"
        assert "on hold (1)" in client.get("/clerk/requests").get_data(as_text=True)
        assert "Waiting for papers" in client.get(f"/status?ticket={{ticket}}").get_data(as_text=True)
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
