"""Errors on the web: a page for a person, the one JSON error shape for a program.

Every message comes from the registry (village.errors). Under a JSON path, or when the client
asks for JSON and not HTML, every error is answered {"error": {"code": ..., "message": ...}}:
404, 405, 413 and 500 included, so a program never has to read an HTML page.
"""
import re
import sqlite3

from flask import current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from village.errors import Problem
from village.web.i18n import gettext as _

# Everything under these paths answers JSON, errors included (the sync client reads them).
JSON_PREFIXES = ("/sync/", "/api/", "/field/api/")
# The registered code of each HTTP error Flask or Werkzeug raises; any other is "http_error".
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
              500: "internal"}
# "database or disk is full", "attempt to write a readonly database", "disk I/O error", ...
STORAGE_TROUBLE = re.compile(r"full|readonly|read-only|disk I/O|unable to open", re.I)


def wants_json():
    """Return True when this request is answered in JSON: a JSON path, or a client asking for JSON."""
    if request.path.startswith(JSON_PREFIXES):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def json_error(status, code, message, **extra):
    """Answer `status` with the one JSON error shape: {"error": {"code", "message", ...extra}}."""
    response = jsonify({"error": {"code": code, "message": message, **extra}})
    response.status_code = status
    return response


def problem_page(status, title, message, back=None):
    """Answer `status` with a page that says what happened and what to do next."""
    if back is None and request.method == "POST":
        back = request.path  # the form again, empty: what was sent is not kept
    elif back is None:
        back = url_for("clerk.households") if request.path.startswith("/clerk/") else url_for("kiosk.home")
    return render_template("error.html", title=title, message=message, back=back), status


def answer(problem, status=None):
    """Answer a Problem in the request's language: the JSON shape, or a page."""
    status = status or problem.status
    message = problem.say(_)
    if wants_json():
        return json_error(status, problem.code, message)
    return problem_page(status, _(problem.entry.title), message)


def http_error(exc):
    """Answer an HTTP error (404, 405, 413, 500, ...): JSON for a program; a page for 400, 404, 405, 413, 500."""
    code = HTTP_CODES.get(exc.code)
    if code is None:
        if not wants_json():
            return exc  # a page-less status (403, 409): Flask's own short page, as before
        return answer(Problem("http_error", status=exc.code), exc.code)
    return answer(Problem(code), exc.code)


def storage_failed(exc):
    """Answer a write the database refused (full disk, read-only data directory): nothing was saved."""
    if not STORAGE_TROUBLE.search(str(exc)) and "locked" not in str(exc):
        raise exc
    current_app.logger.error("database write failed: %s", exc)
    return answer(Problem("storage_unavailable"))


def init_app(app):
    """Answer every error of `app` from the registry: Problems, HTTP errors, a database that cannot write."""
    app.register_error_handler(Problem, answer)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(sqlite3.OperationalError, storage_failed)

