"""The home page at /: the village's name, current announcements (emergencies first), prices."""
import datetime

from village.records import core

NOW = datetime.datetime.now(datetime.timezone.utc)


def announce(w, node, title, priority="normal", hours_left=24, area=None):
    values = {"title": {"en": title, "zh_Hans": title + "(中)"}, "body": {"en": "body of " + title},
              "priority": priority, "publish_at": (NOW - datetime.timedelta(hours=3)).isoformat(),
              "expires_at": (NOW + datetime.timedelta(hours=hours_left)).isoformat()}
    if area:
        values["area"] = area
    return core.save(w, node, "announcements", values)


def test_home_shows_the_name_current_notices_emergency_first_and_prices(node_db, client):
    node, db = node_db
    with core.write(db, node) as w:
        announce(w, node, "Road works")
        announce(w, node, "Flood warning", priority="emergency")
        announce(w, node, "Old news", hours_left=-2)
        core.save(w, node, "market_prices", {"commodity": "稻谷", "unit": "公斤", "price": 2.8,
                                             "observed_on": "2026-11-20", "market": "花溪"})
    html = client.get("/?lang=en").get_data(as_text=True)
    assert node.name in html
    assert html.index("Flood warning") < html.index("Road works")
    assert "Old news" not in html
    assert 'role="alert"' in html
    assert "稻谷" in html and "2.80" in html and "2026" in html


def test_home_shows_the_node_language_by_default(make_node):
    from village import create_app

    node, db = make_node(lang="zh_Hans")
    client = create_app({"NODE": node, "TESTING": True}).test_client()
    with core.write(db, node) as w:
        announce(w, node, "Market day")
    html = client.get("/").get_data(as_text=True)
    assert node.lang == "zh_Hans" and "Market day(中)" in html and 'lang="zh-Hans"' in html


def test_home_hides_announcements_for_other_villages_and_shows_county_wide_ones(make_node, hub_engine):
    from village import create_app

    county, cdb = make_node(role="county", area="52/5201/520102")
    with core.write(cdb, county) as w:
        announce(w, county, "County-wide", area="52/5201/520102")
        announce(w, county, "For village 002", area="52/5201/520102/002")
    from village.records.notices import current_announcements

    titles = [a["title"]["en"] for a in current_announcements(cdb, "52/5201/520102/001")]
    assert titles == ["County-wide"]
    client = create_app({"NODE": county, "TESTING": True}).test_client()
    assert "For village 002" in client.get("/?lang=en").get_data(as_text=True)
