"""Emergency alerts at a hub: a CAP message applied to the announcements of the areas it names (DOMAIN 4).

An alert is one announcement record per area it reaches (a record has one area, and a village
receives the records of its own area and of the areas above it), with an id made from the
alert's first identifier and the area: importing it again writes nothing new. An Update
rewrites those records (and withdraws the areas it no longer names), a Cancel withdraws them
all; Ack and Error messages are recorded and change nothing. Every message's identifier is
kept in the hub's own `cap_messages`, so a message seen before is ignored.
"""
import datetime
import secrets
import uuid
from dataclasses import dataclass, field

from sync.clock import utc_text
from sync.scope import inside
from village.errors import Problem
from village.node import check_area
from village.records import areacodes, cap, core
from village.records.schema import SEVERITIES
from village.records.terms import ALERT_COLOURS

NAMESPACE = uuid.UUID("6f1d3c0e-6a51-4c1e-9b1e-2f4a3b5c7d90")


@dataclass
class Outcome:
    """What importing one message did: published, updated, cancelled, duplicate or recorded."""

    kind: str
    identifier: str
    alert_key: str | None = None
    areas: list = field(default_factory=list)
    status: str = "Actual"


def record_id(alert_key, area):
    """Return the id of an alert's announcement for `area` (the same at every import)."""
    return str(uuid.uuid5(NAMESPACE, f"{alert_key}|{area}"))


def import_cap(db, node, data, area=None, actor=None):
    """Parse CAP XML `data` (bytes) and apply it at this hub; return its Outcome, or raise Problem."""
    if node.role != "county":
        raise Problem("alert.county_only", role=node.role)
    return apply(db, node, cap.parse(data), check_area(area) if area else None, actor)


def apply(db, node, message, area=None, actor=None):
    """Apply one parsed CAP message (all or nothing); `area` sends it there instead of where its codes say."""
    seen = db.execute("SELECT alert_key FROM cap_messages WHERE identifier = ?", [message.identifier]).fetchone()
    if seen:
        return Outcome("duplicate", message.identifier, seen[0], [], message.status)
    if area and not inside(area, node.area):
        raise Problem("hub.outside_area", area=area, hub=node.area)
    outcome = Outcome("recorded", message.identifier, status=message.status)
    with core.write(db, node) as writer:
        db = writer.db  # every read and write below in the one transaction (a store hands out several)
        if message.msg_type == "Alert":
            outcome.kind, outcome.alert_key = "published", message.identifier
            outcome.areas = _publish(writer, node, message, message.identifier, _targets(db, node, message, area))
        elif message.msg_type in ("Update", "Cancel"):
            outcome.alert_key = _referenced_key(db, message)
            held = alert_areas(db, outcome.alert_key)
            if message.msg_type == "Update":
                outcome.kind = "updated"
                named = _targets(db, node, message, area, default=held)
                outcome.areas = _publish(writer, node, message, outcome.alert_key, named)
                _withdraw(writer, node, message, outcome.alert_key, [a for a in held if a not in named])
            else:
                outcome.kind, outcome.areas = "cancelled", held
                _withdraw(writer, node, message, outcome.alert_key, held)
        db.execute("INSERT INTO cap_messages (identifier, sender, sent, msg_type, status, alert_key, imported_at, "
                   "outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [message.identifier, message.sender, message.sent, message.msg_type, message.status,
                    outcome.alert_key, utc_text(), outcome.kind])
    return outcome


def alert_areas(db, alert_key):
    """Return the areas an alert's live, not withdrawn announcements reach."""
    return [r[0] for r in db.execute("SELECT area FROM announcements WHERE alert_key = ? AND _deleted = 0 "
                                     "AND msg_type != 'Cancel' ORDER BY area", [alert_key])]


def known_paths(db, node):
    """Return the hub's path and its enrolled villages' paths with every path between."""
    paths = {node.area}
    for (area,) in db.execute("SELECT area FROM nodes WHERE revoked_at IS NULL"):
        while area and area not in paths:  # a path held already holds the paths above it (those inside ours)
            paths.add(area)
            area = area.rpartition("/")[0]
    return sorted(p for p in paths if inside(p, node.area))


