"""Every county list exported as shown: the XLSX read back with openpyxl and the CSV with the `csv` module hold
the page's rows under the page's headings (ID codes as text cells, dates as date cells)."""
import csv
import datetime
import io
import json
from html.parser import HTMLParser

import pytest
from clerk_helpers import PASSWORD, login
from conftest import COUNTY_AREA, VILLAGE_AREA, local
from openpyxl import load_workbook
from test_county import county_hub  # noqa: F401  (the fixture: a village synced its hand-counted records)

from sync.clock import utc_text
from sync.server import add_node
from sync.store import transaction
from village import create_app
from village.records import alerts as alert_records, prices as price_records
from village.records.terms import PRICE_UNIT
from village.users import add_user

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

QUIET_AREA = COUNTY_AREA + "/002"


class Tables(HTMLParser):
    """The tables of class "list" on a page: {the id of the h2 before it ("" if none): (headings, rows of cell text)}."""

    def __init__(self, html):
        super().__init__()
        self.tables, self.heading, self.current, self.row, self.cell, self.in_head = {}, "", None, None, None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2":
            self.heading = attrs.get("id", "")
        elif tag == "table" and "list" in (attrs.get("class") or "").split():
            self.current = self.tables.setdefault(self.heading, ([], []))
        elif self.current is not None and tag == "thead":
            self.in_head = True
        elif self.current is not None and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        elif tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            (self.current[0] if self.in_head else self.current[1]).append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_table(text, heading):
    """Return (headings, rows) of the list under `heading` on the page; the last heading row names the columns."""
    heads, rows = Tables(text).tables[heading]
    if len(heads) == 2:  # the completeness matrix: a month's heading spans its measures' columns
        first, measures = heads
        return first[:2] + [f"{m} · {measure}" for i, m in enumerate(first[2:])
                            for measure in measures[2 * i:2 * i + 2]], rows
    return heads[-1], rows


@pytest.fixture
def county_page(county_hub):  # noqa: F811
    """A county user's client of a hub holding every list: the village's records, a silent village, an alert, prices."""
    hub, hub_db, node, db, link, made = county_hub
    link2, _code = add_node(hub_db, "青山村", QUIET_AREA, COUNTY_AREA)
    with transaction(hub_db) as tx:
        tx.execute("UPDATE nodes SET enrolled_at = ?, last_seen = ? WHERE node_id = ?",
                   [utc_text(), "2024-01-01T00:00:00Z", link2])
    alert_records.compose(hub_db, hub, "山洪预警", "", "远离河道", "Severe", COUNTY_AREA, 12, "zh_Hans", actor="county1")
    day = datetime.date.today()
    rows = [{"observed_on": (day - datetime.timedelta(days=d)).isoformat(), "market": "贵阳市场", "commodity": name,
             "spec": "一级", "price": price, "min_price": price - 1, "max_price": price + 1, "row": 2,
             "unit": PRICE_UNIT, "currency": "CNY"}
            for d, (name, price) in enumerate([("大白菜", 3.2), ("辣椒", 12.0), ("大米", 5.6)] * 2)]
    price_records.publish(hub_db, hub, [{**r, "id": price_records.price_id(r)} for r in rows])
    app = create_app({"NODE": hub, "TESTING": True, "WTF_CSRF_ENABLED": False})
    add_user(local(hub_db), "county1", "county", PASSWORD)
    client = app.test_client()
    assert login(client, "county1").status_code == 302
    return client


def matches(page_cell, value):
    """Say whether an exported value is what the page's cell shows."""
    if value is None:
        return page_cell in ("", "–", "—")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return str(value.year) in page_cell and str(value.day) in page_cell
    if isinstance(value, (int, float)):
        return f"{value:g}" in page_cell.replace(",", "")
    return value in page_cell


AREA_HEADINGS = ("区划代码", "所属区域")  # "Area code", "Area"
DATE_HEADINGS = ("最近联系", "提交日期", "起始时间", "预警登记", "应访日期")  # Last contact, Submitted, Since, Lead, Due
# (page, ?part= of a page with several lists, the h2 above its table on the page)
LISTS = [("/county/lists/requests", None, ""), ("/county/lists/requests?age=0-3", None, ""),
         ("/county/lists/grievances", None, ""), ("/county/lists/late-cases", None, ""),
         ("/county/lists/overdue-elders", None, ""), ("/county/lists/stale-villages", None, ""),
         ("/county/lists/alerts", None, ""), ("/county/lists/prices", None, ""),
         ("/county/health", None, ""), ("/county/health/phone", None, ""), ("/county/completeness", None, ""),
         ("/county/steps", "township", "queue-township"), ("/county/steps", "care", "care"),
         ("/county/alerts/", None, "alert-1"), ("/county/prices/", None, "")]


