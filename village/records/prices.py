"""The official market price file (DOMAIN 5): read and checked whole before anything is saved, then published.

Columns 日期, 市场, 省份, 品类, 品名, 规格, 产地, 单位, 最低价, 平均价, 最高价; prices in 元/斤 or
元/500克 are doubled into 元/公斤, the one unit stored. A price's id is made from its key (date,
market, name, spec), so importing a file again changes nothing, and a corrected file corrects.
"""
import csv
import datetime
import io
import re
import uuid
from dataclasses import dataclass, field

from sync.store import dicts
from village.i18n_markers import N_
from village.records import core
from village.records.files import ENCODINGS, ImportRefused
from village.records.schema import fields
from village.records.terms import PRICE_JUMP, PRICE_STALE_DAYS, PRICE_UNIT, PRICE_UNITS

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
NAMESPACE = uuid.UUID("4c9d2b7e-1f3a-4b8c-9d0e-7a6b5c4d3e2f")
COLUMNS = {"日期": "observed_on", "市场": "market", "省份": "province", "品类": "category", "品名": "commodity",
           "规格": "spec", "产地": "origin", "单位": "unit", "最低价": "min_price", "平均价": "price",
           "最高价": "max_price"}
REQUIRED = ("日期", "市场", "品名", "单位", "平均价")
DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass
class Checked:
    """A price file read: its rows as records, each row's problems and warnings (row, column, message, params)."""

    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    encoding: str = "utf-8-sig"
    text: str = ""


def price_id(row):
    """Return the id of the price of (date, market, name, spec): the same at every import."""
    return str(uuid.uuid5(NAMESPACE, "|".join(row.get(k) or "" for k in ("observed_on", "market", "commodity", "spec"))))


def decode(data):
    """Return (text, encoding) of CSV bytes: a byte-order mark or strict UTF-8, else GB18030; or raise ImportRefused."""
    if len(data) > MAX_BYTES:
        raise ImportRefused([(None, "", N_("The file is %(size)s bytes; a price file may hold %(max)s."),
                              {"size": len(data), "max": MAX_BYTES})], 0)
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportRefused([(None, "", N_("The file is neither UTF-8 nor GB18030 text. Save it as “CSV UTF-8”."), {})], 0)


