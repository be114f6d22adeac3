"""Announcements and market prices shown at a village: what is current, most urgent first."""
import datetime
import json

from sync.clock import utc_text
from village.records import core
from village.records.schema import PRIORITIES

# Most urgent first: PRIORITIES runs from the least urgent up.
PRIORITY_ORDER = {name: rank for rank, name in enumerate(reversed(PRIORITIES))}


def _ancestors_and_self(path):
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def current_announcements(db, area, now=None):
    """Return announcements addressed to `area`, its ancestors or descendants, not expired, emergencies first.

    Of alerts, only `Actual` ones not withdrawn: an exercise or a test is kept, never shown to residents.
    """
    now = utc_text(now)
    targets = _ancestors_and_self(area)
    marks = ", ".join("?" * len(targets))
    where = (f"(area IN ({marks}) OR area LIKE ?) AND (publish_at IS NULL OR publish_at <= ?) "
             "AND (expires_at IS NULL OR expires_at > ?) AND (cap_status IS NULL OR cap_status = 'Actual') "
             "AND (msg_type IS NULL OR msg_type != 'Cancel')")
    found = list(core.rows(db, "announcements", where, [*targets, area + "/%", now, now], order="publish_at, id"))
    found.sort(key=lambda a: (PRIORITY_ORDER.get(a["priority"], 9), -_stamp(a)))
    return found


def _stamp(announcement):
    moment = announcement.get("publish_at")
    return datetime.datetime.fromisoformat(moment).timestamp() if moment else 0


def localized(text_by_lang, lang, fallback="en"):
    """Return the text of a {lang: text} map in `lang`, else a fallback language, else any."""
    if isinstance(text_by_lang, str):
        text_by_lang = json.loads(text_by_lang)
    if not text_by_lang:
        return ""
    for key in (lang, fallback, "zh_Hans", "en"):
        if text_by_lang.get(key):
            return text_by_lang[key]
    return next(iter(text_by_lang.values()))


def latest_prices(db, area, limit=30):
    """Return the newest price of each commodity at each market in scope of `area`."""
    targets = _ancestors_and_self(area)
    marks = ", ".join("?" * len(targets))
    where = (f"(area IN ({marks}) OR area LIKE ?) AND observed_on = (SELECT MAX(p2.observed_on) FROM market_prices p2 "
             "WHERE p2.commodity = market_prices.commodity "
             "AND COALESCE(p2.market, '') = COALESCE(market_prices.market, '') AND p2._deleted = 0)")
    return list(core.rows(db, "market_prices", where, [*targets, area + "/%"], order="commodity, market", limit=limit))
