"""The node's own commands: init, serve, demo, status."""
import json
import sqlite3

import click

from village.cli.common import data_option, handled, node_store, open_node, say
from village.i18n_markers import N_
from village.errors import Problem
from village.node import ROLES, init_node, load_node, open_db
from village.settings import DEFAULT_LANGUAGE, LANGUAGES



@click.command()
@data_option
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", required=True, help="The village's or county's name, e.g. 红星村.")
@click.option("--area", required=True, help="Administrative-area code path, e.g. 52/5201/520102/001.")
@click.option("--lang", default=DEFAULT_LANGUAGE, type=click.Choice(LANGUAGES), show_default=True)
@click.option("--database", default="", help="A county hub's PostgreSQL database for its records and sync data, "
                                              "e.g. postgresql://village@dbhost/county (default: its own SQLite file).")
@handled
def init(data_dir, role, name, area, lang, database):
    """Create a new node in the data directory."""
    if not data_dir:
        raise Problem("node.no_data_dir")
    from village.tls import init_tls

    node = init_node(data_dir, role, name, area, lang, database)
    click.echo(say(lang, N_("Created %(role)s node “%(name)s” (%(area)s) in %(dir)s; node id %(id)s."),
                   role=role, name=node.name, area=node.area, dir=data_dir, id=node.node_id))
    info, _made = init_tls(node)  # tablets need HTTPS on the LAN (see docs/field.md)
    click.echo(say(lang, N_("Server certificate for %(names)s, valid until %(date)s."),
                   names=", ".join(info.subject_names), date=info.not_after.date().isoformat()))


@click.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, type=int, show_default=True)
@handled
def serve(data_dir, host, port):
    """Serve the node's pages and API with cheroot, and run its scheduled jobs."""
    from village.dbfile import damage_of, explain
    from village.ops.serve import run

    node, db = open_node(data_dir)
    # Opening reads only the first pages: a file cut short or damaged inside would be served until
    # a page asks for a bad one. Checked once, before anything is served.
    try:
        verdict = db.execute("PRAGMA quick_check(1)").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        verdict = None
        code, params = explain(exc, node.db_path)
    finally:
        db.close()
    if verdict != "ok":
        if verdict is not None:
            code, params = damage_of(node.db_path, verdict)
        raise Problem(code, **params)
    run(node, host, port)


@click.command()
@data_option
@click.option("--port", default=8080, type=int, show_default=True)
@click.option("--hub-port", default=8081, type=int, show_default=True, help="Port of the demo county's hub.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--villages", default=23, type=click.IntRange(0, 23), show_default=True,
              help="How many villages the demo county holds besides the demo village (made at the first start).")
@click.option("--no-serve", is_flag=True, help="Only create the demo data.")
@click.option("--database", default="", help="The demo hub's PostgreSQL database, e.g. postgresql://village@dbhost/demo "
                                              "(made at the first start; default: its own SQLite file).")
@handled
def demo(data_dir, port, hub_port, villages, host, no_serve, database):
    """Create a demo village and its county (if not there yet) and serve both."""
    from pathlib import Path

    from village.ops import demo_county
    from village.ops.serve import run

    data_dir = Path(data_dir or "demo-data")
    hub_dir, hub = demo_county.hub_path(data_dir), None  # the hub: made at the first start, with the village
    try:
        node, made = load_node(data_dir), False
    except Problem:
        # The hub first: a database it is refused (--database) then leaves no demo half made.
        hub = _load_or(hub_dir, lambda: demo_county.create_hub(data_dir, database))
        node, made = demo_county.create_served(data_dir), True
    if not made and not hub_dir.exists():
        # Demo data from before the demo county: served as it is; made again with its county once deleted.
        click.echo(say(node.lang, N_("%(dir)s holds no demo county: delete it to make the demo again with one."),
                       dir=str(data_dir)), err=True)
        _say_logins(node, None)
        if not no_serve:
            _serve_village(node, host, port, run)
        return
    with demo_county.ServedHub(hub_dir, host, hub_port) as served:
        _fill_county(node, hub, served.url, data_dir, villages)
        _say_logins(node, served.url)
        if not no_serve:
            _serve_village(node, host, port, run)


def _load_or(data_dir, create):
    """Return the node in `data_dir`, made by `create()` when there is none (a start cut short may have made it)."""
    try:
        return load_node(data_dir)
    except Problem:
        return create()


def _fill_county(node, hub, hub_url, data_dir, count):
    """Build the demo county at the first start (`hub` made just now), else let its villages report again."""
    from village.ops import demo_county

    def progress(message, **params):
        click.echo(say(node.lang, message, **params), err=True)

    if hub is None:
        demo_county.refresh(data_dir, progress)
        return
    made = demo_county.build(node, hub, hub_url, progress, count=count)
    click.echo(say(node.lang, N_("Demo county: %(villages)s villages, %(stale)s not in contact for days, "
                                 "%(conflicts)s conflict, %(held)s held change."), **made))


def _say_logins(node, hub_url):
    from village.ops.demo_county import DEMO_CLERK, DEMO_COUNTY_USER

    click.echo(say(node.lang, N_("Clerk pages: log in at /clerk/ as %(user)s with password %(password)s."),
                   user=DEMO_CLERK[0], password=DEMO_CLERK[1]))
    if hub_url:
        click.echo(say(node.lang, N_("County pages: %(url)s/county/ (user %(user)s, password %(password)s)."),
                       url=hub_url, user=DEMO_COUNTY_USER[0], password=DEMO_COUNTY_USER[1]))


def _serve_village(node, host, port, run):
    # Certificates link to this address (never to a request's Host); a real node sets it once.
    node.settings.setdefault("public_base_url", f"http://{host}:{port}")
    run(node, host, port)


@click.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handled
def status(data_dir, as_json):
    """Show the node, its records, and how its sync stands."""
    from village.ops.status import node_status

    with node_store(data_dir) as (node, db):  # a county hub's records and sync state: where they are kept
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


COMMANDS = (init, serve, demo, status)
