"""The nightly backup job: a backup into <data>/backups/ when one is due, and rotation."""
import datetime
from pathlib import Path

from sync.clock import utc_now
from village.filemodes import make_private_dir

BACKUP_DIR = "backups"
BACKUP_PREFIX = "village-"
BACKUP_SUFFIX = ".db"


def backup_due(newest, now, local_hour):
    """Return True when a backup is due: none for 20 h and it is night, or none for 26 h at all."""
    if newest is None:
        return True
    age = abs(now - newest)  # abs: a clock reset to 1970 must not stop backups for decades
    return age >= datetime.timedelta(hours=26) or (age >= datetime.timedelta(hours=20) and local_hour < 6)


def newest_backup(folder):
    """Return the UTC time the newest backup in `folder` was taken (from its name), or None."""
    found = sorted(Path(folder).glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"))
    for path in reversed(found):
        stamp = path.name[len(BACKUP_PREFIX):-len(BACKUP_SUFFIX)]
        try:
            return datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    return None


def backup_if_due(db, node, now=None):
    """Take the nightly backup when one is due (see `backup_due`); return its path or None."""
    now = now or utc_now()
    if not backup_due(newest_backup(Path(node.data_dir) / BACKUP_DIR), now, now.astimezone().hour):
        return None
    return nightly_backup(db, node, now)


def nightly_backup(db, node, now=None):
    """Back the database up into <data>/backups/ and keep the newest `backup_keep` files."""
    from village.ops.maintenance import backup

    folder = make_private_dir(Path(node.data_dir) / BACKUP_DIR)
    stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%S%fZ")
    out = backup(db, folder / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}")
    rotate_backups(folder, node.setting("backup_keep"))
    return out


def rotate_backups(folder, keep):
    """Delete all but the newest `keep` backups in `folder`; return the deleted paths."""
    found = sorted(p for p in Path(folder).glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}") if p.is_file())
    doomed = found[:-keep] if keep > 0 else found
    for path in doomed:
        path.unlink()
    return doomed
