"""Village-station health at a hub: each village's contact, what waits, what is held back, its machine; worst first.

Read from the hub's own small tables (nodes with the status report each village sends,
sync_quarantine, the open conflicts), never from the records themselves.
"""
import datetime
import json

from sync.clock import FUTURE_LIMIT_MS
from sync.scope import inside
from village.i18n_markers import N_
from village.ops.station import program_version
from village.records.county import villages, within

STALE_HOURS = 24
SKEW_MS = 5 * 60 * 1000  # a clock this far off makes "last contact" and every stamp unreliable
LOW_DISK_MB = 1024
CERT_DAYS = 30
REPORT = json.JSONDecoder()  # a report is JSON the hub wrote itself: read without json.loads' checks around it
COLUMNS = [("name", N_("Village")), ("area", N_("Area code")), ("last_seen", N_("Last contact")),
           ("records_waiting", N_("Records waiting")), ("files_waiting", N_("Files waiting")),
           ("quarantined", N_("Changes quarantined")), ("conflicts", N_("Conflicts")),
           ("skew_s", N_("Clock skew (s)")), ("free_disk_mb", N_("Free disk (MB)")),
           ("version", N_("Program version")), ("cert_expires", N_("Certificate expires")),
           ("problems", N_("Why to phone"))]


def quarantined_by_node(db):
    """Return {link id: changes held in quarantine} at this hub."""
    return dict(db.execute("SELECT node_id, COUNT(*) FROM sync_quarantine WHERE state = 'held' GROUP BY node_id"))


def conflicts_by_area(db, area):
    """Return {record area: unresolved conflicts} inside `area` (through the open-conflicts index)."""
    counts = {}
    tables = [r[0] for r in db.execute("SELECT DISTINCT tbl FROM _conflicts WHERE resolved_at IS NULL")]
    for table in tables:
        if not table.isidentifier():
            continue
        where, params = within("t.area", area)
        for record_area, n in db.execute(
                f"SELECT t.area, COUNT(*) FROM _conflicts c JOIN [{table}] t ON t.id = c.row_id "
                f"WHERE c.resolved_at IS NULL AND c.tbl = ? AND {where} GROUP BY t.area", [table, *params]):
            counts[record_area] = counts.get(record_area, 0) + n
    return counts


def health(db, area, now):
    """Return (columns, rows) of every village inside `area`, the worst first: most problems, then longest silent."""
    held, conflicts, version = quarantined_by_node(db), conflicts_by_area(db, area), program_version()
    # The moments every row is compared with, written once as the stored values are.
    stale_before = (now - datetime.timedelta(hours=STALE_HOURS)).isoformat()
    cert_by = (now.date() + datetime.timedelta(days=CERT_DAYS)).isoformat()
    rows = []
    for node in villages(db, area):
        report = REPORT.raw_decode(node["status"])[0] if node["status"] else {}
        row = {"node_id": node["node_id"], "name": node["name"], "area": node["area"], "last_seen": node["last_seen"],
               "records_waiting": report.get("records_waiting"), "files_waiting": report.get("files_waiting"),
               "quarantined": held.get(node["node_id"], 0),
               "conflicts": sum(n for a, n in conflicts.items() if inside(a, node["area"])) if conflicts else 0,
               "skew_s": None if node["clock_skew_ms"] is None else round(node["clock_skew_ms"] / 1000),
               "free_disk_mb": report.get("free_disk_mb"), "version": report.get("version"),
               "cert_expires": report.get("cert_expires"), "status_at": node["status_at"]}
        row["problems"] = problems(row, node["clock_skew_ms"], version, stale_before, cert_by)
        rows.append(row)
    rows.sort(key=lambda r: (-len(r["problems"]), r["last_seen"] or "", r["area"]))
    return COLUMNS, rows


def problems(row, skew_ms, hub_version, stale_before, cert_by):
    """Return the reasons (untranslated words) to phone a village, the most pressing first, as a tuple.

    `stale_before` and `cert_by` are the ISO moment before which a last contact is a day old and the
    date by which a certificate expires too soon.
    """
    found = []
    if not row["last_seen"] or row["last_seen"] < stale_before:
        found.append(N_("no contact for a day"))
    if row["quarantined"]:
        found.append(N_("changes quarantined"))
    if row["conflicts"]:
        found.append(N_("conflicts to resolve"))
    if row["records_waiting"] or row["files_waiting"]:
        found.append(N_("records or files still waiting"))
    if skew_ms is not None and (abs(skew_ms) > SKEW_MS or skew_ms > FUTURE_LIMIT_MS):
        found.append(N_("clock wrong"))
    if row["free_disk_mb"] is not None and row["free_disk_mb"] < LOW_DISK_MB:
        found.append(N_("disk nearly full"))
    if row["cert_expires"] and row["cert_expires"] <= cert_by:
        found.append(N_("certificate expiring"))
    if row["version"] and row["version"] != hub_version:
        found.append(N_("older or other program version"))
    return tuple(found)  # a row of values only: its cells are kept under them (county.shown.cells)
