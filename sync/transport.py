"""HTTP to the hub (requests): one method per endpoint, no database code.

Every answer of the hub carries a fresh single-use nonce (X-Sync-Nonce), its wall time
(X-Sync-Time, ms) and its clock (X-Sync-Clock, hex); the client keeps the nonce for its next
request and exposes the time and clock for the caller to merge.
"""
import json
import secrets

import requests

from sync.auth import sign
from sync.clock import wall_ms

BATCH_TYPE = "application/x-village-batch"
JSON_TYPE = "application/json"


class TransportError(Exception):
    """The hub could not be reached or refused the request."""

    def __init__(self, message, status=None, code="unreachable", **extra):
        super().__init__(message)
        self.message, self.status, self.code, self.extra = message, status, code, extra


class Unreachable(TransportError):
    """No answer from the hub (refused connection, timeout, broken response)."""


class Refused(TransportError):
    """The hub answered with an error (the one JSON error shape)."""


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
        self.session = requests.Session()
        # Passed with each request: a session-wide setting loses to REQUESTS_CA_BUNDLE.
        self.verify = ca_file or True
        self.nonce = None
        self.last_push = None  # what the hub last committed of our pushes, as its last ping said
        self.hub_time = self.hub_clock = None
        self.bytes_sent = self.bytes_received = 0

    def ping(self):
        """Ask the hub for a nonce and its time: the cheap reachability probe.

        Once enrolled, the ping is signed (over a nonce of our own: a ping changes nothing),
        and the hub answers with what it last committed of our pushes (kept in `last_push`).
        """
        headers = None
        if self.node_id and self.secret:
            nonce = "ping-" + secrets.token_urlsafe(12)
            headers = {"X-Sync-Node": self.node_id, "X-Sync-Nonce": nonce,
                       "X-Sync-Signature": sign(self.secret, "GET", "/sync/ping", b"", nonce, self.node_id)}
        answer = _json(self._request("GET", "/sync/ping", headers=headers))
        self.last_push = answer.get("last_push")
        return answer

    def prepare(self):
        """Make sure the next signed request has a nonce, pinging for one when it has none."""
        if self.nonce is None:
            self.ping()

    def enroll(self, code, enroller, claim):
        """Exchange a one-time code for this node's credentials (a dict); `claim` proves a retry is ours."""
        body = json.dumps({"code": code, "node_id": enroller, "claim": claim}).encode()
        return _json(self._request("POST", "/sync/enroll", body, JSON_TYPE))

    def push(self, payload):
        """Send one encoded batch; return the hub's acknowledgement (a dict)."""
        return _json(self._signed("POST", "/sync/push", payload, BATCH_TYPE))

    def pull(self, cursor, limit):
        """Ask for up to `limit` changes after hub seq `cursor`; return the encoded batch."""
        body = json.dumps({"cursor": cursor, "limit": limit}).encode()
        return self._signed("POST", "/sync/pull", body, JSON_TYPE).content

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
                if exc.code != "stale_nonce" or attempt:
                    raise
        raise AssertionError("unreachable")

    def _request(self, method, path, body=None, content_type=None, headers=None):
        headers = dict(headers or {})
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self.session.request(method, self.url + path, data=body, headers=headers,
                                            timeout=(10, self.timeout), verify=self.verify)
            content = response.content
        except requests.exceptions.SSLError as exc:
            raise Refused(f"the hub's certificate could not be verified: {exc}", code="tls") from None
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise Unreachable(f"the hub at {self.url} did not answer: {exc.__class__.__name__}",
                              timeout=isinstance(exc, requests.Timeout)) from None
        self.bytes_sent += len(body or b"") + sum(len(k) + len(v) + 4 for k, v in headers.items()) + len(path) + 16
        self.bytes_received += len(content) + sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17
        expected = response.headers.get("Content-Length")
        if expected is not None and expected.isdigit() and int(expected) != len(content):
            raise Unreachable(f"the answer of the hub at {self.url} was cut short")
        self._note(response)
        if response.status_code >= 400:
            raise self._refusal(response)
        return response

    def _note(self, response):
        """Keep the nonce, time and clock the hub sent with its answer."""
        self.nonce = response.headers.get("X-Sync-Nonce") or self.nonce
        if response.headers.get("X-Sync-Time"):
            self.hub_time = int(response.headers["X-Sync-Time"])
        if response.headers.get("X-Sync-Clock"):
            self.hub_clock = int(response.headers["X-Sync-Clock"], 16)

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
                           "too_large" if response.status_code == 413 else "http_error")
