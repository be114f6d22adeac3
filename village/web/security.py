"""What every response of the node gets: security headers and size limits (errors: village/web/errors.py)."""
import re

from flask import current_app, url_for

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
BASE_URL_RE = re.compile(r"^https?://[^/\s?#@]+(/[^\s?#]*)?$")


def add_headers(response):
    """Give the response the security headers every answer of the node carries."""
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


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
    """Install the headers and the body limit on `app`."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_PAGE_BODY
    app.after_request(add_headers)
