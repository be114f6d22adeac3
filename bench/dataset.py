"""The benchmark's farm records: households and plots like a real village's, made reproducibly."""
import random
import uuid

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN = "建国秀英明华丽娟志强桂兰德福玉梅金凤海燕文军淑珍永红春花"
LAND = ("paddy", "dry", "orchard", "tea", "forest", "pond", "other")


def farm_records(households, plots_per_household, area, seed=1):
    """Return (households, plots) as lists of field dicts with ids, as a village would hold them."""
    rng = random.Random(seed)
    out_h, out_p = [], []
    for n in range(households):
        hid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out_h.append({"id": hid, "area": area, "code": f"HX{n:05d}",
                      "head_name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                      "id_number": f"520102{rng.randint(1940, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randrange(10000):04d}",
                      "phone": f"13{rng.randrange(10 ** 9):09d}", "address": f"红星村{rng.randint(1, 9)}组{rng.randint(1, 80)}号",
                      "members": rng.randint(1, 7), "monitoring_status": "none", "notes": ""})
        for p in range(plots_per_household):
            out_p.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "area": area, "household_id": hid,
                          "name": f"{rng.choice('东西南北')}坡{p + 1}号地", "area_mu": round(rng.uniform(0.3, 6), 2),
                          "land_type": rng.choice(LAND), "lat": round(26.5 + rng.random() / 10, 5),
                          "lon": round(106.6 + rng.random() / 10, 5), "notes": ""})
    return out_h, out_p
