"""Every setting once: name, type, default, environment variable and what it does.

A setting's value comes from its environment variable, else from the `settings` object in
the node's `village.json`, else from its default. The languages a node can speak and the
web app's fixed Flask configuration are declared here too: each is read from here only.
"""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One setting of a node."""

    name: str
    type: type
    default: object
    env: str
    description: str


SETTINGS = (
    Setting("sync_interval_minutes", float, 5.0, "VILLAGE_SYNC_INTERVAL_MINUTES", "How often the node syncs with its hub."),
    Setting("sync_backoff_max_minutes", float, 30.0, "VILLAGE_SYNC_BACKOFF_MAX_MINUTES", "Longest wait between failed sync attempts."),
    Setting("hub_ca_file", str, "", "VILLAGE_HUB_CA_FILE", "CA certificate file for an https hub (default: the system store)."),
    Setting("kiosk_idle_seconds", int, 90, "VILLAGE_KIOSK_IDLE_SECONDS", "Idle time after which the kiosk returns home."),
    Setting("clerk_idle_minutes", int, 10, "VILLAGE_CLERK_IDLE_MINUTES", "Idle time after which a clerk is logged out."),
    Setting("not_seen_days", int, 3, "VILLAGE_NOT_SEEN_DAYS", "A hub reports villages not seen for this many days."),
    Setting("backup_keep", int, 7, "VILLAGE_BACKUP_KEEP", "How many nightly backups to keep."),
    Setting("serve_workers", int, 0, "VILLAGE_SERVE_WORKERS", "Serving processes of `village serve` (0: one per core, at most 2)."),
    Setting("secret_key", str, "", "VILLAGE_SECRET_KEY", "Key that signs session cookies (default: the one made at init, kept in village.json)."),
    Setting("public_base_url", str, "", "VILLAGE_PUBLIC_BASE_URL", "Address people reach this node at, e.g. http://192.168.1.10:8080: certificate QR codes link there (never to the Host a request named)."),
    Setting("status_lookups_per_minute", int, 10, "VILLAGE_STATUS_LOOKUPS_PER_MINUTE", "Ticket lookups one address may make per minute (guessing tickets is slowed)."),
    Setting("api_requests_per_minute", int, 600, "VILLAGE_API_REQUESTS_PER_MINUTE", "Requests one API token may make per minute, per serving process."),
    Setting("https_port", int, 8443, "VILLAGE_HTTPS_PORT", "Port `village serve` serves HTTPS on, for tablets (0: no HTTPS); HTTP stays on --port for the kiosk."),
    Setting("tls_names", str, "", "VILLAGE_TLS_NAMES", "Extra names or addresses (comma-separated, e.g. village.lan) the node's certificate and CA cover, besides its host name, host.local and LAN addresses."),
    Setting("tls_cert_file", str, "", "VILLAGE_TLS_CERT_FILE", "A real certificate chain (PEM) to serve HTTPS with instead of the node's own CA's (e.g. a county with a domain)."),
    Setting("tls_key_file", str, "", "VILLAGE_TLS_KEY_FILE", "The private key (PEM) of tls_cert_file."),
    Setting("county_goal_percent", int, 90, "VILLAGE_COUNTY_GOAL_PERCENT", "At a hub: the share of due visits done below which the completeness page shows red, where no goal is set for the area."),
    Setting("field_kill_switch", int, 0, "VILLAGE_FIELD_KILL_SWITCH", "1: tablets drop the field app's service worker and cached files at next contact (records kept on them stay)."),
    Setting("field_offline_days", int, 14, "VILLAGE_FIELD_OFFLINE_DAYS", "Days a field worker may unlock a tablet offline after their last online login."),
    Setting("field_idle_minutes", int, 5, "VILLAGE_FIELD_IDLE_MINUTES", "Idle time after which the field app locks (the worker unlocks with their password)."),
    Setting("field_unlock_attempts", int, 5, "VILLAGE_FIELD_UNLOCK_ATTEMPTS", "Wrong passwords after which a tablet refuses offline unlock until the worker logs in online."),
    Setting("field_pbkdf2_iterations", int, 600_000, "VILLAGE_FIELD_PBKDF2_ITERATIONS", "PBKDF2-SHA256 rounds of the tablet's offline password check and key (measured: bench/field_bench.py)."),
    Setting("database", str, "", "VILLAGE_DATABASE", "At a county hub: the postgresql:// address of the database holding its records and sync data (empty: the node's own SQLite file); set by `village init --database`."),
    Setting("speech_engine", str, "espeak-ng", "VILLAGE_SPEECH_ENGINE", "Command that speaks the kiosk's read-aloud audio (empty: no speech)."),
)
BY_NAME = {s.name: s for s in SETTINGS}

# The languages a node can be set to and a visitor can switch to, each named in itself.
LANGUAGES = {"zh_Hans": "中文", "ug": "ئۇيغۇرچە", "en": "English"}
SOURCE_LANGUAGE = "en"  # the language of the code's strings: it needs no catalog
DEFAULT_LANGUAGE = "zh_Hans"  # of a new node, unless `village init --lang` says otherwise
RTL_LANGUAGES = ("ug",)
# Flask configuration every node runs with. Session cookies: never readable by scripts, never
# sent with another site's forms; Secure whenever the page came over https (web.auth).
WEB_CONFIG = {"SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax"}


def value(name, overrides=None):
    """Return the current value of setting `name`."""
    setting = BY_NAME[name]
    raw = os.environ.get(setting.env)
    if raw is None and overrides and name in overrides:
        raw = overrides[name]
    if raw is None:
        return setting.default
    return setting.type(raw)


def secret_key(node):
    """Return the key that signs `node`'s session cookies: the setting, else the one made at init."""
    return value("secret_key", node.settings) or node.secret_key
