"""Every synced record table of SPEC 3: its fields, their types and their rules."""
import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType

from village.errors import Problem
from village.records import terms
from village.records.workflows import CASES, GRIEVANCES, REQUESTS


@dataclass(frozen=True)
class Field:
    """One field of a record table."""

    name: str
    kind: str = "text"  # text | int | float | date | datetime | bool | json | choice
    required: bool = False
    choices: tuple = ()
    sensitive: bool = False  # marked (S) in SPEC 3: masked in lists, never logged
    ref: str = ""  # table whose id this field holds
    minimum: float | None = None
    exclusive_min: bool = False
    maximum: float | None = None
    default: object = None
    max_length: int = 0  # characters (JSON: of its text); 0: the kind's default in MAX_LENGTH
    multiline: bool = False  # keeps line breaks and tabs; other control characters are always removed
    shape: str = ""  # "phone" or "id_number": any script's digits made ASCII, then the shape checked
    since: str = ""  # the migration that added it to a table older than it ("": the table's own)

    max_chars: int = field(init=False, repr=False, compare=False)  # max_length, or the kind's default

    def __post_init__(self):
        object.__setattr__(self, "max_chars", self.max_length or MAX_LENGTH.get(self.kind, 200))

    def limit(self):
        """Return the longest value this field may hold, in characters."""
        return self.max_chars


# Longest values by kind, in characters: a name is not 70 MB (one such value stopped a village's
# sync for good). Fields that need more say so with max_length.
MAX_LENGTH = {"text": 200, "choice": 40, "date": 10, "datetime": 40, "json": 16_000, "int": 20, "float": 40, "bool": 5}
LONG_TEXT = 4000
# Whole numbers stay where SQLite and a browser's JavaScript hold them exactly.
INT_LIMIT = 2 ** 53 - 1

MONITORING = ("none", "watch", "at_risk", "supported")
LAND_TYPES = ("paddy", "dry", "orchard", "tea", "forest", "pond", "other")
REQUEST_KINDS = ("residence_certificate", "subsidy", "land_certificate", "other")
GRIEVANCE_CATEGORIES = ("road", "water", "power", "health", "land", "other")
VISIT_KINDS = ("poverty_monitoring", "elderly_care", "plot_inspection")
RISK_LEVELS = ("none", "low", "medium", "high")
PRIORITIES = ("normal", "urgent", "emergency")
SEXES = ("female", "male")
MONITORING_MIGRATION = "m009_monitoring"
ALERTS_MIGRATION = "m041_alerts_prices"
CAP_STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
CAP_MSG_TYPES = ("Alert", "Update", "Cancel")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
MIMES = ("image/jpeg", "image/png", "application/pdf")
EVIDENCE_OWNERS = ("monitor_cases", "visits", "measures", "elder_profiles")


def _added(*specs, since=MONITORING_MIGRATION):
    """Return fields added to an existing table by a later migration (the monitoring one unless said)."""
    return tuple(dataclasses.replace(spec, since=since) for spec in specs)

