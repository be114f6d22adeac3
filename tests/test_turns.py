"""Requests of one serving process take turns (village.ops.balance.Turns), and a slow one holds no one up for long."""
import threading
import time

from village.ops.balance import PATIENCE, Turns


class Recording:
    """A WSGI app that notes how many of its requests run at once; a request for /slow waits for `release`."""

    def __init__(self):
        self.running, self.most, self.lock, self.release = 0, 0, threading.Lock(), threading.Event()

    def __call__(self, environ, start_response):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if environ["PATH_INFO"] == "/slow":
                self.release.wait(10)
            else:
                time.sleep(0.005)  # a page's work, letting go of Python's lock as SQLite does
            start_response("200 OK", [])
            return [b"ok"]
        finally:
            with self.lock:
                self.running -= 1


def call(app, path, answers):
    started = time.monotonic()
    body = app({"PATH_INFO": path}, lambda status, headers: None)
    answers.append((path, b"".join(body), time.monotonic() - started))


def test_short_requests_run_one_at_a_time():
    inner = Recording()
    app, answers = Turns(inner), []
    threads = [threading.Thread(target=call, args=(app, "/", answers)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [body for _path, body, _s in answers] == [b"ok"] * 8
    assert inner.most == 1  # without Turns all eight run at once (the same app, unwrapped: below)

    unwrapped, answers = Recording(), []
    threads = [threading.Thread(target=call, args=(unwrapped, "/", answers)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert unwrapped.most > 1


def test_a_slow_request_delays_the_others_by_the_patience_only():
    inner = Recording()
    app, answers = Turns(inner), []
    slow = threading.Thread(target=call, args=(app, "/slow", answers))
    slow.start()
    time.sleep(0.05)  # the slow request holds the turn
    quick = threading.Thread(target=call, args=(app, "/", answers))
    quick.start()
    quick.join(5)
    assert answers and answers[0][0] == "/"  # answered while the slow one still runs
    assert PATIENCE <= answers[0][2] < PATIENCE + 0.5
    inner.release.set()
    slow.join(5)
    assert [path for path, _b, _s in answers] == ["/", "/slow"]


def test_a_request_that_fails_gives_its_turn_back():
    def failing(environ, start_response):
        raise RuntimeError("a bug in a view")

    app = Turns(failing)
    for _ in range(2):
        started = time.monotonic()
        try:
            app({"PATH_INFO": "/"}, lambda status, headers: None)
        except RuntimeError:
            pass
        assert time.monotonic() - started < PATIENCE / 2  # the turn was free: no wait for the patience