def check(db, data):
    """Return the Checked reading of price file bytes `data` (problems listed, nothing saved)."""
    text, encoding = decode(data)
    checked = Checked(encoding=encoding, text=text)
    try:
        lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True))
    except csv.Error as exc:
        raise ImportRefused([(None, "", N_("This file cannot be read as CSV (%(reason)s): check its quotation "
                                           "marks."), {"reason": str(exc)})], 0) from None
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise ImportRefused([(None, "", N_("The file is empty."), {})], 0)
    header = [h.strip() for h in lines[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportRefused([(1, name, N_("The header has no column “%(column)s”. A price file has: %(columns)s."),
                              {"column": name, "columns": ", ".join(COLUMNS)}) for name in missing], 0)
    if len(lines) - 1 > MAX_ROWS:
        raise ImportRefused([(None, "", N_("The file has %(n)s rows; import at most %(max)s at a time."),
                              {"n": len(lines) - 1, "max": MAX_ROWS})], 0)
    seen = {}
    for number, line in enumerate(lines[1:], start=2):
        cells = {name: (line[i].strip() if i < len(line) else "") for i, name in enumerate(header) if name in COLUMNS}
        row, problems = _row(cells)
        checked.problems += [(number, *problem) for problem in problems]
        if row is None:
            continue
        key = price_id(row)
        if key in seen:
            checked.problems.append((number, "品名", N_("The same date, market, name and spec as row %(row)s."),
                                     {"row": seen[key]}))
            continue
        seen[key] = number
        checked.rows.append({**row, "id": key, "row": number})
    checked.warnings = _jumps(db, checked.rows)
    return checked


def _number(cells, name, factor, problems):
    raw = cells.get(name, "").replace(",", "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e9 or value != value:
        problems.append((name, N_("“%(value)s” is not a price."), {"value": raw[:40]}))
        return None
    return round(value * factor, 4)


def _row(cells):
    """Return (record, problems) of one row's cells by Chinese column name (record None when unusable)."""
    problems = []
    date = DATE.match(cells.get("日期", ""))
    try:
        observed = datetime.date(*map(int, date.groups())).isoformat() if date else None
    except ValueError:
        observed = None
    if observed is None:
        problems.append(("日期", N_("“%(value)s” is not a date; write it as 2025-06-01."), {"value": cells["日期"][:40]}))
    factor = PRICE_UNITS.get(cells.get("单位", "").replace(" ", ""))
    if factor is None:
        problems.append(("单位", N_("The unit “%(value)s” is not one of: %(units)s."),
                         {"value": cells.get("单位", "")[:40], "units": ", ".join(PRICE_UNITS)}))
        factor = 1
    for name in ("市场", "品名"):
        if not cells.get(name):
            problems.append((name, N_("This is required."), {}))
    low, mid, high = (_number(cells, name, factor, problems) for name in ("最低价", "平均价", "最高价"))
    if mid is None and not any(p[0] == "平均价" for p in problems):
        problems.append(("平均价", N_("This is required."), {}))
    if mid is not None and ((low is not None and mid < low) or (high is not None and mid > high)):
        problems.append(("平均价", N_("The average %(mid)s is outside the lowest and highest prices (%(low)s to "
                                      "%(high)s)."), {"mid": mid, "low": low, "high": high}))
    for name in ("市场", "省份", "品类", "品名", "规格", "产地"):
        limit = fields("market_prices")[COLUMNS[name]].limit()
        if len(cells.get(name, "")) > limit:
            problems.append((name, N_("This is too long: at most %(max)s characters."), {"max": limit}))
    if problems:
        return None, problems
    row = {COLUMNS[name]: cells.get(name) or None for name in ("市场", "省份", "品类", "品名", "规格", "产地")}
    return {**row, "observed_on": observed, "unit": PRICE_UNIT, "currency": "CNY", "price": mid,
            "min_price": low, "max_price": high}, []


def _jumps(db, rows):
    """Return a warning for each price more than PRICE_JUMP times above or below the one before it."""
    warnings, last = [], {}
    for row in sorted(rows, key=lambda r: r["observed_on"]):
        key = (row["market"], row["commodity"], row["spec"])
        before = last.get(key) or _held_before(db, row)
        if before and (row["price"] > before * PRICE_JUMP or row["price"] * PRICE_JUMP < before):
            warnings.append((row["row"], "平均价", N_("%(price)s is more than %(n)s times away from the last price, "
                                                      "%(before)s: check it."),
                             {"price": row["price"], "n": PRICE_JUMP, "before": before}))
        last[key] = row["price"]
    return sorted(warnings)


def _held_before(db, row):
    held = db.execute("SELECT price FROM market_prices WHERE _deleted = 0 AND COALESCE(market, '') = COALESCE(?, '') "
                      "AND commodity = ? AND COALESCE(spec, '') = COALESCE(?, '') AND observed_on < ? "
                      "ORDER BY observed_on DESC LIMIT 1",
                      [row["market"], row["commodity"], row["spec"], row["observed_on"]]).fetchone()
    return held[0] if held else None


def publish(db, node, rows):
    """Write checked price rows at this hub's area through the write path; return how many were new or changed."""
    changed = 0
    with core.write(db, node) as writer:
        for row in rows:
            values = {k: v for k, v in row.items() if k not in ("id", "row")}
            saved = core.save(writer, node, "market_prices", {**values, "area": node.area}, row_id=row["id"])
            changed += bool(saved.changed)
    return changed


def stale(observed_on, today=None):
    """Return True when a price observed on `observed_on` (ISO date) is older than PRICE_STALE_DAYS."""
    today = today or datetime.date.today()
    return (today - datetime.date.fromisoformat(observed_on)).days > PRICE_STALE_DAYS


SERIES_DAYS = 30  # the trend lines show the prices of the last month held


def series(db, area, points=14, today=None, limit=None, offset=0):
    """Return (lines, total): the price lines in scope of `area`, each (commodity, spec, market) with its last
    `points` prices, oldest first; `limit` lines from `offset` in the order of commodity, spec and market.

    Read from the month before the newest price held, only the columns shown, and only the lines
    of the page: the page stays fast with hundreds of products a day.
    """
    scope, params = "_deleted = 0 AND (area = ? OR ? LIKE area || '/%' OR area LIKE ?)", [area, area, area + "/%"]
    newest = db.execute(f"SELECT MAX(observed_on) FROM market_prices WHERE {scope}", params).fetchone()[0]
    if newest is None:
        return [], 0
    since = (datetime.date.fromisoformat(newest) - datetime.timedelta(days=SERIES_DAYS)).isoformat()
    keys = db.execute(f"SELECT DISTINCT commodity, COALESCE(spec, ''), COALESCE(market, '') FROM market_prices "
                      f"WHERE {scope} AND observed_on >= ? ORDER BY 1, 2, 3", [*params, since]).fetchall()
    wanted = keys[offset:None if limit is None else offset + limit]
    lines = {tuple(key): [] for key in wanted}
    names = sorted({key[0] for key in wanted})
    for i in range(0, len(names), 500):
        part = names[i:i + 500]
        for row in dicts(db.execute(f"SELECT commodity, spec, market, observed_on, price, min_price, max_price "
                                    f"FROM market_prices WHERE {scope} AND observed_on >= ? "
                                    f"AND commodity IN ({', '.join('?' * len(part))}) ORDER BY observed_on",
                                    [*params, since, *part])):
            line = lines.get((row["commodity"], row["spec"] or "", row["market"] or ""))
            if line is not None:
                line.append(row)
    return [{"commodity": c, "spec": s, "market": m, "points": pts[-points:], "latest": pts[-1],
             "stale": stale(pts[-1]["observed_on"], today)} for (c, s, m), pts in lines.items()], len(keys)
