"""The county lists' rows and links written in one call (village/county/shown.py, village/web/exports.py): the
same addresses url_for gives, every value escaped, whatever a village sent as an id or a name."""
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import request, url_for

from village.county.shown import rows_html
from village.web.links import link_for, row_link
from village.web.exports import export_urls

ODD = ["0b9f6c1e-3d", "a b", "x/y", "q?d=1&e", "#frag", "%41", "村 12", "<b>'\"", "..", "+1 2"]


@pytest.mark.parametrize("value", ODD)
def test_a_row_link_is_the_address_url_for_gives(app, value):
    with app.test_request_context("/county/steps"):
        assert link_for("clerk_cases.case", "row_id")(value) == url_for("clerk_cases.case", row_id=value)
        assert row_link("clerk_cases.case", "row_id")({"id": value}) == url_for("clerk_cases.case", row_id=value)
        assert row_link("clerk_cases.case", "row_id")({"id": ""}) is None


@pytest.mark.parametrize("value", ODD)
def test_a_link_with_the_value_in_its_query_reads_back_as_that_value(app, value):
    with app.test_request_context("/county/health"):
        address = link_for("county.listing", "age", name="requests", area="52/5201")(value)
        parts = urlsplit(address)
        assert parts.path == url_for("county.listing", name="requests") and not parts.fragment
        assert parse_qs(parts.query) == {"area": ["52/5201"], "age": [value]}
        assert address.startswith(url_for("county.listing", name="requests", area="52/5201") + "&age=")


def test_rows_escape_every_value_link_the_first_cell_and_mark_the_bad_ones(app):
    rows = [{"id": "c/1?x", "code": "<script>alert(1)</script>", "head_name": "王 & 李", "problems": ["late"]},
            {"id": None, "code": "HX2", "head_name": None, "problems": []}]
    with app.test_request_context("/county/lists/monitored?lang=en"):
        html = str(rows_html(("code", "head_name"), rows, row_link("clerk_cases.case", "row_id"), bad="problems"))
        first, second = html.split("</tr>")[:2]
        link = url_for("clerk_cases.case", row_id="c/1?x")
    assert first.startswith('<tr class="is-bad"><td><a href="' + link.replace("&", "&amp;") + '">')
    assert "&lt;script&gt;" in html and "<script>" not in html and "王 &amp; 李" in html
    assert second.startswith("<tr><td>HX2</td>") and 'class="none"' in second  # no id: no link; no name: a dash


@pytest.mark.parametrize("query, part", [("", None), ("?area=52%2F5201&page=3&export=csv&encoding=gb18030", None),
                                         ("?area=52/5201&lang=ug", "gaps"), ("?q=a%26b&part=care", "township")])
def test_the_three_download_links_are_the_addresses_url_for_gives(app, query, part):
    with app.test_request_context("/county/steps" + query):
        args = {k: v for k, v in request.args.items() if k not in ("export", "encoding", "page", "part")}
        with_part = {"part": part} if part else {}
        wanted = (url_for("county_steps.steps", **args, export="xlsx", **with_part),
                  url_for("county_steps.steps", **args, export="csv", **with_part),
                  url_for("county_steps.steps", **args, export="csv", encoding="gb18030", **with_part))
        assert export_urls(part) == wanted
