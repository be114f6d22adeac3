"""The county section's home (/county/): the overview's figures, and the list behind each of them."""
import datetime

from flask import Blueprint, current_app, g, render_template, request, url_for

from village.county.areas import chosen_area, trail
from village.county.nav import NAV
from village.county.shown import download, init_templates, paged
from village.records import county, rollups
from village.records.notices import localized
from village.users import roles_for
from village.web.auth import role_required
from village.web.db import get_store
from village.web.i18n import current_language, gettext

bp = Blueprint("county", __name__, url_prefix="/county")
bp.record_once(init_templates)
COUNTY = roles_for("county")


def now():
    """Return the present moment (UTC): one place, so every figure on a page reads the same clock."""
    return datetime.datetime.now(datetime.timezone.utc)


KEPT_MAX = 256  # figures kept per app for the present version of the roll-ups, the oldest dropped first


def kept(db, key, make):
    """Return `make()` for `key`, kept on the app until the roll-ups change (`rollups.version`).

    Ten people opening the overview between two syncs see figures counted once, not ten times.
    A new version drops everything kept for the one before.
    """
    version = rollups.version(db)
    store = current_app.extensions.get("county_kept")
    if store is None or store["version"] != version:
        store = current_app.extensions["county_kept"] = {"version": version, "items": {}}
    items = store["items"]
    if key not in items:
        while len(items) >= KEPT_MAX:
            items.pop(next(iter(items)), None)  # dicts keep their order: the first is the oldest
        items[key] = make()
    return items[key]


def goals_stamp(db):
    """Return what changes when the county sets a goal (goals are the hub's own, not in the change log)."""
    return tuple(db.execute("SELECT COUNT(*), MAX(set_at) FROM county_goals").fetchone())


def named_trail(db, node, area):
    """Return the drill-down trail to `area` (`areas.trail`), a village's step named as it enrolled.

    Only the trail's few paths are looked up: every county page shows the trail.
    """
    steps = trail(area, node.area)
    names = county.village_names(db, [path for path, _label in steps])
    return [(path, names.get(path) or label) for path, label in steps]


@bp.get("/")
@role_required(*COUNTY)
def home():
    """Show the county overview: each figure for the chosen area, linking to its list."""
    node, db, moment = current_app.config["NODE"], get_store(), now()
    area = chosen_area(node)
    today = moment.date()
    counts = kept(db, ("overview", area, today), lambda: county.counted(db, area, today))
    figures = county.overview(db, area, today, moment, counts)
    ages = [(age, gettext("%(age)s days", age=age)) for age, _low, _high in county.AGES]  # words once, not per use
    return render_template("county/home.html", area=area, trail=named_trail(db, node, area),
                           figures=figures, ages=ages, user=g.user)


@bp.get("/lists/<any(" + ", ".join(f'"{name}"' for name in county.LISTS) + "):name>")
@role_required(*COUNTY)
def listing(name):
    """Show the list behind one figure of the overview, for the chosen area (and age bucket)."""
    node, db, moment = current_app.config["NODE"], get_store(), now()
    area = chosen_area(node)
    bucket = request.args.get("age") if request.args.get("age") in [a[0] for a in county.AGES] else None
    title, make = county.LISTS[name]
    today = moment.date()

    def page_of(limit, offset):
        if name not in county.DATED or limit != county.LIST_LIMIT:  # the clock's lists, and exports: never kept
            return make(db, area, today, moment, bucket, limit=limit, offset=offset)
        return kept(db, ("list", name, area, bucket, offset, today, county.in_force(db, moment)),
                    lambda: make(db, area, today, moment, bucket, limit=limit, offset=offset))
    columns, rows, total, page, pages = paged(page_of, request.args)
    return download(f"county-{name}", columns, rows) or render_template(
        "county/list.html", area=area, trail=named_trail(db, node, area), name=name, title=title,
        columns=columns, rows=rows, bucket=bucket, page=page, pages=pages, total=total)


@bp.app_template_filter("in_language")
def in_language(text_by_lang):
    """Show a {language: text} value (an announcement's title) in the page's language."""
    return localized(text_by_lang, current_language())


@bp.app_context_processor
def county_menu():
    """Give templates the county menu: (address, label in the page's language, whether it is this page) of the
    entries of NAV whose page exists here and the user's role may open, written in one call by the layout."""
    def entries():
        views, role = current_app.view_functions, g.get("role")
        return [(url_for(endpoint), gettext(label), request.endpoint == endpoint) for endpoint, label in NAV
                if endpoint in views and role in getattr(views[endpoint], "roles", (role,))]
    return {"county_nav": entries}
