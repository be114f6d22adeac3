"""The store contract, applying a batch: in bulk whatever its order, and exactly as one change at a time.

Run on SQLite and on PostgreSQL alike (`make_any_store`). `replies` hang under `notes` by a real
foreign key on both engines, so a reply inserted before its note fails there as it would on a node.
"""
import random

import pytest

from sync.batch import apply_changes
from sync.changelog import writing
from sync.clock import make_version
from sync.store import transaction

from .conftest import AREA

STAMP = 0x0190_0000_0000_0000
REPLIES = ("CREATE TABLE replies (id TEXT PRIMARY KEY, area TEXT NOT NULL, note_id TEXT NOT NULL REFERENCES notes (id), "
           "text TEXT, _version TEXT NOT NULL, _origin TEXT NOT NULL, _deleted INTEGER NOT NULL DEFAULT 0, "
           "_fv TEXT NOT NULL)")


def with_replies(store):
    """Return `store` with the synced table `replies` (each a child of a note) added."""
    with transaction(store) as tx:
        tx.execute(REPLIES)
    return store


def put(tbl, row_id, node, n, base=None, **data):
    """Return a change made at `node` (its n-th stamp) setting `data` on a record of `tbl`."""
    return {"tbl": tbl, "row_id": row_id, "version": make_version(STAMP + n, node), "op": "put", "data": data,
            "area": AREA, "prev_area": None, "base": base}


def delete(tbl, row_id, node, n):
    """Return a change made at `node` (its n-th stamp) deleting a record of `tbl`."""
    return dict(put(tbl, row_id, node, n), op="del", data={})


def family(i, node="n1"):
    """Return a new note and a new reply under it, as a node that wrote them one after the other sends them."""
    return [put("notes", f"note{i}", node, 2 * i + 1, area=AREA, text=f"note {i}"),
            put("replies", f"reply{i}", node, 2 * i + 2, area=AREA, note_id=f"note{i}", text=f"reply {i}")]


def state(store):
    """Return what a batch leaves behind: every row, the change log in order, and the conflicts recorded."""
    with store.snapshot() as tx:
        rows = {t: [tuple(r) for r in tx.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()]
                for t in ("notes", "replies")}
        log = [(c["seq"], c["tbl"], c["row_id"], c["version"], c["op"], c["data"], c["src"], c["base"])
               for c in tx.changes_after(0, 100_000)]
        conflicts = [{k: v for k, v in c.items() if k not in ("id", "recorded_at")} for c in tx.conflicts(10_000)]
    return rows, log, conflicts


def test_parents_and_children_alternating_go_in_one_insert_a_table(store, monkeypatch):
    with_replies(store)
    batch = [change for i in range(100) for change in family(i)]
    with transaction(store) as tx:
        tx_class = type(tx)
    calls = {"insert_rows": 0, "get_row": 0, "rows_by_id": 0, "known_versions": 0}
    for name in calls:
        real = getattr(tx_class, name)

        def counted(self, *args, _real=real, _name=name):
            calls[_name] += 1
            return _real(self, *args)
        monkeypatch.setattr(tx_class, name, counted)
    with writing(store, "hub") as writer:
        assert apply_changes(writer, batch, "n1") == 200
    # One insert a table, one probe of the versions, one of the rows a table, none per change.
    assert calls == {"insert_rows": 2, "get_row": 0, "rows_by_id": 2, "known_versions": 1}
    rows, log, _ = state(store)
    assert len(rows["notes"]) == len(rows["replies"]) == 100
    assert [(seq, row_id) for seq, _, row_id, *_ in log] == [(i + 1, c["row_id"]) for i, c in enumerate(batch)]


def test_a_child_whose_parent_comes_later_in_the_table_order_still_finds_it(store):
    # Each reply comes before its note in the batch: the notes are still inserted first.
    with_replies(store)
    batch = family(0)[::-1] + family(1)[::-1]
    with writing(store, "hub") as writer:
        assert apply_changes(writer, batch, "n1") == 4
    rows, log, _ = state(store)
    assert [r[0] for r in rows["replies"]] == ["reply0", "reply1"]
    assert [row_id for _, _, row_id, *_ in log] == ["reply0", "note0", "reply1", "note1"]  # logged as sent


def _same_record_twice():
    first, later = family(0), put("notes", "note0", "n2", 9, text="edited")
    losing = put("notes", "note0", "n3", 5, text="lost")  # older than n2's edit and not seen by it: a conflict
    return [], [first[0], later, first[1], losing, dict(later), *family(1)]


