"""An alert from a CAP file reaches exactly the villages it names, shows on their kiosks, and its receipts come back.

A county hub and two villages, each a real node; the villages sync with the hub over real
HTTP on 127.0.0.1 (tests/sync_helpers.py). Kiosk, clerk and county pages are asked through
each node's own app.
"""
import datetime
from pathlib import Path

import pytest
from clerk_helpers import PASSWORD, login
from conftest import COUNTY_AREA, Village, local
from sync_helpers import enroll, serve_hub, sync

from sync.changelog import writing
from sync.quarantine import held
from village import create_app
from village.records import alerts, core, receipts
from village.records import county as figures_of
from village.records.receipt_rules import receipt_id
from village.users import add_user

CAP = Path(__file__).parent / "data" / "cap"
RED_STAR, WHITE_CLOUD = COUNTY_AREA + "/001", COUNTY_AREA + "/002"
FIRST = "52010241600000_20250601080000"

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


@pytest.fixture
def county(make_node, serve):
    """A hub serving two enrolled villages; returns a dict of nodes, databases and apps."""
    hub, hub_db, server = serve_hub(make_node, serve)
    red, red_db = make_node(area=RED_STAR, name="红星村", subdir="red")
    cloud, cloud_db = make_node(area=WHITE_CLOUD, name="白云村", subdir="cloud")
    enroll(hub, server, red, name="红星村")
    enroll(hub, server, cloud, name="白云村")
    add_user(local(hub_db), "county1", "county", PASSWORD)
    add_user(red_db, "clerk1", "clerk", PASSWORD)
    apps = {name: create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False})
            for name, node in (("hub", hub), ("red", red), ("cloud", cloud))}
    return {"hub": hub, "hub_db": hub_db, "red": red, "red_db": red_db, "cloud": cloud, "cloud_db": cloud_db,
            "apps": apps}


def receipt_at_hub(c, cap_id, area):
    return core.get(c["hub_db"], "alert_receipts", receipt_id(cap_id, area))


def county_page(c):
    client = c["apps"]["hub"].test_client()
    assert login(client, "county1").status_code == 302
    return client.get("/county/alerts/?lang=en").get_data(as_text=True)


def test_an_alert_reaches_only_its_village_shows_full_screen_and_its_receipts_come_back(county):
    c = county
    assert Village(c["hub"].data_dir)("alert", "import", str(CAP / "alert.xml")).exit_code == 0
    assert sync(c["red"]).exit_code == 0 and sync(c["cloud"]).exit_code == 0
    row_id = alerts.record_id(FIRST, RED_STAR)
    assert core.get(c["red_db"], "announcements", row_id) is not None
    assert c["cloud_db"].execute("SELECT COUNT(*) FROM announcements").fetchone()[0] == 0
    # Delivered: written by the village's sync round and sent up in the same round.
    receipt = receipt_at_hub(c, FIRST, RED_STAR)
    assert receipt["delivered_at"] and not receipt["displayed_at"]

    kiosk = c["apps"]["red"].test_client()
    shown = kiosk.get("/?lang=zh_Hans").get_data(as_text=True)
    assert "alert-screen colour-orange" in shown and "远离河道和山坡" in shown and "橙色预警" in shown
    home = kiosk.get(f"/?seen={row_id}&lang=en").get_data(as_text=True)
    assert "alert-screen" not in home and "Emergency" in home  # closed: the home, the alert still across the top
    assert "alert-screen" in kiosk.get("/reset", follow_redirects=True).get_data(as_text=True)
    assert "alert-screen" not in c["apps"]["cloud"].test_client().get("/").get_data(as_text=True)

    clerk = c["apps"]["red"].test_client()
    assert login(clerk).status_code == 302
    assert "Confirm we have taken note" in clerk.get("/clerk/alerts").get_data(as_text=True)
    assert clerk.post("/clerk/alerts/acknowledge", data={"announcement_id": row_id}).status_code == 302
    assert sync(c["red"]).exit_code == 0
    receipt = receipt_at_hub(c, FIRST, RED_STAR)
    assert receipt["displayed_at"] and receipt["acknowledged_at"] and receipt["acknowledged_by"] == "clerk1"
    page = county_page(c)
    assert "1 of 1 villages received it, 1 showed it on their kiosk, 1 confirmed it." in page
    assert "Not reached yet" not in page


