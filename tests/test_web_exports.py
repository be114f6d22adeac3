"""The shared list export: XLSX headers in the page's language, ID numbers as text, dates as dates; CSV BOM."""
import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from village.web.exports import Column, csv_text, exported, xlsx_bytes
from village.web.i18n import lazy_gettext as _l

COLUMNS = (Column("id_number", _l("ID number"), "id"), Column("name", _l("Name")),
           Column("born", _l("Birth date"), "date"), Column("count", _l("Count"), "number"))
ROWS = [{"id_number": "520102198001011234", "name": "=HYPERLINK(\"http://x\")", "born": "1980-01-01", "count": 3},
        {"id_number": None, "name": "王芳", "born": "not a day", "count": 0}]


@pytest.fixture
def request_in(app):
    """Run the block inside a request to the app in `lang`."""
    def enter(lang, query=""):
        return app.test_request_context(f"/county/nodes?lang={lang}{query}")
    return enter


def test_xlsx_has_chinese_headers_text_ids_and_date_cells(request_in):
    with request_in("zh_Hans"):
        book = load_workbook(io.BytesIO(xlsx_bytes(COLUMNS, ROWS)))
    header, first, second = list(book.active.iter_rows())
    assert [c.value for c in header] == ["身份证号", "名字", "出生日期", "数量"]
    assert first[0].value == "520102198001011234" and first[0].data_type == "s"  # all 18 digits, as text
    assert first[2].is_date and first[2].value == datetime.datetime(1980, 1, 1)
    assert first[1].data_type == "s" and first[1].quotePrefix  # a text cell, never a formula
    assert first[3].value == 3 and first[3].data_type == "n"
    assert second[0].value is None and second[2].value == "not a day"  # an unreadable day kept as text


@pytest.mark.parametrize("encoding, bom", [("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")])
def test_csv_download_with_a_bom_or_in_gb18030(request_in, encoding, bom):
    with request_in("zh_Hans", f"&export=csv&encoding={encoding}"):
        response = exported("people", COLUMNS, ROWS)
    data = response.get_data()
    assert data.startswith(bom) and response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig" if bom else "gb18030"))))
    assert rows[0][0] == "身份证号" and rows[2][1] == "王芳" and rows[1][1].startswith("'=")


def test_no_export_asked_means_the_page_itself(request_in):
    with request_in("en", "&export=pdf"):
        assert exported("people", COLUMNS, ROWS) is None
    with request_in("ug"):
        assert csv_text(COLUMNS, ROWS).splitlines()[0] != "ID number,Name,Birth date,Count"
