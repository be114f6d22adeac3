"""HTTP to the hub (requests): one method per endpoint, no database code.

Every answer of the hub carries a fresh single-use nonce (X-Sync-Nonce), its wall time
(X-Sync-Time, ms) and its clock (X-Sync-Clock, hex); the client keeps the nonce for its next
request and returns the time and clock with each answer (`HubReply`) for the caller to merge.
"""
import json
import secrets
from dataclasses import dataclass
from typing import Any, Optional

from sync import codes
from sync.auth import sign
from sync.clock import wall_ms

BATCH_TYPE = "application/x-village-batch"
JSON_TYPE = "application/json"
BLOB_TYPE = "application/octet-stream"


class TransportError(Exception):
    """The hub could not be reached or refused the request."""

    def __init__(self, message, status=None, code=codes.UNREACHABLE, **extra):
        super().__init__(message)
        self.message, self.status, self.code, self.extra = message, status, code, extra


class Unreachable(TransportError):
    """No answer from the hub (refused connection, timeout, broken response)."""


class Refused(TransportError):
    """The hub answered with an error (the one JSON error shape)."""


@dataclass(frozen=True)
class HubReply:
    """One answer of the hub: its body (a dict, or a batch's bytes), its wall time (ms) and its clock."""

    body: Any
    hub_time: Optional[int] = None
    hub_clock: Optional[int] = None


def _reply(response, body):
    """Return `body` with the wall time and clock the hub sent in `response`'s headers."""
    sent_time, sent_clock = response.headers.get("X-Sync-Time"), response.headers.get("X-Sync-Clock")
    return HubReply(body, int(sent_time) if sent_time else None, int(sent_clock, 16) if sent_clock else None)


def _json(response):
    """Return the JSON body of an answer; a damaged one counts as no answer."""
    try:
        return response.json()
    except ValueError:
        raise Unreachable("the hub's answer was damaged on the way") from None


