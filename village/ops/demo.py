"""A realistic demo village: families, fields, animals, requests, notices, prices, monitoring and care."""
import datetime
import random

from sync.clock import utc_now
from village.ops.demo_care import populate_care
from village.records import core
from village.records.services import change_status, submit
from village.records.workflows import GRIEVANCES, REQUESTS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN = "建国秀英明华丽娟志强桂兰德福玉梅金凤海燕文军淑珍永红春花国庆小龙"
CROPS = [("水稻", "paddy", "杂交稻"), ("玉米", "dry", "黄玉米"), ("茶叶", "tea", "福鼎白茶"),
         ("柑橘", "orchard", "脐橙"), ("马铃薯", "dry", "合作88"), ("油菜", "dry", "甘蓝型")]
SPECIES = ["猪", "牛", "羊", "鸡", "鸭"]
SEXES = ["female", "male"]
SCHOOL_AGES = [(2, "not_in_school"), (5, "preschool"), (11, "primary"), (14, "junior"), (17, "senior"),
               (21, "higher")]


def _name(rng):
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))


def _id_number(rng, birth):
    return f"520102{birth:%Y%m%d}{rng.randrange(1000):03d}{rng.choice('0123456789X')}"


def _born(rng, year):
    return datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))


def _family(rng, today):
    """Return [(relation, birth date, sex)] of a household, the head first, with ages that fit together."""
    head_year = rng.randint(1944, 1992)
    head_sex = rng.choices(["male", "female"], [80, 20])[0]
    other = "female" if head_sex == "male" else "male"
    family = [("户主", _born(rng, head_year), head_sex)]
    if rng.random() < .85:
        family.append(("配偶", _born(rng, head_year + rng.randint(-3, 5)), other))
    for _ in range(rng.choice((0, 1, 2, 2, 3))):
        year = head_year + rng.randint(21, 38)
        if year < today.year:
            family.append(("子女", _born(rng, year), rng.choice(["female", "male"])))
    children = [birth.year for relation, birth, _sex in family if relation == "子女"]
    if children and min(children) + 22 < today.year and rng.random() < .4:
        family.append(("孙子女", _born(rng, rng.randint(min(children) + 22, today.year - 1)), rng.choice(SEXES)))
    if head_year >= 1968 and rng.random() < .5:
        family.append(("父母", _born(rng, head_year - rng.randint(22, 34)), rng.choice(SEXES)))
    return family


def _situation(rng, birth, today):
    """Return a person's labour capacity, health, school stage and work, as their age makes likely."""
    age = (today - birth).days // 365
    school = next((stage for upto, stage in SCHOOL_AGES if age <= upto), "not_in_school")
    if age < 16 or age >= 75:
        labour = "no_labour"
    else:
        labour = rng.choices(["full", "partial", "no_labour"], [80, 15, 5] if age < 60 else [20, 60, 20])[0]
    work = "no_work" if labour == "no_labour" or school != "not_in_school" else \
        rng.choice(["farming", "farming", "local_work", "migrant_work", "self_employed"])
    health = rng.choices(["healthy", "chronic", "serious"], [85, 12, 3] if age < 60 else [50, 40, 10])[0]
    return {"labour_capacity": labour, "school_stage": school, "work": work, "health": health}


def populate(db, node, households=200, seed=7):
    """Fill `node`'s database with a demo village on its own; return how many records of each kind."""
    return _fill(db, node, households, seed, hub_fed=False)[0]


def populate_enrolled(db, node, households=40, seed=7):
    """Fill the database of a demo village enrolled at a hub; return (how many of each kind, {case id: plan}).

    Announcements, prices and monitoring thresholds come from the hub, and the cases stop at the
    village's own steps: the demo county takes the rest (`village.ops.demo_county`).
    """
    return _fill(db, node, households, seed, hub_fed=True)


def _handed_in(i, seed):
    """Return when the i-th request of a county's demo village was handed in: from today to 3 weeks ago."""
    return (utc_now() - datetime.timedelta(days=(i * 7 + seed) % 23, hours=i % 9)).isoformat(timespec="seconds")