def _delete_in_the_middle():
    return [], [*family(0), delete("notes", "note0", "n2", 7), *family(1), put("replies", "reply0", "n1", 8,
                                                                                 text="after the delete"),
                put("notes", "note0", "n3", 6, text="older than the delete"), delete("replies", "reply1", "n1", 9)]


def _edits_of_stored_records():
    seen = {"text": make_version(STAMP + 1, "n1")}
    return family(0) + family(1), [put("notes", "note0", "n2", 20, base=seen, text="seen"), *family(2),
                                   put("notes", "note0", "n3", 15, text="unseen"),
                                   put("replies", "reply1", "n2", 21, text="edit"), delete("notes", "note1", "n3", 22),
                                   put("replies", "reply2", "n3", 23, text="edit of a new one")]


def _random_batch(seed=15, size=300):
    rng, stored, batch, stamps = random.Random(seed), [], [], iter(rng_stamps(seed))
    for i in range(20):
        stored += family(i)
    made = [(c["tbl"], c["row_id"]) for c in stored]
    for i in range(20, 20 + size):
        roll = rng.random()
        if roll < 0.4:
            batch += family(i, rng.choice(["n1", "n2"]))
            made += [("notes", f"note{i}"), ("replies", f"reply{i}")]
        elif roll < 0.75:
            tbl, row_id = rng.choice(made)
            base = {"text": rng.choice(batch + stored)["version"]} if rng.random() < 0.3 else None
            batch.append(put(tbl, row_id, rng.choice(["n1", "n2", "n3"]), next(stamps), base=base,
                             text=f"edit {i}"))
        elif roll < 0.85:
            batch.append(delete(*rng.choice(made), rng.choice(["n2", "n3"]), next(stamps)))
        else:
            batch.append(dict(rng.choice(batch or stored)))  # a change sent twice
    return stored, batch


def rng_stamps(seed):
    """Yield distinct stamps in a shuffled order (edits whose stamps disagree with their order in the batch)."""
    stamps = list(range(10_000, 20_000))
    random.Random(seed).shuffle(stamps)
    return stamps


@pytest.mark.parametrize("make_case", [_same_record_twice, _delete_in_the_middle, _edits_of_stored_records,
                                       _random_batch], ids=lambda f: f.__name__.strip("_"))
def test_a_batch_applied_in_bulk_leaves_what_one_change_at_a_time_leaves(make_any_store, make_case):
    stored, batch = make_case()
    one_by_one, in_bulk = with_replies(make_any_store("one")), with_replies(make_any_store("bulk"))
    for store in (one_by_one, in_bulk):
        with writing(store, "hub") as writer:
            for change in stored:
                writer.apply(change, "n1")
    with writing(one_by_one, "hub") as writer:
        expected = sum(writer.apply(dict(change), "n1") for change in batch)
    with writing(in_bulk, "hub") as writer:
        assert apply_changes(writer, batch, "n1") == expected
    (rows, log, conflicts), (rows_one, log_one, conflicts_one) = state(in_bulk), state(one_by_one)
    assert rows == rows_one and conflicts == conflicts_one
    # The same entries in the same order; SQLite's INSERT OR IGNORE of a version held already uses
    # up a seq one change at a time, which the bulk path never does.
    assert [entry[1:] for entry in log] == [entry[1:] for entry in log_one]
    assert [entry[0] for entry in log] == list(range(1, len(stored) + expected + 1))
    assert conflicts or make_case is _delete_in_the_middle


def test_a_batch_naming_an_unknown_field_writes_nothing(store):
    with_replies(store)
    batch = [*family(0), put("notes", "note1", "n1", 9, area=AREA, colour="red")]
    with pytest.raises(ValueError, match="notes.colour"):
        with writing(store, "hub") as writer:
            apply_changes(writer, batch, "n1")
    rows, log, _ = state(store)
    assert rows == {"notes": [], "replies": []} and log == []


def test_the_writer_names_the_rows_a_batch_created_not_those_it_merged_into(store):
    with writing(store, "hub") as writer:
        apply_changes(writer, [put("notes", "old", "n1", 1, area=AREA, text="first")], "n1")
    batch = [put("notes", "old", "n1", 2, text="edited"), put("notes", "new", "n1", 3, area=AREA, text="made"),
             put("notes", "twice", "n2", 4, area=AREA, text="made"), put("notes", "twice", "n2", 5, text="then")]
    with writing(store, "hub") as writer:
        apply_changes(writer, batch, "n1")
        # "twice" was inserted by this batch too (then changed by it: the caller counts its changes).
        assert writer.created == {("notes", "new"), ("notes", "twice")}