@pytest.mark.parametrize("path, part, heading", LISTS)
def test_every_county_list_exports_the_rows_shown(county_page, path, part, heading):
    glue = "&" if "?" in path else "?"
    page = county_page.get(path + glue + "lang=zh_Hans")
    assert page.status_code == 200
    headings, rows = page_table(page.text, heading)
    assert rows, "the list holds rows to compare"
    extra = f"&part={part}" if part else ""
    answer = county_page.get(f"{path}{glue}lang=zh_Hans&export=xlsx{extra}")
    assert answer.status_code == 200 and answer.headers["Content-Disposition"].startswith("attachment")
    sheet = list(load_workbook(io.BytesIO(answer.data)).active.iter_rows())
    exported = [[c.value for c in row] for row in sheet[1:]]
    names = [c.value for c in sheet[0]]
    assert len(exported) == len(rows)
    shared = [(i, headings.index(name)) for i, name in enumerate(names) if name in headings]
    assert len(shared) >= min(3, len(headings)) and ord(names[0][0]) > 0x2e80  # headed in Chinese
    for got, shown in zip(exported, rows):
        for i, j in shared:
            assert matches(shown[j], got[i]), (names[i], shown[j], got[i])
    checked = 0
    for column, name in enumerate(names):  # area codes stay text, every date a date cell
        cells = [row[column] for row in sheet[1:] if row[column].value is not None]
        if name in AREA_HEADINGS:
            assert all(c.data_type == "s" and "/" in c.value for c in cells)
            checked += len(cells)
        if name in DATE_HEADINGS:
            assert all(c.is_date for c in cells)
    text = county_page.get(f"{path}{glue}lang=zh_Hans&export=csv{extra}").data
    assert text.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert read[0] == names and len(read) == len(sheet)
    assert [r[i] for r in read[1:] for i, _ in shared if names[i] in AREA_HEADINGS] == \
        [str(r[i]) for r in exported for i, _ in shared if names[i] in AREA_HEADINGS]
    assert checked or path in ("/county/completeness", "/county/lists/prices", "/county/prices/") or part == "care"


def test_a_long_list_is_paged_and_its_export_holds_every_row(county_page, county_hub):  # noqa: F811
    hub, hub_db = county_hub[:2]
    day = datetime.date.today()
    rows = [{"observed_on": (day - datetime.timedelta(days=i % 20)).isoformat(), "market": "市场", "commodity": f"品{i:03d}",
             "spec": None, "price": 1.0 + i, "min_price": None, "max_price": None, "row": 2, "unit": PRICE_UNIT,
             "currency": "CNY"} for i in range(230)]
    price_records.publish(hub_db, hub, [{**r, "id": price_records.price_id(r)} for r in rows])
    first = county_page.get("/county/prices/?lang=en")
    assert len(page_table(first.text, "")[1]) == 100 and "133 more on the other pages" in first.text
    last = county_page.get("/county/prices/?lang=en&page=99")  # past the end: the last page
    assert len(page_table(last.text, "")[1]) == 33
    assert "品002" in county_page.get("/county/prices/?page=1").text and "品232" not in first.text
    book = load_workbook(io.BytesIO(county_page.get("/county/prices/?page=2&export=xlsx").data))
    assert book.active.max_row == 1 + 233


def test_gb18030_on_request_and_steps_refuse_an_unknown_part(county_page):
    data = county_page.get("/county/health?lang=zh_Hans&export=csv&encoding=gb18030").data
    read = list(csv.reader(io.StringIO(data.decode("gb18030"))))
    assert read[0][0] == "村" or read[0][0].startswith("村") and any(VILLAGE_AREA == r[1] for r in read[1:])
    assert county_page.get("/county/steps?export=xlsx&part=../../etc").status_code == 404
    assert json.dumps(read, ensure_ascii=False).count("青山村") == 1


def test_the_matrix_downloads_under_its_months_in_the_language_asked_even_after_another(county_page):
    county_page.get("/county/completeness?lang=en")  # the matrix counted, its figures kept, in English
    read = list(csv.reader(io.StringIO(county_page.get("/county/completeness?lang=zh_Hans&export=csv").data
                                       .decode("utf-8-sig"))))
    assert read[0][:2] == ["村", "目标"] and read[0][2].endswith(" · 回访") and read[0][3].endswith(" · 老人探访")
    english = county_page.get("/county/completeness?lang=en&export=csv").data.decode("utf-8-sig")
    assert english.splitlines()[0].startswith("Village,Goal,") and " · Follow-ups" in english.splitlines()[0]