TABLES = {
    "households": (
        Field("code", required=True),
        Field("head_name", required=True),
        Field("id_number", sensitive=True, max_length=18, shape="id_number"),
        Field("phone", sensitive=True, max_length=24, shape="phone"),
        Field("address", max_length=500),
        Field("members", "int", minimum=0, maximum=200),
        Field("monitoring_status", "choice", choices=MONITORING, default="none"),
        Field("notes", max_length=LONG_TEXT, multiline=True),
        *_added(Field("poverty_exit_year", "int", minimum=2013, maximum=2100)),
    ),
    "persons": (
        Field("household_id", required=True, ref="households"),
        Field("name", required=True),
        Field("sex", "choice", choices=SEXES),
        Field("birth_date", "date"),
        Field("id_number", sensitive=True, max_length=18, shape="id_number"),
        Field("relation"),
        Field("phone", sensitive=True, max_length=24, shape="phone"),
        Field("lives_alone", "bool", default=False),
        Field("disability"),
        Field("notes", max_length=LONG_TEXT, multiline=True),
        *_added(Field("labour_capacity", "choice", choices=tuple(terms.LABOUR)),
                Field("health", "choice", choices=tuple(terms.HEALTH)),
                Field("school_stage", "choice", choices=tuple(terms.SCHOOL_STAGES)),
                Field("work", "choice", choices=tuple(terms.WORK)),
                Field("benefits", "json", default=(), max_length=2000)),
    ),
    "plots": (
        Field("household_id", required=True, ref="households"),
        Field("name", required=True),
        Field("area_mu", "float", required=True, minimum=0, exclusive_min=True, maximum=1e7),
        Field("land_type", "choice", required=True, choices=LAND_TYPES),
        Field("lat", "float", minimum=-90, maximum=90),
        Field("lon", "float", minimum=-180, maximum=180),
        Field("notes", max_length=LONG_TEXT, multiline=True),
    ),
    "plantings": (
        Field("plot_id", required=True, ref="plots"),
        Field("season"),
        Field("crop", required=True),
        Field("variety"),
        Field("planted_on", "date"),
        Field("harvested_on", "date"),
        Field("yield_kg", "float", minimum=0, maximum=1e9),
        Field("inputs", max_length=LONG_TEXT, multiline=True),
        Field("notes", max_length=LONG_TEXT, multiline=True),
    ),
    "livestock": (
        Field("household_id", required=True, ref="households"),
        Field("species", required=True),
        Field("count", "int", required=True, minimum=0, maximum=10_000_000),
        Field("vaccinated_on", "date"),
        Field("notes", max_length=LONG_TEXT, multiline=True),
    ),
    "service_requests": (
        Field("ticket", required=True),
        Field("household_id", ref="households"),
        Field("applicant_name", required=True),
        Field("applicant_phone", sensitive=True, max_length=24, shape="phone"),
        Field("kind", "choice", required=True, choices=REQUEST_KINDS),
        Field("details", max_length=LONG_TEXT, multiline=True),
        Field("status", "choice", choices=REQUESTS.statuses, default=REQUESTS.first),
        Field(REQUESTS.history, "json", default=(), max_length=64_000),
    ),
    "grievances": (
        Field("ticket", required=True),
        Field("category", "choice", required=True, choices=GRIEVANCE_CATEGORIES),
        Field("description", required=True, max_length=LONG_TEXT, multiline=True),
        Field("location", max_length=500),
        Field("reporter"),
        Field("status", "choice", choices=GRIEVANCES.statuses, default=GRIEVANCES.first),
        Field(GRIEVANCES.history, "json", default=(), max_length=64_000),
    ),
    "visits": (
        Field("household_id", required=True, ref="households"),
        Field("visitor", required=True),
        Field("kind", "choice", required=True, choices=VISIT_KINDS),
        Field("visited_on", "date", required=True),
        Field("answers", "json", default=None, max_length=32_000),
        Field("risk_level", "choice", choices=RISK_LEVELS, default="none"),
        Field("follow_up", max_length=LONG_TEXT, multiline=True),
        Field("notes", max_length=LONG_TEXT, multiline=True),
        *_added(Field("mode", "choice", choices=tuple(terms.VISIT_MODES), default="at_home"),
                Field("case_id", ref="monitor_cases"),
                Field("elder_id", ref="elder_profiles"),
                Field("referral", max_length=500),
                Field("next_due", "date")),
    ),
    "announcements": (
        Field("title", "json", required=True, max_length=2000),
        Field("body", "json", max_length=40_000),
        Field("priority", "choice", choices=PRIORITIES, default="normal"),
        Field("publish_at", "datetime"),
        Field("expires_at", "datetime"),
        # An emergency alert (CAP 1.2 / GB/T 35965.1): one record per area it reaches, keyed by
        # the first message's identifier; its Updates and Cancel rewrite the same records.
        *_added(Field("alert_key", max_length=200),
                Field("cap_id", max_length=200),
                Field("cap_status", "choice", choices=CAP_STATUSES),
                Field("msg_type", "choice", choices=CAP_MSG_TYPES),
                Field("severity", "choice", choices=SEVERITIES),
                Field("event", max_length=200),
                Field("sender", max_length=200),
                Field("instruction", "json", max_length=20_000),
                since=ALERTS_MIGRATION),
    ),
    "market_prices": (
        Field("commodity", required=True),
        Field("unit", required=True),
        Field("price", "float", required=True, minimum=0, maximum=1e9),
        Field("currency", default="CNY"),
        Field("market"),
        Field("observed_on", "date", required=True),
        # The official price file's other columns (DOMAIN 5): price is its average, per unit.
        *_added(Field("spec", max_length=100),
                Field("category", max_length=100),
                Field("province", max_length=40),
                Field("origin", max_length=100),
                Field("min_price", "float", minimum=0, maximum=1e9),
                Field("max_price", "float", minimum=0, maximum=1e9),
                since=ALERTS_MIGRATION),
    ),
    "monitor_cases": (
        Field("household_id", required=True, ref="households"),
        Field("programme", "choice", choices=tuple(terms.PROGRAMMES), default="return_poverty"),
        Field("category", "choice", choices=tuple(terms.CATEGORIES)),
        Field("risks", "json", default=(), max_length=1000),
        Field("channel", "choice", required=True, choices=tuple(terms.CHANNELS)),
        Field("lead_on", "date", required=True),
        Field("income_per_person", "float", minimum=0, maximum=1e9),
        Field("major_spending", "float", minimum=0, maximum=1e9),
        Field("school_secure", "bool"),
        Field("medical_secure", "bool"),
        Field("housing_secure", "bool"),
        Field("water_secure", "bool"),
        Field("consent_on", "date"),
        Field("consent_file", ref="attachments"),
        Field("deliberation_on", "date"),
        Field("notice_from", "date"),
        Field("notice_to", "date"),
        Field("township_by"),
        Field("township_on", "date"),
        Field("county_by"),
        Field("county_on", "date"),
        Field("status", "choice", choices=CASES.statuses, default=CASES.first),
        Field(CASES.history, "json", default=(), max_length=64_000),
        Field("elimination_type", "choice", choices=tuple(terms.ELIMINATIONS)),
        Field("eliminated_on", "date"),
        Field("reason", max_length=LONG_TEXT, multiline=True),
        Field("notes", max_length=LONG_TEXT, multiline=True),
    ),
    "measures": (
        Field("case_id", required=True, ref="monitor_cases"),
        Field("type", "choice", required=True, choices=tuple(terms.MEASURE_TYPES)),
        Field("start_on", "date", required=True),
        Field("end_on", "date"),
        Field("contact"),
        Field("amount", "float", minimum=0, maximum=1e9),
        Field("notes", max_length=LONG_TEXT, multiline=True),
    ),
    "elder_profiles": (
        Field("person_id", required=True, ref="persons"),
        Field("tier", "choice", required=True, choices=tuple(terms.TIERS)),
        Field("reasons", max_length=LONG_TEXT, multiline=True),
        Field("contacts", sensitive=True, max_length=500),
        Field("next_visit_due", "date"),
        Field("notes", max_length=LONG_TEXT, multiline=True),
    ),
    "monitor_thresholds": (
        Field("year", "int", required=True, minimum=2000, maximum=2100),
        Field("province", required=True, max_length=12),
        Field("yuan_per_person", "float", required=True, minimum=0, exclusive_min=True, maximum=1e6),
    ),
    "attachments": (
        Field("owner_table", "choice", required=True, choices=EVIDENCE_OWNERS),
        Field("owner_id", required=True, max_length=64),
        Field("kind", "choice", required=True, choices=tuple(terms.EVIDENCE_KINDS)),
        Field("sha256", required=True, max_length=64),
        Field("size", "int", required=True, minimum=0, maximum=20 * 1024 * 1024),
        Field("mime", "choice", required=True, choices=MIMES),
        Field("name", max_length=200),
        Field("taken_on", "date"),
    ),
    # What a village reports back of an alert: received (synced down), shown on its kiosk, a
    # clerk's confirmation. One per message (cap_id) and village; born in the village.
    "alert_receipts": (
        Field("announcement_id", required=True, ref="announcements"),
        Field("cap_id", required=True, max_length=200),
        Field("delivered_at", "datetime"),
        Field("displayed_at", "datetime"),
        Field("acknowledged_at", "datetime"),
        Field("acknowledged_by", max_length=100),
    ),
}
# Tables the monitoring migration added (the others are made by the first migration).
NEW_TABLES = {MONITORING_MIGRATION: ("attachments", "monitor_cases", "measures", "elder_profiles", "monitor_thresholds"),
              ALERTS_MIGRATION: ("alert_receipts",)}

