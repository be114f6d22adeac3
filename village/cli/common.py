"""What every `village` command shares: the --data option, messages in the node's language, clear errors."""
import contextlib
import functools
import os
import sqlite3
import sys
from pathlib import Path

import click

from village.errors import EXIT_PROBLEM, Problem
from village.filemodes import private_umask
from village.i18n import translations
from village.node import DB_FILE, load_node, open_db
from village.dbfile import explain


class Said(click.ClickException):
    """A problem already put in the reader's language: printed to stderr, no traceback, its exit code."""

    def __init__(self, message, exit_code=EXIT_PROBLEM):
        super().__init__(message)
        self.exit_code = exit_code


def data_option(func):
    """Add `--data DIR` (or VILLAGE_DATA) to a command, as every command takes it."""
    return click.option("--data", "data_dir", envvar="VILLAGE_DATA", type=click.Path(file_okay=False),
                        help="The node's data directory (or set VILLAGE_DATA).")(func)


def say(lang, message, **params):
    """Return `message` translated into `lang` with its parameters filled in."""
    return translations(lang).gettext(message) % params


def node_lang(data_dir):
    """Return the language of the node in `data_dir`, English when there is none to ask."""
    try:
        return load_node(data_dir).lang if data_dir else "en"
    except (Problem, OSError):
        return "en"


def handled(func):
    """Turn the registered problems of the layers below into their message and exit code, never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        data_dir = kwargs.get("data_dir")
        lang = node_lang(data_dir)
        try:
            # Every file a command writes (database, WAL, backups, bundles, exports) is the owner's only.
            with private_umask():
                return func(*args, **kwargs)
        except BrokenPipeError:
            # The reader of our output (`| head`) stopped early: not a problem to report.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(EXIT_PROBLEM) from None
        except (Problem, sqlite3.DatabaseError, OSError) as exc:
            if not isinstance(exc, Problem):
                # A full disk, a read-only SD card, a damaged file: said plainly, never as a traceback.
                code, params = explain(exc, Path(data_dir or ".") / DB_FILE)
                exc = Problem(code, **params)
            raise Said(exc.say(translations(lang).gettext), exc.exit_code) from None

    return wrapper


def open_node(data_dir):
    """Return (node, db) for a data directory that holds a node."""
    node = load_node(data_dir)
    return node, open_db(node)


@contextlib.contextmanager
def node_store(data_dir):
    """Yield (node, store): the node and where its records and sync data live (a county hub's
    PostgreSQL store, closed afterwards, or the node's own database)."""
    from village.hubdb import close_store, sync_store

    node, db = open_node(data_dir)
    try:
        store = sync_store(node, db)
        try:
            yield node, store
        finally:
            close_store(store, db)
    finally:
        db.close()