def _fill(db, node, households, seed, hub_fed):
    rng = random.Random(seed)
    today = datetime.date.today()
    counts = dict.fromkeys(["households", "persons", "plots", "plantings", "livestock", "service_requests",
                            "grievances", "visits", "announcements", "market_prices", "monitor_cases", "measures",
                            "elder_profiles"], 0)
    with core.write(db, node) as w:
        for n in range(1, households + 1):
            head = _name(rng)
            family = _family(rng, today)
            hh = core.save(w, node, "households", {
                "code": f"HX{n:04d}", "head_name": head, "phone": f"13{rng.randrange(10**9):09d}",
                "id_number": _id_number(rng, family[0][1]),
                "address": f"{node.name}{rng.randint(1, 8)}组{rng.randint(1, 60)}号", "members": len(family),
                "monitoring_status": rng.choices(["none", "watch", "at_risk", "supported"], [80, 10, 5, 5])[0],
                "notes": ""})
            counts["households"] += 1
            for m, (relation, birth, sex) in enumerate(family):
                core.save(w, node, "persons", {
                    "household_id": hh, "name": head if m == 0 else head[0] + "".join(rng.sample(GIVEN, 2)),
                    "sex": sex, "birth_date": birth.isoformat(), "id_number": _id_number(rng, birth),
                    "relation": relation, "lives_alone": len(family) == 1,
                    "disability": rng.choices(["", "肢体残疾", "视力残疾"], [90, 5, 5])[0],
                    **_situation(rng, birth, today)})
                counts["persons"] += 1
            for p in range(rng.randint(1, 3)):
                crop, land, variety = rng.choice(CROPS)
                plot = core.save(w, node, "plots", {
                    "household_id": hh, "name": f"{rng.choice('东西南北')}坡{p + 1}号地",
                    "area_mu": round(rng.uniform(0.3, 6), 2), "land_type": land,
                    "lat": round(26.5 + rng.uniform(0, .1), 5), "lon": round(106.6 + rng.uniform(0, .1), 5)})
                counts["plots"] += 1
                planted = today - datetime.timedelta(days=rng.randint(60, 300))
                harvested = planted + datetime.timedelta(days=rng.randint(90, 150))
                done = harvested <= today
                core.save(w, node, "plantings", {
                    "plot_id": plot, "season": f"{planted.year}春" if planted.month < 7 else f"{planted.year}秋",
                    "crop": crop, "variety": variety, "planted_on": planted.isoformat(),
                    "harvested_on": harvested.isoformat() if done else None,
                    "yield_kg": round(rng.uniform(200, 2000), 1) if done else None, "inputs": "复合肥 50kg"})
                counts["plantings"] += 1
            if rng.random() < .6:
                core.save(w, node, "livestock", {"household_id": hh, "species": rng.choice(SPECIES),
                                                "count": rng.randint(1, 30),
                                                "vaccinated_on": (today - datetime.timedelta(days=rng.randint(5, 200))).isoformat()})
                counts["livestock"] += 1
            if rng.random() < .3:
                core.save(w, node, "visits", {
                    "household_id": hh, "visitor": "驻村工作队 " + _name(rng),
                    "kind": "poverty_monitoring",
                    "visited_on": (today - datetime.timedelta(days=rng.randint(1, 90))).isoformat(),
                    "answers": {"income_per_person": rng.randint(6000, 20000), "major_spending": rng.randint(0, 20000),
                                "medical_secure": rng.random() < .8},
                    "risk_level": rng.choices(["none", "low", "medium", "high"], [60, 20, 15, 5])[0],
                    "follow_up": rng.choice(["", "下月回访", "协助申请医疗救助"])})
                counts["visits"] += 1
        paths = {status: REQUESTS.path_to(status) for status in REQUESTS.statuses}
        kinds = ["residence_certificate", "subsidy", "land_certificate", "other"]
        for i, (final, steps) in enumerate([*paths.items()] * 3):
            row, _ticket = submit(w, node, "service_requests", {
                "applicant_name": _name(rng), "applicant_phone": f"13{rng.randrange(10**9):09d}",
                "kind": kinds[i % 4], "details": "申请办理" + ["居住证明", "耕地地力保护补贴", "土地确权证书", "低保复核"][i % 4]},
                at=_handed_in(i, seed) if hub_fed else None)
            for step in steps:
                change_status(w, node, "service_requests", row, step, "clerk", "已核实材料" if step == "approved" else "")
            counts["service_requests"] += 1
        for i, (category, text) in enumerate([("road", "3组通组路塌方\uff0c车辆无法通行"), ("water", "自来水浑浊已两天"),
                                              ("power", "晚上经常停电"), ("health", "卫生室缺少降压药"),
                                              ("land", "邻居占用承包地边界"), ("other", "村口路灯不亮")]):
            row, _ticket = submit(w, node, "grievances", {"category": category, "description": text,
                                                          "location": f"{i + 1}组", "reporter": "" if i % 2 else _name(rng)},
                                 at=_handed_in(i * 3, seed) if hub_fed else None)
            for step in GRIEVANCES.path_to("closed")[: i % 4]:
                change_status(w, node, "grievances", row, step, "clerk", "已派人处理")
            counts["grievances"] += 1
        if not hub_fed:
            _notices_and_prices(w, node, rng, today, counts)
        plans = populate_care(w, node, rng, today, counts, hub_fed)
    return counts, plans


