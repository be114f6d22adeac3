"""Login throttling that slows guessing without locking the real clerk out; a bounded audit log."""
import re

import pytest
from clerk_helpers import PASSWORD

from village.web import throttle
from village.audit import MAX_TEXT

ATTACKER, DESK = "10.0.0.66", "10.0.0.7"


def attempt(client, username="clerk1", password="wrong password", ip=ATTACKER):
    return client.post("/clerk/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def wait_of(response):
    return int(re.search(r"Wait (\d+) seconds", response.get_data(as_text=True)).group(1))


def time_passes(db, seconds):
    """Move every counter `seconds` into the past, as if that much time had gone by."""
    db.execute("UPDATE throttle SET since = since - ?, until = CASE WHEN until > 0 THEN until - ? ELSE 0 END",
               [seconds, seconds])


@pytest.fixture
def client(open_app, users):
    return open_app.test_client()


def test_the_real_clerk_logs_in_from_the_desk_while_someone_guesses_elsewhere(client):
    for _ in range(20):
        assert attempt(client).status_code in (401, 429)
    assert attempt(client, password=PASSWORD, ip=DESK).status_code == 302


def test_a_few_typing_mistakes_cost_seconds_not_a_lockout(client, db):
    for _ in range(throttle.FREE_PER_USER + 2):
        attempt(client, ip=DESK)
    refused = attempt(client, password=PASSWORD, ip=DESK)
    assert refused.status_code == 429 and wait_of(refused) <= 4
    time_passes(db, 4)
    assert attempt(client, password=PASSWORD, ip=DESK).status_code == 302


def test_each_further_failure_doubles_the_wait_up_to_a_cap(client, db):
    waits = []
    for _ in range(14):
        time_passes(db, throttle.LONGEST_WAIT)  # wait out the last delay, then fail again
        assert attempt(client).status_code == 401
        waits.append(throttle.login_wait(db, "clerk1", ATTACKER))
    free = throttle.FREE_PER_USER
    assert waits[:free] == [0] * free and waits[free] >= 1
    growing = waits[free:]
    assert all(b in (2 * a, throttle.LONGEST_WAIT) for a, b in zip(growing, growing[1:])), waits
    assert growing[-1] == throttle.LONGEST_WAIT
    assert attempt(client).status_code == 429


def test_a_refused_attempt_does_not_check_the_password(client):
    for _ in range(throttle.FREE_PER_USER + 1):
        attempt(client)
    # Even the right password is not tried while the wait lasts: guesses in the wait learn nothing.
    assert attempt(client, password=PASSWORD).status_code == 429


def test_spraying_many_usernames_from_one_address_is_slowed(client):
    statuses = [attempt(client, username=f"user{n}", password="123456").status_code for n in range(14)]
    assert statuses[:throttle.FREE_PER_ADDRESS] == [401] * throttle.FREE_PER_ADDRESS
    assert 429 in statuses[throttle.FREE_PER_ADDRESS:]
    # Another address is not affected.
    assert attempt(client, password=PASSWORD, ip=DESK).status_code == 302


def test_a_right_password_does_not_reset_the_addresss_count(client, open_app, db):
    add_user_and_spray = [attempt(client, username=f"user{n}").status_code for n in range(throttle.FREE_PER_ADDRESS)]
    assert set(add_user_and_spray) == {401}
    time_passes(db, 10)
    assert attempt(client, password=PASSWORD).status_code == 302  # the attacker's own account
    assert attempt(client, username="field1").status_code == 401
    assert attempt(client, username="field1", password=PASSWORD).status_code == 429


def test_failed_logins_with_huge_usernames_leave_few_small_audit_rows(client, db):
    before = db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    for n in range(40):
        response = attempt(client, username=f"{n}" + "x" * 400_000)
        assert response.status_code in (401, 429)
    rows = db.execute("SELECT actor, action, target, detail FROM audit").fetchall()[before:]
    assert 0 < len(rows) <= 10
    assert max(len(value or "") for row in rows for value in row) <= MAX_TEXT
    assert db.execute("SELECT COUNT(*) FROM throttle").fetchone()[0] <= 20  # no row per sprayed name


def test_a_body_over_the_limit_is_refused_before_anything_is_stored(client, db):
    before = db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    response = attempt(client, username="x" * 5_000_000)
    assert response.status_code == 413
    assert db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == before


def test_audit_text_is_cut_to_its_bound(db):
    from village.audit import record

    record(db, "a" * 10_000, "login.fail", "b" * 10_000, "c" * 10_000)
    row = db.execute("SELECT actor, target, detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    assert all(len(value) == MAX_TEXT for value in row)
