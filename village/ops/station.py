"""A village station's status report: what it tells its hub with each round, and what the hub accepts.

Some health facts only the village knows (records and files still waiting, free disk, the
program's version, when its certificate expires). The village fills a report (`report`); the
sync engine carries it, unread, and the hub keeps it per node after `check_report` passed it.
"""
import datetime
import functools
import importlib.metadata
import re
import shutil

from sync.filelane import waiting_count
from sync.jobs import pending_count

PACKAGE = "village-toolkit"
FIELDS = ("records_waiting", "files_waiting", "free_disk_mb", "version", "cert_expires")
COUNT_LIMIT = 10 ** 9  # changes, files or megabytes: more than any station holds
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$")


@functools.cache  # read from the package's metadata once: the code running is the version it was started as
def program_version():
    """Return this program's version ("unknown" when it is run from a tree that was never installed)."""
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def free_disk_mb(path):
    """Return the free space under `path` in MB, to two significant figures (so it changes seldom)."""
    free = shutil.disk_usage(path).free // 2 ** 20
    scale = 10 ** max(len(str(free)) - 2, 0)
    return min(free // scale * scale, COUNT_LIMIT)


def cert_expiry(node):
    """Return the day the certificate the node serves HTTPS with expires (ISO text), or None when it serves none."""
    from village.tls import cert_info

    info = cert_info(node)
    return info.not_after.date().isoformat() if info else None


def report(node):
    """Return status(db): the report this village sends its hub at the end of a sync round."""
    def status(db):
        return {"records_waiting": min(pending_count(db), COUNT_LIMIT),
                "files_waiting": min(waiting_count(db), COUNT_LIMIT),
                "free_disk_mb": free_disk_mb(node.data_dir), "version": program_version(),
                "cert_expires": cert_expiry(node)}
    return status


def check_report(status):
    """Return what is wrong with a report a hub received (text), or None when it holds exactly FIELDS."""
    if set(status) != set(FIELDS):
        return f"a status report holds exactly {', '.join(FIELDS)}"
    for name in ("records_waiting", "files_waiting", "free_disk_mb"):
        value = status[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= COUNT_LIMIT:
            return f"{name} must be a whole number from 0 to {COUNT_LIMIT}"
    if not isinstance(status["version"], str) or not _VERSION.match(status["version"]):
        return "version must be a version number such as 1.2.0"
    expires = status["cert_expires"]
    if expires is not None and not _is_day(expires):
        return "cert_expires must be a day (YYYY-MM-DD) or null"
    return None


def _is_day(text):
    if not isinstance(text, str) or len(text) != 10:
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True
