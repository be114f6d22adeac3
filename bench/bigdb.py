"""A village at scale for the page and memory benchmarks: 100,000 households, 300,000 persons, 200,000 plots."""
import random
import uuid

from dataset import farm_records
from sync.changelog import writing
from village.node import open_db
from village.ops.demo import populate
from village.node import init_node

AREA = "52/5201/520102/001"


def build(data_dir, households=100_000, persons_per=3, plots_per=2, chunk=5_000):
    """Create the node in `data_dir` and fill it through the one write path; return the node."""
    node = init_node(data_dir, "village", "红星村", AREA, "zh_Hans")
    db = open_db(node)
    populate(db, node, households=50)  # requests in every status, notices and prices, as a real village has
    rng = random.Random(5)
    hh, plots = farm_records(households, plots_per, AREA, seed=11)
    for start in range(0, households, chunk):
        with writing(db, node.node_id) as w:
            for h in hh[start:start + chunk]:
                w.put("households", h["id"], {k: v for k, v in h.items() if k != "id"})
                for m in range(persons_per):
                    w.put("persons", str(uuid.UUID(int=rng.getrandbits(128), version=4)), {
                        "household_id": h["id"], "area": AREA, "name": h["head_name"] if m == 0 else h["head_name"][0] + "小" + str(m),
                        "sex": rng.choice(["female", "male"]), "birth_date": f"{rng.randint(1940, 2020)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                        "id_number": h["id_number"][:-1] + str(m), "relation": "户主" if m == 0 else "子女", "lives_alone": 0})
            for p in plots[start * plots_per:(start + chunk) * plots_per]:
                w.put("plots", p["id"], {k: v for k, v in p.items() if k != "id"})
    db.execute("ANALYZE")
    db.close()
    return node
