"""The `village` command line (SPEC 5): every command a clerk, a script or a job runs."""
import functools
import json
import os
import sqlite3
import sys
from pathlib import Path

import click

from village.dbfile import explain
from village.files import private_umask
from village.i18n import translations
from village.i18n_markers import N_
from village.node import DB_FILE, NodeError, init_node, load_node, open_db

EXIT_PROBLEM = 1
DEMO_CLERK = ("clerk", "village-demo")  # a demo village only: printed when it starts


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
    from village.maintenance import MaintenanceError
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="village-toolkit")
def main():
    """Village services toolkit: a village node or county hub, its data and its sync."""


@main.command()
@data_option
@click.option("--role", type=click.Choice(["village", "county"]), required=True)
@click.option("--name", required=True, help="The village's or county's name, e.g. 红星村.")
@click.option("--area", required=True, help="Administrative-area code path, e.g. 52/5201/520102/001.")
@click.option("--lang", default="zh_Hans", type=click.Choice(["zh_Hans", "ug", "en"]), show_default=True)
@handled
def init(data_dir, role, name, area, lang):
    """Create a new node in the data directory."""
    if not data_dir:
        raise NodeError(N_("Say which data directory to use: --data DIR or the VILLAGE_DATA variable."))
    node = init_node(data_dir, role, name, area, lang)
    click.echo(say(lang, N_("Created %(role)s node “%(name)s” (%(area)s) in %(dir)s; node id %(id)s."),
                   role=role, name=node.name, area=node.area, dir=data_dir, id=node.node_id))


@main.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, type=int, show_default=True)
@handled
def serve(data_dir, host, port):
    """Serve the node's pages and API with waitress, and run its scheduled jobs."""
    from village.server import run

    node, db = open_node(data_dir)
    db.close()
    run(node, host, port)


@main.command()
@data_option
@click.option("--port", default=8080, type=int, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-serve", is_flag=True, help="Only create the demo data.")
@handled
def demo(data_dir, port, host, no_serve):
    """Create a demo village with realistic data (if not there yet) and serve it."""
    from village.demo import populate
    from village.server import run
    from village.users import add_user

    data_dir = data_dir or "demo-data"
    try:
        node = load_node(data_dir)
    except NodeError:
        node = init_node(data_dir, "village", "红星村", "52/5201/520102/001", "zh_Hans")
        db = open_db(node)
        counts = populate(db, node)
        add_user(db, DEMO_CLERK[0], "clerk", DEMO_CLERK[1], actor="demo")
        db.close()
        click.echo(", ".join(f"{n} {t}" for t, n in counts.items()))
    click.echo(say(node.lang, N_("Clerk pages: log in at /clerk/ as %(user)s with password %(password)s."),
                   user=DEMO_CLERK[0], password=DEMO_CLERK[1]))
    if not no_serve:
        # Certificates link to this address (never to a request's Host); a real node sets it once.
        node.settings.setdefault("public_base_url", f"http://{host}:{port}")
        run(node, host, port)


@main.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handled
def status(data_dir, as_json):
    """Show the node, its records, and how its sync stands."""
    from village.status import node_status

    node, db = open_node(data_dir)
    info = node_status(db, node)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2, sort_keys=True))
        return
    click.echo(f"{info['name']} ({info['role']}, {info['area']}) node {info['node_id']}")
    for table, count in info["records"].items():
        click.echo(f"  {table:18} {count}")
    for key, value in sorted(info["sync"].items()):
        if not isinstance(value, (dict, list)):
            click.echo(f"  sync.{key}: {value}")


def register(group):
    """Add the data commands (import, export, backup, restore) to `group`."""
    from village.cli_bundle import COMMANDS as BUNDLE_COMMANDS
    from village.cli_data import COMMANDS
    from village.cli_files import COMMANDS as FILE_COMMANDS
    from village.cli_quarantine import COMMANDS as QUARANTINE_COMMANDS
    from village.cli_sync import COMMANDS as SYNC_COMMANDS
    from village.cli_users import COMMANDS as USER_COMMANDS

    for command in (*COMMANDS, *SYNC_COMMANDS, *BUNDLE_COMMANDS, *USER_COMMANDS, *QUARANTINE_COMMANDS,
                    *FILE_COMMANDS):
        group.add_command(command)


register(main)
