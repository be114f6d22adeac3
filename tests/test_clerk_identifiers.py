"""No page shows a stored identifier (a table name, a status code) as text, in Chinese or Uyghur."""
import re
from html.parser import HTMLParser

import pytest
from clerk_helpers import household, request_in

from village.clerk.labels import TABLE_LABELS
from village.records import core
from village.records.schema import TABLES
from village.records.services import change_status, submit
from village.records.workflows import WORKFLOWS

IDENTIFIERS = sorted({*TABLES, *(s for flow in WORKFLOWS.values() for s in flow.statuses)})
RAW = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, IDENTIFIERS)) + r")(?![\w-])")


class VisibleText(HTMLParser):
    """Collects what a reader sees: text outside scripts and styles, and the title of an image."""

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")
        self.parts += [value for name, value in attrs if name in ("aria-label", "title", "placeholder") and value]

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(html):
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def test_every_table_has_a_label():
    assert set(TABLE_LABELS) == set(TABLES)


@pytest.fixture
def village(db, node):
    """One record in every table, requests and grievances in every status; return the pages to read."""
    hh = household(db, node)
    with core.write(db, node) as w:
        core.save(w, node, "persons", {"household_id": hh, "name": "王小红"})
        plot = core.save(w, node, "plots", {"household_id": hh, "name": "东坡", "area_mu": 1, "land_type": "dry"})
        core.save(w, node, "plantings", {"plot_id": plot, "crop": "玉米"})
        core.save(w, node, "livestock", {"household_id": hh, "species": "猪", "count": 2})
        core.save(w, node, "visits", {"household_id": hh, "visitor": "李", "kind": "elderly_care",
                                      "visited_on": "2025-05-01"})
        core.save(w, node, "announcements", {"title": {"zh_Hans": "通知", "ug": "ئۇقتۇرۇش"}})
        core.save(w, node, "market_prices", {"commodity": "稻谷", "unit": "公斤", "price": 2.8,
                                             "observed_on": "2025-05-01"})
    pages = ["/clerk/households", f"/clerk/households/{hh}", "/clerk/sync", "/clerk/new/households",
             f"/clerk/households/{hh}/edit", f"/clerk/households/{hh}/delete", f"/clerk/plots/{plot}/delete"]
    for table, flow in WORKFLOWS.items():
        for status in flow.statuses:
            if table == "service_requests":
                row, ticket = request_in(db, node, flow.path_to(status), household_id=hh)
            else:
                with core.write(db, node) as w:
                    row, ticket = submit(w, node, table, {"category": "road", "description": "路塌了"})
                    for move in flow.path_to(status):
                        change_status(w, node, table, row, move, "李")
            pages += [f"/clerk/{flow.queue}?status={status}", f"/clerk/{flow.queue}/{row}", f"/status?ticket={ticket}"]
    return pages


@pytest.mark.parametrize("lang", ["zh_Hans", "ug"])
def test_no_clerk_or_kiosk_page_shows_a_table_name_or_status_code(clerk, village, lang):
    for path in village:
        response = clerk.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
        assert response.status_code == 200, path
        shown = RAW.findall(visible(response.get_data(as_text=True)))
        assert not shown, (lang, path, shown)


@pytest.mark.parametrize("lang", ["zh_Hans", "ug"])
def test_a_refused_status_move_names_the_statuses_in_the_clerks_language(clerk, db, node, lang):
    row, _ticket = request_in(db, node)
    response = clerk.post(f"/clerk/requests/{row}/status", data={"status": "issued"}, query_string={"lang": lang})
    assert response.status_code == 409
    text = visible(response.get_data(as_text=True))
    assert not RAW.findall(text), RAW.findall(text)


def test_the_checker_sees_a_raw_identifier():
    assert RAW.findall(visible('<p>记录 <b>market_prices</b>: in_review</p><script>var s = "open";</script>')) == \
        ["market_prices", "in_review"]
