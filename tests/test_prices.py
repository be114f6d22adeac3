"""The official price file (DOMAIN 5): every unit converted, a bad row refusing the whole file, GB18030, pages."""
from pathlib import Path

import pytest
from clerk_helpers import PASSWORD, login
from conftest import COUNTY_AREA, Village, local

from sync.changelog import last_seq
from village import create_app
from village.records import core, prices
from village.users import add_user

DATA = Path(__file__).parent / "data" / "prices"


@pytest.fixture
def hub(make_node, hub_engine):
    """A county hub, once on SQLite and once on PostgreSQL; returns (node, db, run the CLI)."""
    node, db = make_node(role="county", area=COUNTY_AREA, subdir="hub")
    return node, db, Village(node.data_dir)


def good_rows(tmp_path, name="good.csv"):
    """The all-units file without its bad last row."""
    path = tmp_path / name
    path.write_text("\n".join((DATA / "prices_all_units.csv").read_text(encoding="utf-8").splitlines()[:-1]) + "\n",
                    encoding="utf-8")
    return path


def by_name(db):
    return {(r["commodity"], r["observed_on"]): r for r in core.rows(db, "market_prices", order="id")}


def test_a_file_with_a_bad_row_is_refused_whole_with_the_rows_problem(hub):
    node, db, run = hub
    refused = run("prices", "import", str(DATA / "prices_all_units.csv"))
    assert refused.exit_code == 1
    assert "row 7, 平均价: The average 9.0 is outside the lowest and highest prices (6.0 to 8.0)." in refused.output
    assert "Nothing was imported" in refused.output
    assert db.execute("SELECT COUNT(*) FROM market_prices").fetchone()[0] == 0


def test_every_unit_is_stored_per_kilogram_and_a_second_import_changes_nothing(hub, tmp_path):
    node, db, run = hub
    done = run("prices", "import", str(good_rows(tmp_path)))
    assert done.exit_code == 0, done.output
    rows = by_name(db)
    assert {k: (r["price"], r["min_price"], r["max_price"], r["unit"]) for k, r in rows.items()} == {
        ("大白菜", "2025-06-01"): (1.5, 1.2, 1.8, "元/公斤"),  # 元/公斤
        ("土豆", "2025-06-01"): (2.4, 2.0, 2.8, "元/公斤"),  # 元/千克: the same
        ("苹果", "2025-06-01"): (8.0, 7.0, 9.0, "元/公斤"),  # 元/斤 × 2
        ("猪肉", "2025-06-01"): (25.0, 22.0, 26.0, "元/公斤"),  # 元/500克 × 2
        ("大白菜", "2025-06-02"): (1.6, 1.3, 1.9, "元/公斤"),  # 2025/6/2 read as a date
    }
    apple = rows[("苹果", "2025-06-01")]
    assert (apple["spec"], apple["market"], apple["origin"], apple["area"]) == ("富士 80#", "贵阳农产品物流园", "山东",
                                                                               COUNTY_AREA)
    before = last_seq(db)
    again = run("prices", "import", str(good_rows(tmp_path, "again.csv")))
    assert again.exit_code == 0 and "(0 new or changed)" in again.output
    assert last_seq(db) == before


@pytest.mark.parametrize("name", ["prices_gb18030.csv", "prices_bom.csv"])
def test_gb18030_and_byte_order_marked_files_are_read(hub, name):
    node, db, run = hub
    done = run("prices", "import", str(DATA / name))
    assert done.exit_code == 0, done.output
    assert ("大白菜", "2025-06-01") in by_name(db)
    assert ("GB18030" in done.output) == (name == "prices_gb18030.csv")


@pytest.mark.parametrize("line, says", [
    ("2025-13-01,市场,贵州,蔬菜,菠菜,,贵州,元/公斤,1,2,3", "is not a date"),
    ("2025-06-01,市场,贵州,蔬菜,菠菜,,贵州,元/两,1,2,3", "The unit “元/两” is not one of"),
    ("2025-06-01,,贵州,蔬菜,菠菜,,贵州,元/公斤,1,2,3", "市场: This is required."),
    ("2025-06-01,市场,贵州,蔬菜,菠菜,,贵州,元/公斤,1,abc,3", "“abc” is not a price."),
    ("2025-06-01,市场,贵州,蔬菜,菠菜,,贵州,元/公斤,1,-2,3", "“-2” is not a price."),
])
def test_each_kind_of_bad_row_is_named(hub, tmp_path, line, says):
    node, db, run = hub
    path = tmp_path / "bad.csv"
    path.write_text("日期,市场,省份,品类,品名,规格,产地,单位,最低价,平均价,最高价\n" + line + "\n", encoding="utf-8")
    refused = run("prices", "import", str(path))
    assert refused.exit_code == 1 and "row 2" in refused.output and says in refused.output, refused.output


def test_a_file_without_the_official_columns_is_refused(hub, tmp_path):
    node, db, run = hub
    path = tmp_path / "wrong.csv"
    path.write_text("commodity,price\n白菜,1.5\n", encoding="utf-8")
    refused = run("prices", "import", str(path))
    assert refused.exit_code == 1 and "The header has no column “日期”" in refused.output


def test_a_jump_of_more_than_three_times_is_a_warning_not_an_error(hub, tmp_path):
    node, db, run = hub
    assert run("prices", "import", str(good_rows(tmp_path))).exit_code == 0
    path = tmp_path / "jump.csv"
    path.write_text("日期,市场,省份,品类,品名,规格,产地,单位,最低价,平均价,最高价\n"
                    "2025-06-03,贵阳农产品物流园,贵州,蔬菜,大白菜,普通,贵州,元/公斤,5,6,7\n", encoding="utf-8")
    done = run("prices", "import", str(path))
    assert done.exit_code == 0 and "more than 3 times away from the last price, 1.6" in done.output


def test_prices_older_than_three_days_are_stale():
    import datetime

    today = datetime.date(2025, 6, 10)
    assert not prices.stale("2025-06-07", today) and prices.stale("2025-06-06", today)


def test_the_preview_page_shows_each_bad_row_and_saves_nothing_then_a_good_file_publishes(hub):
    node, db, _run = hub
    add_user(local(db), "county1", "county", PASSWORD)
    client = create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    assert login(client, "county1").status_code == 302
    with open(DATA / "prices_all_units.csv", "rb") as handle:
        bad = client.post("/county/prices/preview?lang=en", data={"file": (handle, "p.csv")},
                          content_type="multipart/form-data")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "1 rows have problems; nothing was saved" in page
    assert "The average 9.0 is outside" in page and "Publish these prices" not in page
    assert db.execute("SELECT COUNT(*) FROM market_prices").fetchone()[0] == 0
    with open(DATA / "prices_gb18030.csv", "rb") as handle:
        good = client.post("/county/prices/preview", data={"file": (handle, "p.csv")},
                           content_type="multipart/form-data")
    assert good.status_code == 200 and "Publish these prices" in good.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM market_prices").fetchone()[0] == 0  # a preview saves nothing
    content = prices.decode((DATA / "prices_gb18030.csv").read_bytes())[0]
    done = client.post("/county/prices/publish", data={"content": content}, follow_redirects=True)
    assert "Published 4 prices (4 new or changed)." in done.get_data(as_text=True)
    listed = client.get("/county/prices/").get_data(as_text=True)
    assert listed.count('<svg class="sparkline"') == 4 and "(not up to date)" in listed
