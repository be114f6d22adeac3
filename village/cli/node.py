"""The node's own commands: init, serve, demo, status."""
import json

import click

from village.cli.common import data_option, handled, open_node, say
from village.i18n_markers import N_
from village.errors import Problem
from village.node import ROLES, init_node, load_node, open_db
from village.settings import DEFAULT_LANGUAGE, LANGUAGES

DEMO_CLERK = ("clerk", "village-demo")  # a demo village only: printed when it starts


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
    """Serve the node's pages and API with waitress, and run its scheduled jobs."""
    from village.ops.serve import run

    node, db = open_node(data_dir)
    db.close()
    run(node, host, port)


@click.command()
@data_option
@click.option("--port", default=8080, type=int, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-serve", is_flag=True, help="Only create the demo data.")
@handled
def demo(data_dir, port, host, no_serve):
    """Create a demo village with realistic data (if not there yet) and serve it."""
    from village.ops.demo import populate
    from village.ops.serve import run
    from village.users import add_user

    data_dir = data_dir or "demo-data"
    try:
        node = load_node(data_dir)
    except Problem:
        from village.tls import init_tls

        node = init_node(data_dir, "village", "红星村", "52/5201/520102/001", "zh_Hans")
        init_tls(node)
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


@click.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handled
def status(data_dir, as_json):
    """Show the node, its records, and how its sync stands."""
    from village.ops.status import node_status

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


COMMANDS = (init, serve, demo, status)
