"""Read an emergency alert in CAP 1.2 or its Chinese profile GB/T 35965.1 (DOMAIN 4), safely.

The file comes from outside: its size is checked before it is parsed, it is parsed by
defusedxml with no DTD at all (so no entity expansion, no external entity), and every value
kept is bounded. Elements are matched by their local name, so a file with the CAP namespace
and one without it (some GB/T senders) read alike.
"""
import datetime
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from village.errors import Problem
from village.records.schema import CAP_STATUSES, SEVERITIES

MAX_BYTES = 512 * 1024  # a real alert is a few KB; one with many languages and areas well under this
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
MAX_TEXT = 4000
# CAP's language tags (RFC 3066) to the node's languages; CAP's default is en-US.
LANGUAGES = {"zh": "zh_Hans", "ug": "ug", "en": "en"}
CODE_LENGTHS = (6, 9, 12)  # GB/T 2260 county (or above), township, village codes


@dataclass
class Info:
    """One <info> block: the alert in one language, and the areas it names."""

    lang: str
    event: str = ""
    severity: str = "Unknown"
    effective: str | None = None
    expires: str | None = None
    headline: str = ""
    description: str = ""
    instruction: str = ""
    codes: list = field(default_factory=list)  # administrative codes of its <area> geocodes
    descs: list = field(default_factory=list)  # areaDesc of the areas that gave no code


@dataclass
class Message:
    """One CAP message: the envelope and its infos."""

    identifier: str
    sender: str
    sent: str
    status: str
    msg_type: str
    references: list = field(default_factory=list)  # identifiers of the messages it acts on
    infos: list = field(default_factory=list)


def parse(data):
    """Return the Message in `data` (bytes), or raise Problem (too large, not XML, unsafe, not CAP)."""
    if len(data) > MAX_BYTES:
        raise Problem("alert.too_large", size=len(data), limit=MAX_BYTES)
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise Problem("alert.unsafe") from None
    except (ParseError, ValueError) as exc:
        raise Problem("alert.malformed", error=str(exc)[:200]) from None
    if _local(root.tag) != "alert":
        raise Problem("alert.not_cap", what=f"<{_local(root.tag)[:40]}>")
    message = Message(identifier=_required(root, "identifier"), sender=_required(root, "sender"),
                      sent=_moment(_required(root, "sent"), "sent"), status=_required(root, "status"),
                      msg_type=_required(root, "msgType"))
    _check_choice(message.status, CAP_STATUSES, "status")
    _check_choice(message.msg_type, MSG_TYPES, "msgType")
    message.references = [_reference(part) for part in _text(root, "references").split()]
    message.infos = [_info(element) for element in _children(root, "info")]
    if message.msg_type in ("Update", "Cancel") and not message.references:
        raise Problem("alert.no_reference", type=message.msg_type)
    if message.msg_type in ("Alert", "Update") and not message.infos:
        raise Problem("alert.not_cap", what="<info>")
    return message


def _local(tag):
    """Return an element's name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name):
    return [child for child in element if _local(child.tag) == name]


def _text(element, name):
    """Return the text of the first child `name` of `element`, stripped and bounded ("" when absent)."""
    for child in _children(element, name):
        return (child.text or "").strip()[:MAX_TEXT]
    return ""


def _required(element, name):
    value = _text(element, name)
    if not value:
        raise Problem("alert.missing", element=name)
    return value[:200]


def _check_choice(value, choices, name):
    if value not in choices:
        raise Problem("alert.bad_value", element=name, value=value[:40], choices=", ".join(choices))


def _moment(text, name):
    """Return a CAP date-time (2025-06-01T08:00:00+08:00) as UTC ISO text, or raise Problem."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise Problem("alert.bad_value", element=name, value=text[:40], choices="YYYY-MM-DDThh:mm:ss+08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=8)))  # GB/T: Beijing time
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")


def _reference(part):
    """Return the identifier of one `sender,identifier,sent` reference (a bare identifier is taken as it is)."""
    pieces = part.split(",")
    return (pieces[1] if len(pieces) == 3 else part)[:200]


def _info(element):
    """Return one <info> block read."""
    tag = (_text(element, "language") or "en-US").lower()
    info = Info(lang=LANGUAGES.get(tag.split("-")[0], "en"))
    for name in ("event", "headline", "description", "instruction"):
        setattr(info, name, _text(element, name))
    info.severity = _text(element, "severity") or "Unknown"
    _check_choice(info.severity, SEVERITIES, "severity")
    for name in ("effective", "expires"):
        if _text(element, name):
            setattr(info, name, _moment(_text(element, name), name))
    for area in _children(element, "area"):
        codes = [_text(code, "value") for code in _children(area, "geocode")]
        codes = [code for code in codes if code.isascii() and code.isdigit() and len(code) in CODE_LENGTHS]
        info.codes += codes
        if not codes and _text(area, "areaDesc"):
            info.descs.append(_text(area, "areaDesc")[:200])
    return info