class HubClient:
    """A connection to one hub, with this node's credentials (none before enrollment)."""

    def __init__(self, url, node_id=None, secret=None, ca_file=None, timeout=60, wall=wall_ms):
        self.url = url.rstrip("/")
        self.node_id, self.secret, self.timeout, self.wall = node_id, secret, timeout, wall
        # Imported here, not at the top: a serving process imports this module for its errors, and
        # one that never syncs need not hold requests (about 5 MB of each process's memory).
        import requests

        self.session = requests.Session()
        # Passed with each request: a session-wide setting loses to REQUESTS_CA_BUNDLE.
        self.verify = ca_file or True
        self.nonce = None
        self.bytes_sent = self.bytes_received = 0

    def ping(self):
        """Ask the hub for a nonce and its time: the cheap reachability probe; return a HubReply.

        Once enrolled, the ping is signed (over a nonce of our own: a ping changes nothing),
        and the hub answers with what it last committed of our pushes (the body's `last_push`).
        """
        headers = None
        if self.node_id and self.secret:
            nonce = "ping-" + secrets.token_urlsafe(12)
            headers = {"X-Sync-Node": self.node_id, "X-Sync-Nonce": nonce,
                       "X-Sync-Signature": sign(self.secret, "GET", "/sync/ping", b"", nonce, self.node_id)}
        response = self._request("GET", "/sync/ping", headers=headers)
        return _reply(response, _json(response))

    def prepare(self):
        """Make sure the next signed request has a nonce, pinging for one when it has none.

        Return the ping's HubReply when there was one, else None.
        """
        return self.ping() if self.nonce is None else None

    def enroll(self, code, enroller, claim):
        """Exchange a one-time code for this node's credentials (a dict); `claim` proves a retry is ours."""
        body = json.dumps({"code": code, "node_id": enroller, "claim": claim}).encode()
        return _json(self._request("POST", "/sync/enroll", body, JSON_TYPE))

    def push(self, payload):
        """Send one encoded batch; return a HubReply whose body is the hub's acknowledgement (a dict)."""
        response = self._signed("POST", "/sync/push", payload, BATCH_TYPE)
        return _reply(response, _json(response))

    def pull(self, cursor, limit):
        """Ask for up to `limit` changes after hub seq `cursor`; return a HubReply of the encoded batch."""
        body = json.dumps({"cursor": cursor, "limit": limit}).encode()
        response = self._signed("POST", "/sync/pull", body, JSON_TYPE)
        return _reply(response, response.content)

    def snapshot(self, after, limit):
        """Ask a tablet's hub for one page of its first load after the record `after` ([table, id] or None).

        Return a HubReply of the encoded batch (`sync.snapshot`).
        """
        body = json.dumps({"after": after, "limit": limit}).encode()
        response = self._signed("POST", "/sync/snapshot", body, JSON_TYPE)
        return _reply(response, response.content)

    def files_have(self, items):
        """Ask which of the blobs `items` [(sha256, size)] the hub holds or wants; return a HubReply of its answer."""
        body = json.dumps({"files": [list(item) for item in items]}).encode()
        response = self._signed("POST", "/sync/files/have", body, JSON_TYPE)
        return _reply(response, _json(response))

    def send_piece(self, sha, size, offset, data):
        """Send bytes `offset`.. of blob `sha` (`size` bytes in all); return a HubReply of {"received", "done"}."""
        response = self._signed("POST", f"/sync/files/{sha}/{size}/{offset}", data, BLOB_TYPE)
        return _reply(response, _json(response))

    def get_piece(self, sha, size, offset):
        """Fetch bytes `offset`.. of blob `sha` (`size` bytes in all) from the hub; return a HubReply of the bytes."""
        response = self._signed("POST", f"/sync/files/get/{sha}/{size}/{offset}", b"", BLOB_TYPE)
        return _reply(response, response.content)

    def _signed(self, method, path, body, content_type):
        """Send a signed request; on a stale nonce, retry once with the fresh one."""
        for attempt in range(2):
            self.prepare()
            nonce, self.nonce = self.nonce, None
            headers = {"X-Sync-Node": self.node_id, "X-Sync-Nonce": nonce, "X-Sync-Time": str(self.wall()),
                       "X-Sync-Signature": sign(self.secret, method, path, body, nonce, self.node_id)}
            try:
                return self._request(method, path, body, content_type, headers)
            except Refused as exc:
                if exc.code != codes.STALE_NONCE or attempt:
                    raise
        raise AssertionError("unreachable")

    def _request(self, method, path, body=None, content_type=None, headers=None):
        import requests  # loaded by __init__ already: a dictionary lookup

        headers = dict(headers or {})
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self.session.request(method, self.url + path, data=body, headers=headers,
                                            timeout=(10, self.timeout), verify=self.verify)
            content = response.content
        except requests.exceptions.SSLError as exc:
            raise Refused(f"the hub's certificate could not be verified: {exc}", code=codes.TLS) from None
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise Unreachable(f"the hub at {self.url} did not answer: {exc.__class__.__name__}",
                              timeout=isinstance(exc, requests.Timeout)) from None
        self.bytes_sent += len(body or b"") + sum(len(k) + len(v) + 4 for k, v in headers.items()) + len(path) + 16
        self.bytes_received += len(content) + sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17
        expected = response.headers.get("Content-Length")
        if expected is not None and expected.isdigit() and int(expected) != len(content):
            raise Unreachable(f"the answer of the hub at {self.url} was cut short")
        # Every answer carries the next nonce, errors too.
        self.nonce = response.headers.get("X-Sync-Nonce") or self.nonce
        if response.status_code >= 400:
            raise self._refusal(response)
        return response

    def _refusal(self, response):
        try:
            body = response.json()
            error = body["error"]
            extra = {k: v for k, v in error.items() if k not in ("code", "message")}
            return Refused(error["message"], response.status_code, error["code"], **extra)
        except (ValueError, KeyError, TypeError):
            if response.status_code in (502, 503, 504):
                return Unreachable(f"the hub at {self.url} is unavailable (HTTP {response.status_code})",
                                   response.status_code)
            return Refused(f"the hub answered HTTP {response.status_code}", response.status_code,
                           codes.TOO_LARGE if response.status_code == 413 else codes.HTTP_ERROR)
