"""What the demo county's hub publishes, each through the function its command runs.

A week of market prices in the official file's shape (`village prices import`), an orange
rainstorm warning as a CAP 1.2 file (`village alert import`), the monitoring threshold and two
notices (`village announce`). The files are kept in the hub's data directory to look at.
"""
import csv
import datetime
import io
from xml.sax.saxutils import escape

from village.ops.demo_care import LINE
from village.records import alerts, core, prices
from village.records.files import ImportRefused

PRICE_FILE, ALERT_FILE = "demo-prices.csv", "demo-alert.xml"
PRICE_DAYS = 7
MARKETS = ("花溪农贸市场", "贵阳石板农产品批发市场")
# (category, name, spec, unit, low, high): prices of the official file, some per 斤 as markets write them.
PRODUCTS = [("粮油", "稻谷", "中籼稻", "元/公斤", 2.6, 3.0), ("粮油", "玉米", "黄玉米", "元/公斤", 2.2, 2.6),
            ("畜禽", "生猪", "外三元", "元/公斤", 14, 17), ("禽蛋", "鸡蛋", "散装", "元/斤", 4.5, 5.5),
            ("茶叶", "茶青", "一芽一叶", "元/公斤", 20, 60), ("水果", "脐橙", "统货", "元/500克", 2, 3.5),
            ("蔬菜", "白菜", "统货", "元/斤", 0.8, 1.4), ("蔬菜", "辣椒", "线椒", "元/公斤", 6, 9)]
NOTICES = [
    ("urgent", {"zh_Hans": "秋季动物防疫开始", "en": "Autumn animal vaccination starts",
                "ug": "كۈزلۈك ھايۋانلارغا ۋاكسىنا ئۇرۇش باشلاندى"},
     {"zh_Hans": "本周六在村委会为生猪、牛羊免费接种疫苗。", "en": "Free vaccination for pigs, cattle and sheep at the "
      "village committee on Saturday.", "ug": "شەنبە كۈنى كەنت كومىتېتىدا چارۋىلارغا ھەقسىز ۋاكسىنا ئۇرۇلىدۇ."}),
    ("normal", {"zh_Hans": "耕地地力保护补贴开始申报", "en": "Farmland protection subsidy applications open",
                "ug": "تېرىلغۇ يەرنى قوغداش ياردەم پۇلى ئىلتىماسى باشلاندى"},
     {"zh_Hans": "请携带身份证和承包合同到村级综合服务站办理。", "en": "Bring your ID card and land contract to the village "
      "service station.", "ug": "كىملىك ۋە ھۆددە توختامىڭىزنى ئېلىپ كەنت مۇلازىمەت پونكىتىغا كېلىڭ."}),
]


def publish_basics(db, hub, today):
    """Write the province's poverty line for this year and last, and the county's two notices."""
    now = datetime.datetime.now(datetime.timezone.utc)
    with core.write(db, hub) as writer:
        for year in (today.year - 1, today.year):
            core.save(writer, hub, "monitor_thresholds", {"year": year, "province": hub.area.split("/")[0],
                                                          "yuan_per_person": LINE})
        for priority, title, body in NOTICES:
            core.save(writer, hub, "announcements", {
                "title": title, "body": body, "priority": priority,
                "publish_at": (now - datetime.timedelta(hours=3)).isoformat(timespec="seconds"),
                "expires_at": (now + datetime.timedelta(days=7)).isoformat(timespec="seconds")})


def price_file(rng, today):
    """Return a week of prices (UTF-8 CSV bytes with a byte-order mark, as Chinese Excel saves it)."""
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow(["日期", "市场", "省份", "品类", "品名", "规格", "产地", "单位", "最低价", "平均价", "最高价"])
    for market in MARKETS:
        for category, name, spec, unit, low, high in PRODUCTS:
            price = rng.uniform(low, high)
            for ago in range(PRICE_DAYS - 1, -1, -1):
                price = min(high, max(low, price * rng.uniform(0.95, 1.05)))  # a believable day-to-day walk
                day = today - datetime.timedelta(days=ago)
                table.writerow([f"{day.year}/{day.month}/{day.day}", market, "贵州省", category, name, spec, "贵州",
                                unit, f"{price * 0.9:.2f}", f"{price:.2f}", f"{price * 1.1:.2f}"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def import_prices(db, hub, data):
    """Check and publish a price file as `village prices import` does (all or nothing); return how many rows."""
    checked = prices.check(db, data)
    if checked.problems:
        raise ImportRefused(checked.problems, len(checked.rows))
    prices.publish(db, hub, checked.rows)
    return len(checked.rows)


def alert_file(hub, now):
    """Return an orange rainstorm warning for the whole county as CAP 1.2 XML bytes."""
    code = hub.area.split("/")[-1]
    sent = now.astimezone(datetime.timezone(datetime.timedelta(hours=8))).replace(microsecond=0)
    expires = sent + datetime.timedelta(days=2)
    infos = [("zh-CN", "暴雨", f"{hub.name}气象台发布暴雨橙色预警", "预计未来12小时内将出现50毫米以上降雨，山区可能发生山洪和地质灾害。",
              "远离河道和山坡，转移到村委会等安全地点，不要涉水过河。"),
             ("ug", "قاتتىق يامغۇر", "قاتتىق يامغۇر ئاپېلسىن رەڭلىك ئاگاھلاندۇرۇشى",
              "كېيىنكى 12 سائەتتە 50 مىللىمېتىردىن ئارتۇق يامغۇر ياغىدۇ، تاغلىق رايونلاردا كەلكۈن يۈز بېرىشى مۇمكىن.",
              "دەريا ۋە تاغ يانباغرىدىن يىراق تۇرۇڭ، كەنت كومىتېتىغا ئوخشاش بىخەتەر جايغا يۆتكىلىڭ."),
             ("en-US", "Rainstorm", "Orange rainstorm warning",
              "More than 50 mm of rain expected within 12 hours; flash floods and landslides are possible in the hills.",
              "Keep away from rivers and slopes, move to a safe place such as the village committee, "
              "do not wade across streams.")]
    body = "".join(f"""
  <info>
    <language>{lang}</language><category>Met</category><event>{escape(event)}</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <effective>{sent.isoformat()}</effective><expires>{expires.isoformat()}</expires>
    <senderName>{escape(hub.name)}气象台</senderName>
    <headline>{escape(headline)}</headline><description>{escape(description)}</description>
    <instruction>{escape(instruction)}</instruction>
    <area><areaDesc>{escape(hub.name)}</areaDesc><geocode><valueName>GB/T 2260</valueName><value>{code}</value></geocode></area>
  </info>""" for lang, event, headline, description, instruction in infos)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{code}41600000_{sent:%Y%m%d%H%M%S}</identifier>
  <sender>{escape(hub.name)}气象台</sender>
  <sent>{sent.isoformat()}</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>{body}
</alert>
""".encode("utf-8")


def publish_week(db, hub, rng, now):
    """Import the week's price file and the rainstorm warning at the hub, keeping both files; return the alert's Outcome."""
    data = price_file(rng, now.date())
    (hub.data_dir / PRICE_FILE).write_bytes(data)
    import_prices(db, hub, data)
    xml = alert_file(hub, now)
    (hub.data_dir / ALERT_FILE).write_bytes(xml)
    return alerts.import_cap(db, hub, xml, actor="demo")
