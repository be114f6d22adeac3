"""The kiosk: what a resident sees at the service point, with no login."""
from flask import Blueprint, render_template

from village.db import get_db
from village.records.notices import current_announcements, latest_prices, localized
from village.web_i18n import current_language

bp = Blueprint("kiosk", __name__)


@bp.get("/")
def home():
    """Show the village's name, current announcements (emergencies first) and market prices."""
    from flask import current_app

    node = current_app.config["NODE"]
    db = get_db()
    lang = current_language()
    announcements = [
        {**a, "title_text": localized(a["title"], lang), "body_text": localized(a["body"], lang)}
        for a in current_announcements(db, node.area)
    ]
    return render_template("kiosk/home.html", announcements=announcements, prices=latest_prices(db, node.area))
