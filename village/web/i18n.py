"""Flask-Babel wiring: the language of each request, from the switch or the node's default."""
import datetime

from flask import current_app, g, has_request_context, request, session
import flask_babel
from flask_babel import Babel, Domain
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.filters import do_urlencode
from markupsafe import Markup

from village.i18n import LANGUAGES, RTL, pick_language, require_catalogs, translations


def current_language():
    """Return the language of this request: ?lang=, then the session, then the node's default."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    return pick_language(session.get("lang"), current_app.config["NODE"].lang)


def request_translations():
    """Return the catalog of this request's language, looked up once per request.

    A page calls gettext dozens of times; Flask-Babel finds the catalog again on every call,
    which cost about a millisecond per page.
    """
    found = g.get("translations")
    if found is None:
        found = g.translations = translations(current_language())
    return found


def gettext(string, **variables):
    """Translate `string` into this request's language and fill in `variables`."""
    text = request_translations().ugettext(string)
    return text % variables if variables else text


@pass_eval_context
def template_gettext(eval_ctx, string, **variables):
    """`_()` and `gettext()` in templates: Jinja's newstyle gettext (escaped, always %-formatted) in one call.

    Jinja's own passes each string through three calls (an alias, a wrapper, the function); a
    page translates dozens of strings.
    """
    text = request_translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@pass_eval_context
def template_ngettext(eval_ctx, singular, plural, num, **variables):
    """`ngettext()` in templates, as Jinja's newstyle ngettext does it (`num` given to the text), in one call."""
    variables.setdefault("num", num)
    text = request_translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def lazy_gettext(string, **variables):
    """Return `string` translated when shown, in the language of the request showing it."""
    return LazyString(gettext, string, **variables)


class CatalogDomain(Domain):
    """Flask-Babel's gettext in views, answered from the catalogs village.i18n finds.

    Flask-Babel on its own reads only compiled catalogs in one directory: an editable install
    without them would show every page in English.
    """

    def get_translations(self):
        """Return the catalog of this request's language (none outside a request)."""
        return request_translations() if has_request_context() else super().get_translations()


def _babel_locale():
    # Babel knows Simplified Chinese as zh_Hans_CN's parent "zh_Hans".
    return current_language()


def init_app(app):
    """Set up Flask-Babel and put the language facts into every template; refuse a missing catalog."""
    require_catalogs()
    babel = Babel(app, locale_selector=_babel_locale)
    babel.domain_instance = CatalogDomain()
    # Templates look the catalog up once per request (see request_translations), newstyle: {% trans %}
    # blocks call gettext and ngettext with their variables, as `_()` does.
    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)

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
        return {"lang": lang, "languages": LANGUAGES, "rtl": lang in RTL, "node": app.config["NODE"],
                "language_links": lambda: language_links(lang)}


def language_links(lang):
    """Return (address, language tag, label, whether it is `lang`) of each language: this page with ?lang=.

    Made in one call for the switch every page shows, not through the template once per language.
    """
    args, path = request.args.to_dict(), request.path
    return [(f"{path}?{do_urlencode(dict(args, lang=code))}", code.replace("_", "-"), label, code == lang)
            for code, label in LANGUAGES.items()]
