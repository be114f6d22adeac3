"""Read aloud at the kiosk: espeak-ng run on the node, its audio cached, only for text the node holds."""
import os
import shutil
import stat
import sys
import wave

import pytest
from clerk_helpers import PASSWORD, login

from village import create_app
from village.ops.demo import populate
from village.ops.speech import CACHE_FOLDER, MAX_CHARS, VOICES, Engine, fix_wav_sizes, prepare, prune
from village.records import core
from village.records.services import change_status, submit
from village.users import add_user

ESPEAK = shutil.which("espeak-ng")
# A real espeak-ng behind a wrapper that writes down each run: how the tests see the engine run or not.
COUNTING_ENGINE = """#!{python}
import os, sys
with open({log!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
os.execv({espeak!r}, [{espeak!r}] + sys.argv[1:])
"""


@pytest.fixture
def counted(tmp_path):
    """Return (path of an engine that logs its runs, function returning the runs so far but --version)."""
    assert ESPEAK, "espeak-ng is not installed: `make test` installs it (make speech)"
    log, script = tmp_path / "runs.log", tmp_path / "espeak-counting"
    script.write_text(COUNTING_ENGINE.format(python=sys.executable, log=str(log), espeak=ESPEAK))
    script.chmod(0o700)
    return str(script), lambda: [r for r in (log.read_text().splitlines() if log.exists() else [])
                                 if r != "--version"]


@pytest.fixture
def village(make_node, counted):
    """A Chinese-speaking village node with the demo notices, prices and one ticket, speaking through `counted`."""
    node, db = make_node(lang="zh_Hans")
    populate(db, node, households=5)
    node.settings["speech_engine"] = counted[0]
    node.settings["status_lookups_per_minute"] = 1000
    with core.write(db, node) as w:
        row, ticket = submit(w, node, "service_requests", {"kind": "subsidy", "applicant_name": "张三",
                                                           "applicant_phone": "13800001111"})
        change_status(w, node, "service_requests", row, "in_review", "clerk", "")
    client = create_app({"NODE": node, "TESTING": True}).test_client()
    return node, db, client, ticket, counted[1]


def riff(data):
    """Return (channels, frame rate, seconds) of WAV bytes, read by Python's own wave module."""
    import io

    with wave.open(io.BytesIO(data)) as w:
        return w.getnchannels(), w.getframerate(), w.getnframes() / w.getframerate()


def test_a_ticket_is_spoken_once_in_the_readers_language_then_served_from_the_cache(village):
    node, _db, client, ticket, runs = village
    first = client.get(f"/speak/ticket/{ticket}?lang=ug")
    assert first.status_code == 200 and first.mimetype == "audio/wav"
    channels, _rate, seconds = riff(first.data)
    assert channels == 1 and seconds > 2  # nine characters read one by one, twice
    assert runs() == [f"-v {VOICES['ug']} --stdout"]  # the Uyghur voice
    again = client.get(f"/speak/ticket/{ticket}?lang=ug")
    assert again.data == first.data and len(runs()) == 1  # the second time, no engine run
    chinese = client.get(f"/speak/ticket/{ticket}?lang=zh_Hans")
    assert chinese.status_code == 200 and chinese.data != first.data
    assert runs()[-1] == f"-v {VOICES['zh_Hans']} --stdout"
    cached = list((node.data_dir / CACHE_FOLDER).iterdir())
    assert len(cached) == 2 and all(p.suffix == ".wav" for p in cached)


def test_the_cache_is_private_to_the_nodes_owner(village):
    node, _db, client, ticket, _runs = village
    assert client.get(f"/speak/ticket/{ticket}").status_code == 200
    folder = node.data_dir / CACHE_FOLDER
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()] == [0o600]


def test_every_notice_the_prices_a_status_and_each_question_can_be_heard(village):
    _node, db, client, ticket, runs = village
    notices = [r[0] for r in db.execute("SELECT id FROM announcements")]
    paths = [f"/speak/notice/{n}" for n in notices] + [
        "/speak/prices", f"/speak/status/{ticket}", "/speak/label/home", "/speak/label/status",
        "/speak/label/kind", "/speak/label/applicant_phone", "/speak/label/category", "/speak/key/7"]
    for path in paths:
        response = client.get(path + "?lang=zh_Hans")
        assert response.status_code == 200 and response.data.startswith(b"RIFF"), path
    assert len(runs()) == len(paths)