def _targets(db, node, message, area, default=()):
    """Return the areas the message reaches: `area` if given, else its codes' (and names') areas inside this hub."""
    if area:
        return [area]
    known = known_paths(db, node)
    codes = [code for info in message.infos for code in info.codes]
    paths = [areacodes.path_of(code, node.area, known) for code in codes]
    descs = [desc for info in message.infos for desc in info.descs]
    if descs:
        villages = db.execute("SELECT name, area FROM nodes WHERE revoked_at IS NULL AND length(name) >= 2").fetchall()
        paths += [a for name, a in villages if inside(a, node.area) and any(name in desc for desc in descs)]
    paths = areacodes.outermost(p for p in paths if p)
    if not paths and not codes and not descs and default:
        return list(default)
    if not paths:
        raise Problem("alert.outside", identifier=message.identifier, codes=", ".join(codes + descs) or "-",
                      hub=node.area)
    return paths


def _referenced_key(db, message):
    """Return the alert an Update or Cancel acts on (the first of its references this hub knows)."""
    for ref in message.references:
        row = db.execute("SELECT alert_key FROM cap_messages WHERE identifier = ? AND alert_key IS NOT NULL",
                         [ref]).fetchone()
        if row is None:
            row = db.execute("SELECT alert_key FROM announcements WHERE alert_key = ? LIMIT 1", [ref]).fetchone()
        if row:
            return row[0]
    raise Problem("alert.unknown_reference", type=message.msg_type, refs=" ".join(message.references)[:200])


def values_of(message):
    """Return the announcement fields of a CAP Alert or Update (texts per language, most severe info's level)."""
    infos = message.infos

    def per_lang(name):
        return {i.lang: getattr(i, name) for i in infos if getattr(i, name)} or None

    severity = min((i.severity for i in infos), key=SEVERITIES.index)
    expiries = [i.expires for i in infos if i.expires]
    starts = [i.effective for i in infos if i.effective]
    title = {i.lang: (i.headline or i.event)[:300] for i in infos if i.headline or i.event}
    return {"title": title or {"en": message.identifier}, "body": per_lang("description"),
            "instruction": per_lang("instruction"), "severity": severity,
            "priority": "emergency" if severity in ALERT_COLOURS else "urgent",
            "publish_at": min(starts) if starts else message.sent, "expires_at": max(expiries) if expiries else None,
            "cap_id": message.identifier, "cap_status": message.status, "msg_type": message.msg_type,
            "event": next((i.event for i in infos if i.event), "")[:200], "sender": message.sender}


def _publish(writer, node, message, alert_key, areas):
    values = {**values_of(message), "alert_key": alert_key}
    for area in areas:
        core.save(writer, node, "announcements", {**values, "area": area}, row_id=record_id(alert_key, area))
    return list(areas)


def _withdraw(writer, node, message, alert_key, areas):
    """Mark an alert's announcements of `areas` cancelled by `message`: villages stop showing them."""
    now = utc_text()
    for area in areas:
        row_id = record_id(alert_key, area)
        held = core.get(writer.db, "announcements", row_id)
        if held is None:
            continue
        values = {"msg_type": "Cancel", "cap_id": message.identifier}
        if not held["publish_at"] or held["publish_at"] < now:
            values["expires_at"] = now
        core.save(writer, node, "announcements", values, row_id=row_id)


def compose(db, node, headline, description, instruction, severity, area, hours, lang, actor=None):
    """Publish an alert written on the county page (an Actual CAP Alert of this hub); return its Outcome."""
    sent = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    code = areacodes.code_of(node.area)
    message = cap.Message(identifier=f"{code}-{sent:%Y%m%d%H%M%S}-{secrets.token_hex(3)}", sender=node.name[:200],
                          sent=sent.isoformat(), status="Actual", msg_type="Alert")
    expires = (sent + datetime.timedelta(hours=hours)).isoformat()
    message.infos = [cap.Info(lang=lang, event=headline[:200], severity=severity, headline=headline,
                              description=description, instruction=instruction, expires=expires)]
    return apply(db, node, message, area, actor)
