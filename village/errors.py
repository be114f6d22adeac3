"""The one error registry: every failure a person can act on, by code: HTTP status, exit code, message.

The CLI prints a code's message in the node's language and exits with its code; a page shows
it; a JSON endpoint answers {"error": {"code": ..., "message": ...}} with its status. The sync
engine knows nothing of this module: its exceptions carry a code string, and `refusal` maps
that string (within a context: "bundle", "enroll", "sync") to a code here.
"""
from dataclasses import dataclass

from village.i18n_markers import N_

# Exit codes for scripts. Click itself exits 2 for a usage error.
EXIT_PROBLEM = 1
EXIT_NOT_IN_SYNC = 1
EXIT_UNREACHABLE = 3
EXIT_REFUSED = 4
EXIT_BUSY = 5


@dataclass(frozen=True)
class Entry:
    """What one error code means: its HTTP status, CLI exit code, message and (for a page) title."""

    status: int
    exit_code: int
    message: str
    title: str = N_("Something went wrong")


def _e(status, message, exit_code=EXIT_PROBLEM, title=None):
    return Entry(status, exit_code, message, title) if title else Entry(status, exit_code, message)


REGISTRY = {
    # The web's own answers (the JSON codes are the ones the sync client reads: keep them).
    "not_found": _e(404, N_("There is nothing at this address. Check it, or start again from the home page."),
                    title=N_("Not found")),
    "method_not_allowed": _e(405, N_("This address does not accept that kind of request."),
                             title=N_("Not allowed")),
    "bad_request": _e(400, N_("The request could not be understood. Go back and try again."),
                      title=N_("Something went wrong")),
    "too_large": _e(413, N_("What you sent is longer than this service point accepts, so nothing was saved. "
                            "Go back, shorten the longest answer and send it again."),
                    title=N_("That was too much to send")),
    "storage_unavailable": _e(503, N_("The service point could not store what you sent, so nothing was saved. "
                                      "Please tell the clerk."), title=N_("This could not be saved")),
    "speech_unavailable": _e(503, N_("Read-aloud is not available at this service point. Please ask the clerk."),
                             title=N_("Read-aloud is not available")),
    "http_error": _e(400, N_("This request was refused (HTTP %(status)s).")),
    "internal": _e(500, N_("The service point could not show this page. Please try again, or tell the clerk.")),
    "invalid": _e(422, N_("These values cannot be saved: %(problems)s")),
    # The field app's own JSON answers (village/field/views.py).
    "field.wrong_password": _e(422, N_("This password is not the one of your account.")),
    "field.bad_push": _e(400, N_("Send {\"entries\": [...]}: at most %(max)s sealed outbox entries.")),
    # A node's data directory and identity.
    "node.no_data_dir": _e(400, N_("Say which data directory to use: --data DIR or the VILLAGE_DATA variable.")),
    "demo.hub_stopped": _e(502, N_("The demo's county hub did not start at %(url)s. Is another program using that "
                                   "port? Stop it or choose another with --hub-port, then run the demo again.")),
    "node.missing": _e(404, N_("%(dir)s holds no node yet. Run: village init --data %(dir)s …")),
    "node.exists": _e(409, N_("%(dir)s already holds a node; nothing was changed. Use another --data directory.")),
    "node.damaged": _e(500, N_("%(path)s is damaged (%(error)s); restore it from a backup.")),
    "node.bad_area": _e(400, N_("“%(area)s” is not an area code path; write it like 52/5201/520102/001.")),
    "node.bad_role": _e(400, N_("The role must be village or county, not “%(role)s”.")),
    "node.bad_lang": _e(400, N_("The language must be one of %(langs)s, not “%(lang)s”.")),
    "node.no_name": _e(400, N_("Give the node a name.")),
    "node.no_catalog": _e(500, N_("No translation catalog for %(langs)s: the pages would show in English. "
                                  "Install the package again, or run `make catalogs` in the source tree.")),
    # The database file (village/dbfile.py tells them apart).
    "db.missing": _e(500, N_("The database %(path)s is missing, but this data directory holds a node. Nothing was "
                             "created. Restore a backup: village restore %(backup)s")),
    "db.empty": _e(500, N_("The database %(path)s is empty (0 bytes): its records are lost. Nothing was recreated. "
                           "Restore a backup: village restore %(backup)s")),
    "db.damaged": _e(500, N_("The database %(path)s is damaged (%(error)s). Nothing was changed. "
                             "Restore a backup: village restore %(backup)s")),
    "db.truncated": _e(500, N_("The database %(path)s was cut short: %(size)s of its %(expected)s bytes are left. "
                               "Nothing was changed. Restore a backup: village restore %(backup)s")),
    "db.not_sqlite": _e(500, N_("%(path)s is not a database (its first bytes are something else). Nothing was "
                                "changed. Restore a backup: village restore %(backup)s")),
    "db.full": _e(507, N_("The disk holding %(path)s is full; nothing was saved. Free some space (old exports or "
                          "backups), then run the command again.")),
    "db.read_only": _e(503, N_("%(path)s cannot be written (%(error)s): the disk is read-only or full of errors, or "
                               "the folder belongs to another user. Nothing was saved. Check the SD card, or run "
                               "the command as the node's user.")),
    "db.pg_bad_url": _e(400, N_("“%(url)s” is not a PostgreSQL address; write it like "
                                "postgresql://user@host/database.")),
    "db.pg_county_only": _e(400, N_("Only a county hub keeps its data on PostgreSQL; a village node uses its own "
                                    "file. Leave out --database.")),
    "db.pg_unreachable": _e(503, N_("The PostgreSQL database %(url)s could not be reached (%(error)s). Nothing was "
                                    "changed. Check the address, that the server runs and that the user may log in.")),
    "db.pg_other_node": _e(409, N_("The PostgreSQL database %(url)s already holds the data of another node "
                                   "(%(owner)s). Nothing was changed. Give this hub a database of its own.")),
    "db.pg_standby": _e(503, N_("The PostgreSQL database %(url)s is a standby still in recovery: it cannot take the "
                                "hub's writes. Promote it first (pg_ctl promote), or point the hub at the primary.")),
    "db.pg_not_a_file": _e(409, N_("This hub keeps its records and sync data in PostgreSQL (%(url)s), not in a file "
                                   "of its own: village %(command)s cannot copy them. Back them up and restore them "
                                   "with PostgreSQL's tools (pg_dump and pg_restore, or a standby; see "
                                   "docs/postgresql.md). A hub restored so starts a new epoch, and its villages send "
                                   "again what it lost.")),
    "db.busy": _e(503, N_("The database is busy (another command is writing to it); try again in a minute.")),
    "db.unusable": _e(500, N_("%(path)s could not be used (%(error)s). Nothing was saved; run village check.")),
    "schema_too_new": _e(500, N_("This database was made by a newer version of the program (it has migration "
                                 "“%(name)s”). Install that version; nothing was changed.")),
    "no_such_table": _e(404, N_("There is no table called “%(table)s”. Tables: %(tables)s.")),
    # A file a command is asked to write.
    "out.exists": _e(409, N_("%(path)s already exists; choose a new file name.")),
    "out.is_folder": _e(400, N_("%(path)s is a folder; give a file name in it, e.g. %(example)s")),
    "out.no_folder": _e(400, N_("There is no folder %(dir)s: create it first, or choose a file in a folder that "
                                "exists.")),
    "out.not_writable": _e(503, N_("Nothing can be written in %(dir)s (%(error)s). Choose another folder, or check "
                                   "that the USB stick or disk is not read-only or full.")),
    # Import, export, check and the quarantine of held changes.
    "import.refused": _e(400, N_("Nothing was imported: fix the rows above and run the import again.")),
    "export.xlsx_needs_out": _e(400, N_("XLSX is a binary format: give a file name with --out FILE.xlsx")),
    "export.no_folder": _e(400, N_("The folder %(dir)s does not exist: create it, or give --out a file in a "
                                   "folder that exists.")),
    "export.cannot_write": _e(503, N_("Cannot write %(path)s: %(reason)s.")),
    "check.problems": _e(500, N_("%(n)s problems found.")),
    "quarantine.still_refused": _e(409, N_("Change %(id)s is still refused, nothing was applied: %(reason)s")),
    "quarantine.not_held": _e(404, N_("No change numbered %(id)s is held here. See: village quarantine list")),
    # Emergency alerts (village alert import, the county's alert pages).
    "alert.county_only": _e(409, N_("Only a county hub imports alerts and prices; this node is a %(role)s.")),
    "alert.too_large": _e(413, N_("The file is %(size)s bytes, more than an alert may hold (%(limit)s bytes); it was "
                                  "not read and nothing was imported. Check that this is the alert file.")),
    "alert.malformed": _e(400, N_("The file is not well-formed XML (%(error)s); nothing was imported. Ask the "
                                  "sender for the file again.")),
    "alert.unsafe": _e(400, N_("The file declares a DTD or entities, which an alert never needs (XML attacks use "
                               "them); it was not read and nothing was imported.")),
    "alert.not_cap": _e(400, N_("The file is not a CAP 1.2 / GB/T 35965.1 alert (%(what)s is missing or "
                                "unexpected); nothing was imported.")),
    "alert.missing": _e(400, N_("The alert has no <%(element)s>; nothing was imported.")),
    "alert.bad_value": _e(400, N_("The alert's <%(element)s> is “%(value)s”, not one of: %(choices)s. Nothing was "
                                  "imported.")),
    "alert.no_reference": _e(400, N_("This %(type)s names no alert in <references>; nothing was imported.")),
    "alert.unknown_reference": _e(404, N_("This %(type)s refers to %(refs)s, which this hub never imported; import "
                                          "that alert first. Nothing was changed.")),
    "alert.outside": _e(400, N_("Alert %(identifier)s names no area of this county (%(hub)s) in its area codes "
                                "(%(codes)s). Nothing was imported; to send it anyway, give --area PATH.")),
    # User accounts.
    "user.bad_role": _e(400, N_("The role must be one of: %(roles)s.")),
    "user.bad_name": _e(400, N_("A username is 2 to 40 letters, digits, dots, dashes or underscores.")),
    "user.short_password": _e(400, N_("The password must have at least %(n)s characters.")),
    "user.exists": _e(409, N_("There is already a user called %(name)s.")),
    "user.missing": _e(404, N_("There is no user called %(name)s. See them with: village user list")),
    # Backup and restore.
    "restore.no_file": _e(404, N_("There is no backup file at %(path)s.")),
    "restore.not_a_backup": _e(400, N_("%(path)s is not a backup of this program (%(error)s); nothing was changed.")),
    "restore.damaged": _e(400, N_("%(path)s is damaged or not a backup of this program; nothing was changed.")),
    "restore.newer": _e(400, N_("%(path)s was made by a newer version of the program (migration “%(name)s”); "
                                "install that version to restore it. Nothing was changed.")),
    "restore.foreign": _e(409, N_("%(path)s is a backup of another node (%(owner)s), not of this node (%(node)s). "
                                  "Restoring it would make this node sync as the other one. Nothing was changed. If "
                                  "you are moving that node to this machine on purpose, run the same command with "
                                  "--force.")),
    "restore.unknown_owner": _e(409, N_("%(path)s does not say which node it belongs to, and it holds hub "
                                        "credentials. Nothing was changed. If it is this node's backup, run the same "
                                        "command with --force.")),
    "restore.alien_schema": _e(400, N_("%(path)s holds database objects this program never makes (%(objects)s): it "
                                       "was altered after it was taken. Nothing was changed; use another backup.")),
    "restore.serving": _e(409, N_("The node is serving from %(dir)s (village serve is running). Stop it, restore, "
                                  "then start it again.")),
    "restore.syncing": _e(409, N_("A sync is running on %(dir)s; wait until it ends, then restore.")),
    # The hub's register of nodes (village node add / revoke).
    "hub.county_only": _e(409, N_("Only a county hub enrolls nodes; this node is a %(role)s.")),
    "hub.outside_area": _e(400, N_("Area %(area)s is not inside this hub's area %(hub)s.")),
    "hub.no_such_node": _e(404, N_("There is no enrolled node %(id)s that is not revoked already.")),
    # Tablets enrolled at a village node, and its HTTPS for them.
    "tablet.village_only": _e(409, N_("Tablets enroll at a village node; this node is a %(role)s.")),
    "tablet.bad_name": _e(400, N_("Give the tablet a name of at most 80 characters, e.g. “Tablet 3 (Li Na)”.")),
    "tablet.no_such_tablet": _e(404, N_("There is no tablet %(id)s that is not revoked already. "
                                        "See the list: village tablet list.")),
    "tablet.bad_export": _e(400, N_("This file is not an “Export unsynced” file of the field app (%(reason)s). "
                                    "Nothing was imported. Export it again on the tablet.")),
    "tablet.export_too_large": _e(413, N_("This file is %(size)s MB, more than a tablet's file may be (%(max)s MB): "
                                          "nothing was imported. It is not a file the field app wrote, or it was "
                                          "changed. Export it again on the tablet (photos that do not fit wait for the "
                                          "next file).")),
    "tablet.export_unknown": _e(404, N_("This file comes from tablet %(id)s, which is not enrolled at this node. "
                                        "Nothing was imported: import it at the node the tablet syncs with.")),
    "tablet.export_forged": _e(403, N_("This file's signature is not the one of tablet %(id)s: it was changed "
                                       "after the tablet wrote it. Nothing was imported.")),
    "tablet.export_revoked": _e(403, N_("Tablet %(name)s (%(id)s) was revoked here, so its files are not trusted. "
                                        "Nothing was imported.")),
    "tls.bad_files": _e(400, N_("The certificate or key for HTTPS cannot be used (%(error)s). Check tls_cert_file "
                                "and tls_key_file, or run: village tls init")),
    # Enrolling at a hub; enroll.<code> for each refusal code of the hub.
    "enroll.insecure": _e(400, N_("The hub address %(url)s is not https://, so the node's secret would travel "
                                  "unprotected. Use the hub's https:// address, or add --insecure on a network you "
                                  "trust.")),
    "enroll.unreachable": _e(502, N_("The hub at %(url)s cannot be reached (%(error)s). Check the address and the "
                                     "connection, then run the same command again.")),
    "enroll.wrong_area": _e(409, N_("The hub enrolled this code for area %(granted)s, but this node owns %(area)s. "
                                    "Ask the county for a code for %(area)s.")),
    "enroll.refused": _e(403, N_("The hub refused the enrollment: %(error)s")),
    "enroll.bad_code": _e(403, N_("The hub does not know this enrollment code (%(error)s). Check it, or ask the "
                                  "county for a new one.")),
    "enroll.code_used": _e(409, N_("This enrollment code was already used. Ask the county for a new code.")),
    "enroll.slow_down": _e(429, N_("The hub refused: too many enrollment attempts from this address. Wait a minute, "
                                   "check the code, and try again.")),
    "enroll.revoked": _e(403, N_("This node was revoked at the hub. Ask the county for a new code.")),
    "enroll.tls": _e(502, N_("The hub's certificate could not be verified (%(error)s). Set hub_ca_file if the "
                             "county uses its own CA.")),
    # A sync round (village sync, the clerk's button); sync.<code> for each code a round ends with.
    "sync.not_in_sync": _e(503, N_("Not fully in sync: %(n)s changes still wait to be sent. Run village sync again."),
                           EXIT_NOT_IN_SYNC),
    "sync.not_enrolled": _e(409, N_("This node is not enrolled at a hub yet. Run: village enroll --hub URL --code "
                                    "CODE"), EXIT_NOT_IN_SYNC),
    "sync.busy": _e(409, N_("Another sync is running on this node; try again in a minute."), EXIT_BUSY),
    "sync.unreachable": _e(502, N_("The hub cannot be reached (%(error)s). %(n)s changes wait to be sent; they are "
                                   "kept and sent at the next sync."), EXIT_UNREACHABLE),
    "sync.bad_credentials": _e(403, N_("The hub refused this node's credentials (%(error)s). Ask the county for a "
                                       "new enrollment code and run village enroll again."), EXIT_REFUSED),
    "sync.revoked": _e(403, N_("The hub refused this node's credentials (%(error)s). Ask the county for a new "
                               "enrollment code and run village enroll again."), EXIT_REFUSED),
    "sync.refused": _e(502, N_("The hub refused the sync (%(code)s: %(error)s). Nothing was lost; tell the county "
                               "staff."), EXIT_REFUSED),
    "sync.files_waiting": _e(503, N_("The records are in sync, but evidence files still wait to be sent (%(error)s). "
                                     "They are kept and sent at the next sync."), EXIT_NOT_IN_SYNC),
    "sync.failed": _e(500, N_("Sync failed: %(error)s"), EXIT_REFUSED),
    # USB bundles; bundle.<code> for each code of sync.bundle_file.BundleRefused.
    "bundle.refused": _e(400, N_("The bundle was refused (%(detail)s); nothing was imported.")),
    "bundle.unreadable": _e(400, N_("The bundle file cannot be read (%(detail)s). Check the USB stick and the file "
                                    "name.")),
    "bundle.damaged": _e(400, N_("This file is not a complete bundle (%(detail)s); nothing was imported. Export it "
                                 "again.")),
    "bundle.tampered": _e(400, N_("This bundle was changed after it was signed, or signed with other credentials; "
                                  "nothing was imported. Export a new one.")),
    "bundle.not_enrolled": _e(409, N_("This node is not enrolled at a hub yet. Run: village enroll --hub URL --code "
                                      "CODE")),
    "bundle.wrong_node": _e(409, N_("This reply bundle is for another node (%(link)s); nothing was imported. "
                                    "Use the reply written for this village.")),
    "bundle.unknown_node": _e(403, N_("The bundle comes from node %(link)s, which is not enrolled at this hub; "
                                      "nothing was imported. Import push bundles at the hub, and reply bundles at "
                                      "the village.")),
    "bundle.revoked": _e(403, N_("Node %(link)s was revoked at this hub; nothing was imported.")),
    "bundle.outside_area": _e(403, N_("The bundle holds a record outside the node's area (%(detail)s); nothing was "
                                      "imported.")),
    "bundle.too_large": _e(413, N_("The file is %(size)s bytes, more than a bundle may hold (%(limit)s bytes); it "
                                   "was not read and nothing was imported. Check that this is the bundle file.")),
    "bundle.old_format": _e(400, N_("This bundle was written by an older version of the program, without "
                                    "encryption; nothing was imported. Export a new one with the current version.")),
    "bundle.wrong_key": _e(400, N_("This bundle is encrypted for another key than this node's; nothing was imported. "
                                   "Import it where it was meant to go, or export a new one (the hub's key may have "
                                   "changed: enroll again).")),
    "bundle.no_hub_key": _e(409, N_("This node was enrolled before USB bundles were encrypted, so it does not know "
                                    "the hub's key. Ask the county for a new enrollment code and run: village enroll "
                                    "--hub URL --code CODE")),
    "bundle.reply_failed": _e(503, N_("The bundle was imported, but the reply could not be written to %(path)s "
                                      "(%(detail)s). Import the same bundle again with --reply in a place that can "
                                      "be written: nothing is applied twice.")),
    # The JSON API under /api/ (docs/api.md) and its tokens.
    "api.unauthorized": _e(401, N_("Send a valid API token in the header Authorization: Bearer vt_… (an admin "
                                   "makes one with: village token add). This one is missing, revoked or expired.")),
    "api.forbidden": _e(403, N_("A token of role %(role)s may not %(action)s %(table)s.")),
    "api.outside_area": _e(403, N_("Area %(area)s is outside this token's area %(scope)s.")),
    "api.if_match_required": _e(428, N_("Send If-Match with the record's ETag (read the record first), so that a "
                                        "change made meanwhile is not overwritten. Nothing was saved.")),
    "api.stale": _e(412, N_("The record changed since you read it (its ETag is now %(etag)s); nothing was saved. "
                            "Read it again and make your change on what it holds now.")),
    "api.idempotency_mismatch": _e(422, N_("This Idempotency-Key was already used for another request; nothing was "
                                           "saved. Use a new key for a new record.")),
    "api.bad_idempotency_key": _e(400, N_("An Idempotency-Key is 1 to %(max)s printable characters.")),
    "api.bad_body": _e(400, N_("Send one JSON object as the request body, with Content-Type: application/json.")),
    "api.bad_query": _e(400, N_("The query parameter “%(name)s” is not valid here; see /api/openapi.json.")),
    "api.bad_transition": _e(409, N_("A record that is “%(from)s” cannot become “%(to)s”; it may become: %(next)s. "
                                     "Nothing was saved.")),
    "api.slow_down": _e(429, N_("Too many requests with this token (at most %(n)s a minute); wait a minute.")),
    "token.bad_name": _e(400, N_("A token's name is 2 to 60 letters, digits, dots, dashes or underscores.")),
    "token.bad_days": _e(400, N_("A token lasts 1 to %(max)s days.")),
    "token.exists": _e(409, N_("There is already a token called %(name)s; choose another name.")),
    "token.missing": _e(404, N_("There is no token %(name)s that is not revoked already. See them with: village "
                                "token list")),
    "token.user_disabled": _e(409, N_("User %(name)s is disabled; enable the user before making a token.")),
    "token.role_above_user": _e(403, N_("User %(name)s is %(held)s: only an admin's token may have another role "
                                        "(%(role)s).")),
    "token.outside_area": _e(400, N_("Area “%(area)s” is not an area code path inside this node's area "
                                     "%(node)s.")),
}


class Problem(Exception):
    """A failure a person can act on: a registered code and the values its message names."""

    def __init__(self, code, /, **params):
        entry = REGISTRY[code]  # an unknown code is a bug, and fails loudly here
        super().__init__(entry.message % params)
        self.code, self.params, self.entry = code, params, entry

    def __str__(self):
        return self.args[0]

    @property
    def status(self):
        """Return the HTTP status a web answer gives this problem."""
        return self.entry.status

    @property
    def exit_code(self):
        """Return the exit code the CLI ends with on this problem."""
        return self.entry.exit_code

    def say(self, gettext):
        """Return the message translated with `gettext`, its values filled in."""
        return gettext(self.entry.message) % self.params


def refusal(context, code, **params):
    """Return the Problem for a sync engine's refusal `code` met while doing `context`."""
    known = f"{context}.{code}"
    return Problem(known if known in REGISTRY else f"{context}.refused", code=code, **params)


def sync_problem(code, error=None, pending=None):
    """Return the Problem for a sync round that ended with `code` (None: ran, but not fully in sync)."""
    return refusal("sync", code or "not_in_sync", error=error or code, n=pending)
