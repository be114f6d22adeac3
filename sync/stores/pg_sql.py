"""Statements written for SQLite, run on PostgreSQL: the small common dialect the records layer uses.

The records layer (validators, trust policy, roll-ups) and the hub's own commands run raw SQL
through `db.execute(sql, params)`, as sqlite-utils offers it. On a PostgreSQL hub that `db` is a
`PgTx` (or the store itself), whose `execute` takes the same statements, translated here:

- `?` placeholders become psycopg's `%s` (and a literal `%` becomes `%%`);
- `[name]` identifier quoting (SQLite's, what sqlite-utils writes) becomes `"name"`.

Everything else must already be the dialect both engines speak: `ON CONFLICT (...) DO UPDATE /
DO NOTHING` rather than `INSERT OR REPLACE / IGNORE`, no `rowid`, `COALESCE`, `||`, `LIKE`.
A statement outside that subset fails loudly on PostgreSQL (a test catches it), never silently.
Where the engines truly differ (JSON read in SQL), `json_elements` and `json_field` below write
each engine's own: the one place a records-layer query changes with the engine.
Only `?` outside string literals is a placeholder: the statements here carry none inside them.
"""
import functools
import re

_BRACKETED = re.compile(r"\[([A-Za-z_][A-Za-z0-9_]*)\]")
SQLITE_ONLY = re.compile(r"\b(INSERT\s+OR\s+(REPLACE|IGNORE)|rowid)\b", re.IGNORECASE)


class NotPortable(ValueError):
    """A statement in SQLite's own dialect that PostgreSQL would read differently or not at all."""


@functools.lru_cache(maxsize=2048)
def translate(sql):
    """Return the SQLite-dialect statement `sql` as psycopg takes it on PostgreSQL."""
    found = SQLITE_ONLY.search(sql)
    if found:
        raise NotPortable(f"SQLite-only SQL ({found.group(0)!r}) cannot run on PostgreSQL: {sql[:120]}")
    return _BRACKETED.sub(r'"\1"', sql.replace("%", "%%").replace("?", "%s"))


def json_elements(db, expr, alias, scalars=False):
    """Return a FROM item that lists the elements of the JSON array `expr` (SQL text) as rows `alias`.value.

    The one place the engines' JSON differs in what the records layer reads: SQLite's
    `json_each`, PostgreSQL's `json_array_elements` (`_text` for `scalars`: strings compared
    as text). An element that is an object is read the same on both: `alias.value ->> 'name'`.
    """
    from sync.stores import as_tx

    if as_tx(db).engine != "postgresql":
        return f"json_each({expr}) AS {alias}"
    return f"json_array_elements{'_text' if scalars else ''}(CAST({expr} AS json)) AS {alias}(value)"


def json_field(db, expr, name):
    """Return SQL reading the member `name` (a plain name) of the JSON object `expr` as text, in `db`'s engine's SQL."""
    from sync.stores import as_tx

    if as_tx(db).engine != "postgresql":
        return f"json_extract({expr}, '$.{name}')"
    return f"(CAST({expr} AS json) ->> '{name}')"


def stored_order(db, alias="", descending=False):
    """Return an ORDER BY list giving a record table's rows in the order they were stored, in `db`'s engine.

    SQLite's `rowid`; PostgreSQL keeps no such order, so the records' versions (a record made
    later has a later one), then their ids. `alias`: the table's name in a join (`c` for `c.rowid`);
    `descending`: the newest first.
    """
    from sync.stores import as_tx

    columns = ("rowid",) if as_tx(db).engine != "postgresql" else ("_version", "id")
    prefix, suffix = f"{alias}." if alias else "", " DESC" if descending else ""
    return ", ".join(f"{prefix}{column}{suffix}" for column in columns)
