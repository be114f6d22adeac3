"""What every response of the node gets: security headers, size limits, and clear error pages.

Pages answer a problem with a page saying what to do (never a bare 500); /sync/ and /api/
answer it in the one JSON error shape.
"""
import re
import sqlite3

from flask import current_app, jsonify, render_template, request, url_for

from village.web.i18n import gettext as _

# No inline script or style anywhere: a script smuggled into a page as text cannot run.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Ticket numbers travel in URLs (/status?ticket=): they never leave the node in a Referer.
    "Referrer-Policy": "same-origin",
}
# Pages and forms: a kiosk form is a few kilobytes. /sync/ checks its own, larger, limit.
MAX_PAGE_BODY = 1024 * 1024
JSON_PREFIXES = ("/sync/", "/api/")
# "database or disk is full", "attempt to write a readonly database", "disk I/O error", ...
STORAGE_TROUBLE = re.compile(r"full|readonly|read-only|disk I/O|unable to open", re.I)
BASE_URL_RE = re.compile(r"^https?://[^/\s?#@]+(/[^\s?#]*)?$")


def add_headers(response):
    """Give the response the security headers every answer of the node carries."""
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def limit_body():
    """Hold pages to MAX_PAGE_BODY (the app's MAX_CONTENT_LENGTH); /sync/ to its own, larger, limit."""
    if request.path.startswith("/sync/"):
        from village.api.sync import MAX_BODY

        request.max_content_length = MAX_BODY


def _wants_json():
    return request.path.startswith(JSON_PREFIXES)


def _json_error(status, code, message):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def problem_page(status, title, message, back=None):
    """Answer `status` with a page that says what happened and what to do next."""
    if back is None and request.method == "POST":
        back = request.path  # the form again, empty: what was sent is not kept
    elif back is None:
        back = url_for("clerk.households") if request.path.startswith("/clerk/") else url_for("kiosk.home")
    return render_template("error.html", title=title, message=message, back=back), status


def too_large(_exc):
    """Answer a request body over the limit: nothing was read, so nothing was saved."""
    if _wants_json():
        return _json_error(413, "too_large", "the request body is too large")
    return problem_page(413, _("That was too much to send"),
                        _("What you sent is longer than this service point accepts, so nothing was saved. "
                          "Go back, shorten the longest answer and send it again."))


def storage_failed(exc):
    """Answer a write the database refused (full disk, read-only data directory): nothing was saved."""
    if not STORAGE_TROUBLE.search(str(exc)) and "locked" not in str(exc):
        raise exc
    current_app.logger.error("database write failed: %s", exc)
    if _wants_json():
        return _json_error(503, "storage_unavailable", "the node cannot write to its database right now")
    return problem_page(503, _("This could not be saved"),
                        _("The service point could not store what you sent, so nothing was saved. "
                          "Please tell the clerk."))


def server_error(exc):
    """Answer an unexpected failure with a page (or the JSON shape), never a bare 500."""
    if _wants_json():
        return _json_error(500, "internal", "the node could not answer this request")
    return problem_page(500, _("Something went wrong"),
                        _("The service point could not show this page. Please try again, or tell the clerk."))


def public_url(endpoint, **values):
    """Return the absolute URL of `endpoint` under the `public_base_url` setting, or None when unset.

    Never built from the request's Host header: anyone can send any Host, and a certificate's
    QR code must point at the real service point for as long as the paper exists.
    """
    base = (current_app.config["NODE"].setting("public_base_url") or "").strip().rstrip("/")
    if not BASE_URL_RE.match(base):
        return None
    return base + url_for(endpoint, **values)


def init_app(app):
    """Install the headers, the body limit and the error pages on `app`."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_PAGE_BODY
    app.before_request(limit_body)
    app.after_request(add_headers)
    app.register_error_handler(413, too_large)
    app.register_error_handler(sqlite3.OperationalError, storage_failed)
    app.register_error_handler(500, server_error)