# Tables written only at a hub (county, province) and shown in villages: they reach a village
# only downward, and a push that carries one is refused. Every other table is born in villages
# (and on their tablets) and flows up; a hub's own edits of it (a county decision, a resolved
# conflict) flow down.
DOWNSTREAM = frozenset({"announcements", "market_prices", "monitor_thresholds"})
# What the field app edits (SPEC 6): a field worker's API token and an enrolled tablet write these tables only.
FIELD_TABLES = ("households", "persons", "plots", "plantings", "livestock", "visits")
# What a field worker attaches on a tablet (an attachments record, sealed like their other records, its file sent
# on the file lane): photos of a visit, as the JPEG the app makes. A tablet creates these records and no others of
# the table; the app and the node read these values from here.
FIELD_EVIDENCE = MappingProxyType({"owner_table": "visits", "kind": "photo", "mime": "image/jpeg"})
# What an enrolled tablet pulls of its village (its workers' assignment): what they visit and edit, and the
# elder profiles and cases their visits refer to.
TABLET_HOLDS = ("households", "persons", "plots", "plantings", "livestock", "elder_profiles", "monitor_cases")

SQL_TYPES = {"text": str, "choice": str, "date": str, "datetime": str, "json": str, "int": int, "bool": int, "float": float}


_BY_NAME = {table: MappingProxyType({f.name: f for f in specs}) for table, specs in TABLES.items()}


def fields(table):
    """Return the Field specs of `table` by name, read-only (raise NoSuchTable for an unknown one)."""
    try:
        return _BY_NAME[table]
    except KeyError:
        raise NoSuchTable(table) from None


def column_names(table):
    """Return the columns of `table` as exported: id, area, then its fields in order."""
    return ["id", "area", *fields(table)]


class NoSuchTable(Problem, KeyError):
    """A table name that is not one of the record tables."""

    def __init__(self, table):
        super().__init__("no_such_table", table=table, tables=", ".join(TABLES))
