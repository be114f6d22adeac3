"""The CLI's commands for the node's files: backup, restore and check."""
import click

from village.cli.common import data_option, handled, node_store, open_node, say
from village.errors import Problem
from village.i18n import translations
from village.i18n_markers import N_
from village.node import load_node


@click.command()
@data_option
@click.option("--out", required=True, type=click.Path(), help="The backup file to write.")
@handled
def backup(data_dir, out):
    """Copy the database to a backup file (safe while the node is serving)."""
    from village.ops.maintenance import backup as run_backup

    _not_on_postgresql(load_node(data_dir), "backup")
    node, db = open_node(data_dir)
    try:
        run_backup(db, out)
    finally:
        db.close()
    click.echo(say(node.lang, N_("Backup written to %(path)s."), path=out))


@click.command()
@data_option
@click.argument("file", type=click.Path())
@click.option("--force", is_flag=True, help="Restore a backup of another node (moving that node here).")
@handled
def restore(data_dir, file, force):
    """Replace the node's data with a backup file (stop `village serve` first)."""
    from village.ops.restore import restore as run_restore

    # Not open_node(): the current database is not opened at all, it may be what is damaged.
    node = load_node(data_dir)
    _not_on_postgresql(node, "restore")
    report = run_restore(node, file, force=force)
    click.echo(say(node.lang, N_("Restored from %(path)s."), path=file))
    if report["replaced"]:
        click.echo(say(node.lang, N_("The database it replaced is kept as %(path)s; delete it once all is well."),
                       path=report["replaced"]))
    if not report["clock_read"]:
        click.echo(say(node.lang, N_("The database it replaced could not be read: changes made after the backup "
                                     "was taken are not on this node any more. The hub keeps those it received.")),
                   err=True)
    users = ", ".join(f"{name} ({role})" for name, role in report["users"]) or "-"
    click.echo(say(node.lang, N_("Who can log in now: %(users)s"), users=users))


def _not_on_postgresql(node, command):
    """Refuse a backup or restore at a hub whose records are in PostgreSQL: that database's own tools do it."""
    from village.hubdb import shown

    if node.role == "county" and node.setting("database"):
        raise Problem("db.pg_not_a_file", url=shown(node.setting("database")), command=command)


@click.command()
@data_option
@click.option("--repair", is_flag=True, help="First make the county's roll-ups again from the records.")
@handled
def check(data_dir, repair):
    """Check the node's files and database: modes, integrity, references and the app's own rules."""
    from village.hubdb import close_store, sync_store
    from village.ops.maintenance import check as run_check, repair as run_repair

    if repair:  # where the records are: a county hub's PostgreSQL store, else the node's database
        with node_store(data_dir) as (node, store):
            click.echo(say(node.lang, N_("The county's figures were counted again: %(n)s records counted."),
                           n=run_repair(store)))
    node, db = open_node(data_dir)
    try:
        store = sync_store(node, db)  # a county hub's records are checked where they are kept
        try:
            problems = run_check(db, node, store)
        finally:
            close_store(store, db)
    finally:
        db.close()
    gettext = translations(node.lang).gettext
    click.echo(say(node.lang, N_("Checking %(name)s (%(dir)s):"), name=node.name, dir=str(node.data_dir)))
    for message, params in problems:
        click.echo("  - " + gettext(message) % params, err=True)
    if problems:
        raise Problem("check.problems", n=len(problems))
    click.echo(say(node.lang, N_("The database is in order.")))


COMMANDS = (backup, restore, check)