def _notices_and_prices(w, node, rng, today, counts):
    """Write a village's own notices and prices (a village with a hub receives the hub's instead)."""
    now = utc_now()
    for priority, title, body in [
        ("emergency", {"zh_Hans": "暴雨红色预警", "en": "Red rainstorm warning", "ug": "قىزىل بوران-يامغۇر ئاگاھلاندۇرۇشى"},
         {"zh_Hans": "今夜到明天有特大暴雨\uff0c请远离河道和山坡\uff0c转移到村委会避险。", "en": "Torrential rain tonight and tomorrow: keep away from rivers and slopes; shelter at the village committee.",
          "ug": "بۈگۈن كەچتىن ئەتىگىچە قاتتىق يامغۇر ياغىدۇ، دەريا ۋە يانتۇلاردىن يىراق تۇرۇڭ."}),
        ("urgent", {"zh_Hans": "秋季动物防疫开始", "en": "Autumn animal vaccination starts", "ug": "كۈزلۈك ھايۋانلارغا ۋاكسىنا ئۇرۇش باشلاندى"},
         {"zh_Hans": "本周六在村委会为生猪、牛羊免费接种疫苗。", "en": "Free vaccination for pigs, cattle and sheep at the village committee on Saturday.",
          "ug": "شەنبە كۈنى كەنت كومىتېتىدا چارۋىلارغا ھەقسىز ۋاكسىنا ئۇرۇلىدۇ."}),
        ("normal", {"zh_Hans": "耕地地力保护补贴开始申报", "en": "Farmland protection subsidy applications open", "ug": "تېرىلغۇ يەرنى قوغداش ياردەم پۇلى ئىلتىماسى باشلاندى"},
         {"zh_Hans": "请携带身份证和承包合同到村级综合服务站办理。", "en": "Bring your ID card and land contract to the village service station.",
          "ug": "كىملىك ۋە ھۆددە توختامىڭىزنى ئېلىپ كەنت مۇلازىمەت پونكىتىغا كېلىڭ."}),
    ]:
        core.save(w, node, "announcements", {"title": title, "body": body, "priority": priority,
                                             "publish_at": (now - datetime.timedelta(hours=2)).isoformat(),
                                             "expires_at": (now + datetime.timedelta(days=7)).isoformat()})
        counts["announcements"] += 1
    for commodity, unit, low, high in [("稻谷", "公斤", 2.6, 3.0), ("玉米", "公斤", 2.2, 2.6), ("生猪", "公斤", 14, 17),
                                       ("鸡蛋", "公斤", 9, 11), ("茶青", "公斤", 20, 60), ("脐橙", "公斤", 4, 7)]:
        for days in (7, 0):
            core.save(w, node, "market_prices", {
                "commodity": commodity, "unit": unit, "price": round(rng.uniform(low, high), 2), "currency": "CNY",
                "market": "花溪农贸市场", "observed_on": (today - datetime.timedelta(days=days)).isoformat()})
            counts["market_prices"] += 1