def test_the_county_page_names_the_villages_not_reached_yet(county):
    c = county
    hub_client = c["apps"]["hub"].test_client()
    assert login(hub_client, "county1").status_code == 302
    written = hub_client.post("/county/alerts/new", data={
        "headline": "山洪预警", "instruction": "撤离到学校", "description": "", "severity": "Extreme",
        "area": COUNTY_AREA, "hours": "12"})
    assert written.status_code == 302, written.get_data(as_text=True)
    page = county_page(c)
    assert "0 of 2 villages received it" in page and "Not reached yet: 红星村、白云村" in page
    assert sync(c["red"]).exit_code == 0
    page = county_page(c)
    assert "1 of 2 villages received it" in page and "Not reached yet: 白云村" in page
    # An update sent after: the receipts of the first message do not count for it.
    key = c["hub_db"].execute("SELECT alert_key FROM announcements").fetchone()[0]
    update = (CAP / "update.xml").read_text().replace(FIRST, key).replace("520102001000", "520102")
    path = Path(c["hub"].data_dir) / "update.xml"
    path.write_text(update)
    assert Village(c["hub"].data_dir)("alert", "import", str(path)).exit_code == 0
    assert "0 of 2 villages received it" in county_page(c)


def test_a_bad_written_alert_shows_the_form_again_and_saves_nothing(county):
    c = county
    client = c["apps"]["hub"].test_client()
    assert login(client, "county1").status_code == 302
    answer = client.post("/county/alerts/new?lang=en", data={"headline": "", "severity": "Purple",
                                                             "area": "52/5201/520111", "hours": "999"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for said in ("Write what the alert is about.", "Choose the warning", "Choose where to send it.", "from 1 to 168"):
        assert said in page
    assert c["hub_db"].execute("SELECT COUNT(*) FROM announcements").fetchone()[0] == 0


def test_a_written_alert_shown_again_keeps_where_it_was_sent_and_lists_every_place(county):
    c = county
    client = c["apps"]["hub"].test_client()
    assert login(client, "county1").status_code == 302
    answer = client.post("/county/alerts/new?lang=en", data={"headline": "", "severity": "Extreme",
                                                             "area": WHITE_CLOUD, "hours": "6"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and page.count(" selected>") == 2  # the colour and the place chosen
    assert f'<option value="{WHITE_CLOUD}" selected>白云村 ({WHITE_CLOUD})</option>' in page
    assert f'<option value="{RED_STAR}">红星村 ({RED_STAR})</option>' in page
    assert f'<option value="{COUNTY_AREA}">' in page


def test_a_village_cannot_report_on_an_alert_sent_to_another(county):
    c = county
    assert Village(c["hub"].data_dir)("alert", "import", str(CAP / "alert.xml")).exit_code == 0
    assert sync(c["red"]).exit_code == 0
    # 白云村 never received the alert; a doctored node writes a receipt for it all the same.
    forged = receipt_id(FIRST, WHITE_CLOUD)
    c["cloud_db"].execute("PRAGMA foreign_keys = OFF")  # the alert is not held there: a doctored node writes anyway
    with writing(c["cloud_db"], c["cloud"].node_id) as writer:
        writer.put("alert_receipts", forged, {"announcement_id": alerts.record_id(FIRST, RED_STAR), "cap_id": FIRST,
                                              "acknowledged_at": "2025-06-01T00:00:00+00:00", "area": WHITE_CLOUD})
    sync(c["cloud"])
    assert core.get(c["hub_db"], "alert_receipts", forged) is None
    [kept] = held(c["hub_db"])
    assert kept["row_id"] == forged and "not sent to area" in kept["message"]


def test_an_uploaded_cap_file_is_imported_and_a_hostile_one_is_shown_refused(county):
    c = county
    client = c["apps"]["hub"].test_client()
    assert login(client, "county1").status_code == 302
    with open(CAP / "xxe.xml", "rb") as handle:
        refused = client.post("/county/alerts/import?lang=en", data={"file": (handle, "xxe.xml")},
                              content_type="multipart/form-data")
    assert refused.status_code == 422 and "DTD or entities" in refused.get_data(as_text=True)
    with open(CAP / "alert.xml", "rb") as handle:
        done = client.post("/county/alerts/import", data={"file": (handle, "alert.xml")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Alert published to 52/5201/520102/001" in done.get_data(as_text=True)
    assert core.get(c["hub_db"], "announcements", alerts.record_id(FIRST, RED_STAR)) is not None


def test_an_alert_carried_by_usb_bundle_is_reported_delivered_in_the_next_bundle(county, tmp_path):
    c = county
    assert Village(c["hub"].data_dir)("alert", "import", str(CAP / "alert.xml")).exit_code == 0
    village, hub = Village(c["red"].data_dir), Village(c["hub"].data_dir)
    assert village("bundle", "export", "--out", str(tmp_path / "push.bundle")).exit_code == 0
    assert hub("bundle", "import", str(tmp_path / "push.bundle"), "--reply", str(tmp_path / "reply.bundle")).exit_code == 0
    assert village("bundle", "import", str(tmp_path / "reply.bundle")).exit_code == 0
    assert core.get(c["red_db"], "alert_receipts", receipt_id(FIRST, RED_STAR))["delivered_at"]
    assert receipt_at_hub(c, FIRST, RED_STAR) is None
    assert village("bundle", "export", "--out", str(tmp_path / "next.bundle")).exit_code == 0
    assert hub("bundle", "import", str(tmp_path / "next.bundle")).exit_code == 0
    assert receipt_at_hub(c, FIRST, RED_STAR)["delivered_at"]


def test_the_overview_counts_the_villages_that_acknowledged_by_hand(county):
    """Two villages reached by one county-wide alert; both deliver, 红星村 alone shows and confirms it."""
    c = county
    whole = (CAP / "alert.xml").read_bytes().replace(b"520102001", b"520102")
    alerts.import_cap(c["hub_db"], c["hub"], whole)
    with core.write(c["hub_db"], c["hub"]) as w:  # an emergency notice of no CAP message asks for no receipt
        core.save(w, c["hub"], "announcements", {"title": {"en": "Dam check"}, "priority": "emergency"})
    now = datetime.datetime.now(datetime.timezone.utc)
    assert figures_of.overview(c["hub_db"], COUNTY_AREA, now.date(), now)["alerts_acknowledged"] == 0  # none confirmed yet
    assert figures_of.alert_reach(c["hub_db"], COUNTY_AREA, now)["villages"] == 2
    assert sync(c["red"]).exit_code == 0 and sync(c["cloud"]).exit_code == 0
    receipts.note(c["red_db"], c["red"], "acknowledged_at", actor="clerk1")
    assert sync(c["red"]).exit_code == 0
    figures = figures_of.overview(c["hub_db"], COUNTY_AREA, now.date(), now)
    assert figures["alert_reach"] == {"villages": 2, "delivered_at": 2, "displayed_at": 1, "acknowledged_at": 1}
    assert figures["alerts_acknowledged"] == 50
    assert figures_of.acknowledged_share(c["hub_db"], RED_STAR, now) == 100
    assert figures_of.acknowledged_share(c["hub_db"], WHITE_CLOUD, now) == 0
    later = now + datetime.timedelta(days=365 * 80)  # past the alert's expiry: nothing active to acknowledge
    assert figures_of.acknowledged_share(c["hub_db"], COUNTY_AREA, later) is None
    client = c["apps"]["hub"].test_client()
    assert login(client, "county1").status_code == 302
    page = client.get("/county/?lang=en").get_data(as_text=True)
    assert "Acknowledged by 50 % of villages" in page
    assert "Of 2 villages reached: 2 delivered, 1 displayed, 1 acknowledged" in page
    assert f'href="/county/alerts/?area={COUNTY_AREA}"' in page
