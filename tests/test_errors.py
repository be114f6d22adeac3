"""The one error registry: every code translated and documented; the CLI, pages and JSON all answer from it."""
import fcntl
import re
import sqlite3
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from village import create_app
from village.api.sync import MAX_BODY
from village.errors import EXIT_BUSY, REGISTRY, Problem, refusal, sync_problem
from village.i18n import translations
from village.ops.sync import LOCK_FILE
from village.web.security import MAX_PAGE_BODY

ROOT = Path(__file__).parent.parent
AREA = "52/5201/520102/001"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture
def village(runner):
    """An English village node made by `village init`, and the CLI pointed at it."""
    assert runner("init", "--role", "village", "--name", "x", "--area", AREA, "--lang", "en").exit_code == 0
    return runner


def catalog(lang):
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", ["zh_Hans", "ug"])
def test_every_code_has_its_message_and_title_translated(lang):
    held = catalog(lang)
    untranslated = [code for code, entry in REGISTRY.items()
                    if not (held.get(entry.message) or "").strip() or not (held.get(entry.title) or "").strip()]
    assert not untranslated, f"{lang}: {untranslated}"


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_code_has_a_valid_status_and_exit_code_and_a_message_that_fills_in(code):
    entry = REGISTRY[code]
    assert 400 <= entry.status <= 599
    assert entry.exit_code not in (0, 2) and 0 < entry.exit_code < 126  # 2 is click's usage error
    params = {name: "x" for name in PLACEHOLDER.findall(entry.message)}
    problem = Problem(code, **params)
    assert problem.code == code and str(problem) == entry.message % params


def test_every_code_is_documented():
    documented = set(re.findall(r"^\| `([\w.]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M))
    assert documented == set(REGISTRY)


def test_an_unknown_code_is_a_bug_that_fails_loudly():
    with pytest.raises(KeyError):
        Problem("no.such.code")


@pytest.mark.parametrize("context, code, expected", [
    ("bundle", "tampered", "bundle.tampered"), ("bundle", "gap", "bundle.refused"),
    ("enroll", "code_used", "enroll.code_used"), ("enroll", "bad_request", "enroll.refused"),
    ("sync", "revoked", "sync.revoked"), ("sync", "gap", "sync.refused")])
def test_a_sync_engine_code_maps_to_its_own_entry_or_its_contexts_refusal(context, code, expected):
    assert refusal(context, code, detail="d", error="e").code == expected


@pytest.mark.parametrize("code, exit_code", [(None, 1), ("not_enrolled", 1), ("busy", 5), ("unreachable", 3),
                                             ("bad_credentials", 4), ("revoked", 4), ("gap", 4), ("tls", 4)])
def test_a_sync_round_keeps_the_exit_codes_scripts_rely_on(code, exit_code):
    assert sync_problem(code, "why", 3).exit_code == exit_code


# The CLI: the translated message of the registry, and its exit code.

def test_no_node_says_what_to_do_and_exits_1(runner):
    result = runner("status")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: " + REGISTRY["node.missing"].message % {"dir": runner.data_dir}


def test_a_bad_table_is_told_in_the_nodes_language(runner):
    assert runner("init", "--role", "village", "--name", "红星村", "--area", AREA,
                  "--lang", "zh_Hans").exit_code == 0
    result = runner("export", "colours")
    said = translations("zh_Hans").gettext(REGISTRY["no_such_table"].message)
    assert result.exit_code == 1 and said != REGISTRY["no_such_table"].message
    assert said.split("%(table)s")[0] in result.output and "colours" in result.output


def test_a_newer_schema_is_told_in_uyghur(runner):
    assert runner("init", "--role", "village", "--name", "x", "--area", AREA,
                  "--lang", "ug").exit_code == 0
    db = sqlite3.connect(f"{runner.data_dir}/village.db")
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('village', 'm999_x', 'x')")
    db.commit()
    db.close()
    result = runner("status")
    said = translations("ug").gettext(REGISTRY["schema_too_new"].message) % {"name": "m999_x"}
    assert result.exit_code == 1 and said in result.output


def test_a_sync_while_another_runs_exits_with_the_busy_code(village):
    with open(Path(village.data_dir) / LOCK_FILE, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = village("sync")
    assert result.exit_code == EXIT_BUSY and "Another sync is running" in result.output


def test_an_unenrolled_sync_says_how_to_enroll(village):
    result = village("sync")
    assert result.exit_code == 1 and "village enroll --hub URL --code CODE" in result.output


# The web: the one JSON shape for programs, a page for people.

def shape(response, status, code):
    assert response.status_code == status and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and isinstance(error["message"], str) and error["message"]
    return error


def test_an_unknown_sync_address_answers_json_404(client):
    shape(client.get("/sync/nope"), 404, "not_found")


def test_a_post_only_sync_address_answers_json_405(client):
    shape(client.get("/sync/push"), 405, "method_not_allowed")


def test_an_api_address_answers_json_even_before_the_api_exists(client):
    shape(client.get("/api/v1/households"), 404, "not_found")


def test_a_sync_body_over_the_limit_answers_json_413(client):
    response = client.post("/sync/push", data=b"x" * (MAX_BODY + 1))
    shape(response, 413, "too_large")


def test_a_page_body_over_the_limit_answers_json_413_to_a_json_client(client):
    response = client.post("/request", data={"x": "y" * (MAX_PAGE_BODY + 1)}, headers={"Accept": "application/json"})
    shape(response, 413, "too_large")


def test_the_json_message_is_in_the_asked_language(client):
    error = shape(client.get("/sync/nope?lang=zh_Hans"), 404, "not_found")
    assert error["message"] == translations("zh_Hans").gettext(REGISTRY["not_found"].message)


@pytest.fixture
def failing_app(node):
    """The app with routes that fail: a bug (500) and a registered problem, on a page and in the API."""
    app = create_app({"NODE": node, "TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    def bug():
        raise RuntimeError("a bug")

    def no_table():
        from village.records.schema import fields

        return fields("colours")

    for path in ("/api/bug", "/bug"):
        app.add_url_rule(path, path, bug)
    for path in ("/api/table", "/table"):
        app.add_url_rule(path, path, no_table)
    return app.test_client()


def test_a_bug_under_the_api_answers_json_500_not_html(failing_app):
    error = shape(failing_app.get("/api/bug"), 500, "internal")
    assert "a bug" not in error["message"]  # nothing of the inside leaks out


def test_a_problem_raised_by_a_view_answers_its_status_and_code(failing_app):
    error = shape(failing_app.get("/api/table"), 404, "no_such_table")
    assert "colours" in error["message"]
    page = failing_app.get("/table?lang=en")
    assert page.status_code == 404 and page.mimetype == "text/html" and 'id="problem"' in page.get_data(as_text=True)


def test_a_bug_on_a_page_answers_the_html_error_page(failing_app):
    page = failing_app.get("/bug?lang=en")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Something went wrong" in page.get_data(as_text=True)


def test_an_html_404_is_still_a_page_in_the_readers_language(client):
    page = client.get("/no-such-page?lang=ug")
    text = page.get_data(as_text=True)
    assert page.status_code == 404 and page.mimetype == "text/html" and 'id="problem"' in text
    assert translations("ug").gettext("Not found") in text


def test_a_browser_asking_for_html_gets_a_page_even_when_it_also_accepts_json(client):
    page = client.get("/no-such-page", headers={"Accept": "text/html,application/json;q=0.9,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html"
