"""Flask-Babel wiring: the language of each request, from the switch or the node's default."""
import datetime

from flask import current_app, request, session
import flask_babel
from flask_babel import Babel

from village.i18n import LANGUAGES, RTL, TRANSLATIONS_DIR, pick_language


def current_language():
    """Return the language of this request: ?lang=, then the session, then the node's default."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    return pick_language(session.get("lang"), current_app.config["NODE"].lang)


def _babel_locale():
    # Babel knows Simplified Chinese as zh_Hans_CN's parent "zh_Hans".
    return current_language()


def init_app(app):
    """Set up Flask-Babel and put the language facts into every template."""
    Babel(app, locale_selector=_babel_locale, default_translation_directories=str(TRANSLATIONS_DIR))

    @app.template_filter("todate")
    def todate(value):
        """Turn a stored ISO date or date-time into an object Babel can format."""
        return datetime.datetime.fromisoformat(value) if "T" in value else datetime.date.fromisoformat(value)

    app.add_template_filter(flask_babel.format_currency, "format_currency")
    app.add_template_filter(flask_babel.format_date, "format_date")
    app.add_template_filter(flask_babel.format_datetime, "format_datetime")
    app.add_template_filter(flask_babel.format_decimal, "format_decimal")

    @app.context_processor
    def language_facts():
        lang = current_language()
        return {"lang": lang, "languages": LANGUAGES, "rtl": lang in RTL, "node": app.config["NODE"]}
