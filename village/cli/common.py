"""What every `village` command shares: the --data option, messages in the node's language, clear errors."""
import functools
import os
import sqlite3
import sys
from pathlib import Path

import click

from village.ops.dbfile import explain
from village.filemodes import private_umask
from village.i18n import translations
from village.node import DB_FILE, NodeError, load_node, open_db

EXIT_PROBLEM = 1


class Problem(click.ClickException):
    """An error a clerk can act on: printed to stderr, exit code 1, no traceback."""

    exit_code = EXIT_PROBLEM


def data_option(func):
    """Add `--data DIR` (or VILLAGE_DATA) to a command, as every command takes it."""
    return click.option("--data", "data_dir", envvar="VILLAGE_DATA", type=click.Path(file_okay=False),
                        help="The node's data directory (or set VILLAGE_DATA).")(func)


def say(lang, message, **params):
    """Return `message` translated into `lang` with its parameters filled in."""
    return translations(lang).gettext(message) % params


def handled(func):
    """Turn the known errors of the layers below into clear messages and a non-zero exit."""
    from village.ops.maintenance import MaintenanceError
    from village.migrations import SchemaTooNew
    from village.records.schema import NoSuchTable
    from village.records.validate import ValidationError
    from village.users import UserError

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        lang = "en"
        try:
            if kwargs.get("data_dir"):
                try:
                    lang = load_node(kwargs["data_dir"]).lang
                except (NodeError, OSError):
                    pass
            # Every file a command writes (database, WAL, backups, bundles, exports) is the owner's only.
            with private_umask():
                return func(*args, **kwargs)
        except BrokenPipeError:
            # The reader of our output (`| head`) stopped early: not a problem to report.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(EXIT_PROBLEM) from None
        except (sqlite3.DatabaseError, OSError) as exc:
            # A full disk, a read-only SD card, a damaged file: said plainly, never as a traceback.
            where = Path(kwargs.get("data_dir") or ".") / DB_FILE
            message, params = explain(exc, where)
            raise Problem(say(lang, message, **params)) from None
        except (NodeError, MaintenanceError, UserError) as exc:
            raise Problem(say(lang, exc.message, **exc.params)) from None
        except SchemaTooNew as exc:
            raise Problem(say(lang, exc.message, name=exc.args[0])) from None
        except NoSuchTable as exc:
            message, params = exc.message()
            raise Problem(say(lang, message, **params)) from None
        except ValidationError as exc:
            raise Problem("\n".join(exc.render(translations(lang).gettext))) from None

    return wrapper


def open_node(data_dir):
    """Return (node, db) for a data directory that holds a node."""
    node = load_node(data_dir)
    return node, open_db(node)
