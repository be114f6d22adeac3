"""The bound for sync speed: batched inserts of the same rows, each with a change-log row, in raw SQLite."""
import json
import sqlite3
import time


def raw_insert_rate(path, households, plots, batch=500):
    """Insert every record plus one change-log row each, in batches; return records per second."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE households (id TEXT PRIMARY KEY, area TEXT, code TEXT, head_name TEXT, id_number TEXT, "
                 "phone TEXT, address TEXT, members INTEGER, monitoring_status TEXT, notes TEXT)")
    conn.execute("CREATE TABLE plots (id TEXT PRIMARY KEY, area TEXT, household_id TEXT, name TEXT, area_mu REAL, "
                 "land_type TEXT, lat REAL, lon REAL, notes TEXT)")
    conn.execute("CREATE TABLE changes (seq INTEGER PRIMARY KEY, tbl TEXT, row_id TEXT, version TEXT UNIQUE, data TEXT)")
    started = time.perf_counter()
    version = 0
    for table, rows in (("households", households), ("plots", plots)):
        cols = list(rows[0])
        insert = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for i in range(0, len(rows), batch):
            chunk = rows[i:i + batch]
            conn.execute("BEGIN")
            conn.executemany(insert, [[r[c] for c in cols] for r in chunk])
            changes = []
            for r in chunk:
                version += 1
                changes.append((table, r["id"], f"{version:016x}-bench", json.dumps(r, ensure_ascii=False)))
            conn.executemany("INSERT INTO changes (tbl, row_id, version, data) VALUES (?, ?, ?, ?)", changes)
            conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return (len(households) + len(plots)) / elapsed
