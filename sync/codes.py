"""The codes a sync round ends with, each named once (the strings are stable: messages are keyed on them).

A round ends OK, or with one of these as `code` (see `village.ops.sync.SyncResult`): its own
(BUSY, NOT_ENROLLED), the transport's (UNREACHABLE, TLS, HTTP_ERROR, TOO_LARGE) or a code the
hub refused with (`sync.server.SyncRefused`, sent back in the one JSON error shape).
"""

OK = None  # fully in sync
BUSY = "busy"  # another round is running on this data directory
NOT_ENROLLED = "not_enrolled"  # no hub credentials yet
FAILED = "failed"  # the round broke on something unforeseen (a bug): shown, never a crash of the caller
# The transport's: no answer, a certificate that does not verify, an answer that is no JSON error.
UNREACHABLE = "unreachable"
TLS = "tls"
HTTP_ERROR = "http_error"
# The hub's refusals.
TOO_LARGE = "too_large"
BAD_REQUEST = "bad_request"
BAD_BATCH = "bad_batch"
BAD_CREDENTIALS = "bad_credentials"
STALE_NONCE = "stale_nonce"
REVOKED = "revoked"
GAP = "gap"
BAD_CODE = "bad_code"
CODE_USED = "code_used"
OUTSIDE_AREA = "outside_area"
SLOW_DOWN = "slow_down"
BAD_STATUS = "bad_status"  # a push whose status report is malformed or out of range
NOT_A_TABLET = "not_a_tablet"  # a request only an enrolled tablet may make (its conflicts), from another link
# The file lane's (sync.filelane, sync.filehub): a piece of a file the hub does not take, and
# a round whose records are in sync while files still wait to be sent.
FILE_UNKNOWN = "file_unknown"  # no record held at the hub names this file: it is not stored
FILE_OFFSET = "file_offset"  # the piece does not start where the hub's copy ends (with "offset")
FILE_MISMATCH = "file_mismatch"  # the whole file does not hash to its name: thrown away, send again
FILE_REFUSED = "file_refused"  # the whole file is not of the kind its record says: thrown away, the sender's copy waits
FILES_WAITING = "files_waiting"
