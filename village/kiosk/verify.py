"""The public page that checks a certificate's QR code: /verify/<payload>."""
from flask import Blueprint, current_app, render_template

from village.signing import check

bp = Blueprint("verify", __name__)


@bp.get("/verify/<path:payload>")
def verify(payload):
    """Show whether a certificate's QR payload carries a good signature (public page)."""
    facts, reason = check(current_app.config["NODE"], payload)
    status = 200 if reason is None else 400
    return render_template("kiosk/verify.html", facts=facts if reason is None else None, reason=reason), status
