"""The hybrid logical clock: persisted, monotonic under wall-clock jumps, merges peers."""
from sync.changelog import writing
from sync.clock import Clock, make_version, physical_ms, split_version
from village.records import core

YEAR_MS = 365 * 24 * 3600 * 1000
NOW_MS = 1_795_000_000_000  # late 2026


class Wall:
    """A wall clock a test can set."""

    def __init__(self, ms):
        self.ms = ms

    def __call__(self):
        return self.ms


def stamp(db, node, wall, code):
    with writing(db, node.node_id, wall=wall) as w:
        core.save(w, node, "households", {"code": code, "head_name": "王"})
    return db.execute("SELECT _version FROM households WHERE code = ?", [code]).fetchone()[0]


def test_versions_order_by_clock_then_node():
    assert make_version(5, "b") > make_version(5, "a") > make_version(4, "z")
    assert split_version(make_version(123456, "n1")) == (123456, "n1")


def test_clock_follows_the_wall_clock_when_it_moves_forward():
    wall = Wall(NOW_MS)
    clock = Clock(wall=wall)
    first = clock.now()
    wall.ms += 1000
    assert physical_ms(clock.now()) == NOW_MS + 1000 > physical_ms(first)


def test_same_millisecond_uses_the_counter():
    clock = Clock(wall=Wall(NOW_MS))
    a, b = clock.now(), clock.now()
    assert b == a + 1 and physical_ms(a) == physical_ms(b)


def test_a_wall_clock_reset_to_1970_never_makes_versions_go_back(node_db):
    node, db = node_db
    wall = Wall(NOW_MS)
    before = stamp(db, node, wall, "H1")
    wall.ms = 0
    after = [stamp(db, node, wall, f"H{n}") for n in range(2, 6)]
    assert before < after[0] < after[1] < after[2] < after[3]


def test_the_clock_survives_a_restart(node_db, tmp_path):
    from village.node import open_db

    node, db = node_db
    wall = Wall(NOW_MS)
    before = stamp(db, node, wall, "H1")
    db.close()
    reopened = open_db(node)
    wall.ms = NOW_MS - YEAR_MS  # the machine rebooted with a wrong clock
    assert stamp(reopened, node, wall, "H2") > before
    reopened.close()


def test_a_peer_far_ahead_is_merged_not_refused():
    wall = Wall(NOW_MS)
    clock = Clock(wall=wall)
    ahead = (NOW_MS + 10 * YEAR_MS) << 16
    skew = clock.observe(ahead)
    assert skew == 10 * YEAR_MS
    assert clock.now() > ahead


def test_a_node_whose_clock_jumps_ten_years_ahead_and_back_keeps_its_order(node_db):
    node, db = node_db
    wall = Wall(NOW_MS)
    versions = [stamp(db, node, wall, "H1")]
    wall.ms = NOW_MS + 10 * YEAR_MS
    versions.append(stamp(db, node, wall, "H2"))
    wall.ms = NOW_MS
    versions.append(stamp(db, node, wall, "H3"))
    assert versions == sorted(versions)