@pytest.mark.parametrize("path", [
    "/speak/notice/no-such-notice", "/speak/ticket/S-0000-0001", "/speak/status/G-9999-9999",
    "/speak/label/anything-i-like", "/speak/label/%E4%BD%A0%E5%A5%BD", "/speak/key/12", "/speak/key/%21",
    "/speak/text?q=hello", "/speak/hello%20world"])
def test_the_node_speaks_nothing_it_does_not_hold(village, path):
    node, _db, client, _ticket, runs = village
    assert client.get(path).status_code == 404
    assert runs() == [] and not (node.data_dir / CACHE_FOLDER).exists()


@pytest.mark.slow  # 1,500 requests
def test_an_attacker_cannot_fill_the_disk_or_the_cpu_with_text_of_their_own(village):
    """Thousands of made-up addresses and query strings: no engine run, no cached file, nothing spoken."""
    node, _db, client, ticket, runs = village
    assert client.get(f"/speak/ticket/{ticket}").status_code == 200
    for i in range(300):
        made_up = f"{i:04d}-" + "长" * 50
        for path in (f"/speak/label/{made_up}", f"/speak/notice/{made_up}", f"/speak/key/{made_up}",
                     f"/speak/ticket/S-{i:04d}-{i:04d}", f"/speak/ticket/{ticket}?text={made_up}"):
            assert client.get(path).status_code in (200, 404), path
    assert len(runs()) == 1 and len(list((node.data_dir / CACHE_FOLDER).iterdir())) == 1


def test_ticket_audio_counts_as_a_lookup_so_guessing_tickets_by_ear_is_slowed(village):
    node, _db, client, _ticket, _runs = village
    node.settings["status_lookups_per_minute"] = 3
    answers = [client.get(f"/speak/ticket/S-0000-000{i}").status_code for i in range(5)]
    assert answers == [404, 404, 404, 429, 429]


def test_a_node_without_the_engine_refuses_audio_with_a_clear_error(make_node):
    node, _db = make_node()
    node.settings["speech_engine"] = "/nonexistent/espeak-ng"
    client = create_app({"NODE": node, "TESTING": True}).test_client()
    response = client.get("/speak/label/home?lang=en", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "speech_unavailable"
    assert not (node.data_dir / CACHE_FOLDER).exists()


def test_text_is_bounded_and_folded_before_it_reaches_the_engine():
    assert prepare("  a\n\tb  ") == "a b"
    assert len(prepare("字" * (MAX_CHARS * 3))) == MAX_CHARS


def test_an_engine_text_starting_with_a_dash_is_spoken_not_read_as_an_option(tmp_path):
    engine = Engine(ESPEAK, tmp_path / "cache")
    path = engine.speak("en", f"--version -w {tmp_path / 'other.wav'}")
    assert not (tmp_path / "other.wav").exists()
    channels, _rate, seconds = riff(path.read_bytes())
    assert channels == 1 and seconds > 1  # words were spoken, not a version line printed


def test_the_wav_sizes_espeak_leaves_unknown_are_filled_in():
    header = b"RIFF" + b"\xff\xff\xff\x7f" + b"WAVEfmt " + (16).to_bytes(4, "little") + bytes(16)
    audio = header + b"data" + b"\xff\xff\xff\x7f" + bytes(100)
    fixed = fix_wav_sizes(audio)
    assert int.from_bytes(fixed[4:8], "little") == len(audio) - 8
    assert int.from_bytes(fixed[40:44], "little") == 100


def test_the_cache_keeps_only_the_newest_files(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.wav").write_bytes(b"x")
        os.utime(tmp_path / f"{i}.wav", (1000 + i, 1000 + i))
    prune(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.wav", "4.wav"]


@pytest.mark.parametrize("engine, speaks", [(ESPEAK, True), ("/nonexistent/espeak-ng", False), ("", False)])
def test_a_node_without_speech_shows_no_speaker_button_and_tells_the_clerk(make_node, engine, speaks):
    node, db = make_node()
    populate(db, node, households=2)
    node.settings["speech_engine"] = engine
    client = create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    for path in ("/", "/request", "/status", "/grievance"):
        html = client.get(path + "?lang=en").get_data(as_text=True)
        assert ("data-speak=" in html) == speaks and ("kiosk/speech.js" in html) == speaks, path
        assert "elder-switch" in html  # elder mode works with or without speech
    add_user(db, "clerk1", "clerk", PASSWORD)
    login(client)
    status = client.get("/clerk/sync?lang=en").get_data(as_text=True)
    assert ("Speech is not available" in status) != speaks
