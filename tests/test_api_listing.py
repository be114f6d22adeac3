"""The records of a list as SQLite writes their JSON: the same as one record read alone, for every kind of field."""
import json

import pytest
from conftest import COUNTY_AREA

from sync.changelog import writing
from village.records import core, listing
from village.records.privacy import masked
from village.records.schema import TABLES, fields

# A stored value of each kind, with what JSON makes hard: quotes, line breaks, other scripts, a float whose
# shortest form has 17 digits, false and null.
VALUES = {"text": 'ئۇيغۇر "引号"\n\t\\', "choice": None, "date": "2024-02-29", "datetime": "2024-02-29T08:00:00+00:00",
          "int": -7, "float": 0.1 + 0.2, "bool": False, "json": {"zh": ["一", 2.5, True, None]}}


def stored(table):
    """Return a row of `table` as stored: a value in every field but references (their tables are empty)."""
    row = {}
    for name, spec in fields(table).items():
        value = spec.choices[-1] if spec.kind == "choice" else VALUES[spec.kind]
        value = json.dumps(value, ensure_ascii=False) if spec.kind == "json" else value
        row[name] = None if spec.ref else "13812345678" if spec.sensitive else int(value) if spec.kind == "bool" else value
    return row


@pytest.mark.parametrize("table", list(TABLES))
@pytest.mark.parametrize("mask", [False, True])
def test_a_listed_record_is_the_record_read_alone(node, db, table, mask):
    listed_as_alone(db, node, table, mask)


@pytest.mark.parametrize("table", list(TABLES))
def test_a_county_hubs_list_is_the_record_read_alone_on_either_store(make_node, hub_engine, table):
    node, db = make_node("county", COUNTY_AREA)  # on PostgreSQL, Python writes the JSON SQLite writes
    listed_as_alone(db, node, table, mask=True)


def listed_as_alone(db, node, table, mask):
    """Assert a page and the change feed give two records of `table` (every field set, none set) as read alone."""
    with writing(db, node.node_id) as w:
        for n, row in enumerate([stored(table), {name: None for name in fields(table)}]):
            w.put(table, f"r{n}", {**row, "area": node.area})
    alone = [listing.exported(table, core.get(db, table, f"r{n}")) for n in range(2)]
    alone = [masked(table, record) if mask else record for record in alone]
    texts, _next = listing.page(db, table, node.area, mask=mask)
    assert [json.loads(text) for text in texts] == alone
    changed = [json.loads(text) for text in listing.changes(db, table, node.area, mask=mask)[0]]
    assert [isinstance(record.pop("_seq"), int) for record in changed] == [True, True] and changed == alone
    floats = [name for name, spec in fields(table).items() if spec.kind == "float"]
    for name in floats:  # the float as Python writes it: 17 digits, not SQLite's 15
        assert f'"{name}":0.30000000000000004' in texts[0]
