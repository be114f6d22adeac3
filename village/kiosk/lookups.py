"""The limit on ticket lookups from one address: the status page, the receipt and their audio share it."""
import sqlite3

from flask import current_app

from village.web import throttle
from village.web.auth import client_ip
from village.web.db import get_db


def lookup_allowed():
    """Count one ticket lookup from this address; return False when it made too many this minute."""
    limit = current_app.config["NODE"].setting("status_lookups_per_minute")
    try:
        return throttle.allow(get_db(), f"status|{client_ip()}", limit)
    except sqlite3.OperationalError:
        return True  # a full disk or read-only data dir must not stop residents reading their tickets
