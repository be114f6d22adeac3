"""The data commands of the CLI: import, export, backup and restore."""
import sys

import click

from village.cli import Problem, data_option, handled, open_node, say
from village.i18n import translations
from village.i18n_markers import N_


@click.command("import")
@data_option
@click.argument("table")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@handled
def import_(data_dir, table, file):
    """Import a CSV file into TABLE, all or nothing (upsert by id; new ids where absent)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from village.records.schema import fields
    from village.transfer import ImportRefused, import_csv

    fields(table)
    node, db = open_node(data_dir)
    gettext = translations(node.lang).gettext
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_stderr_console(), disable=not sys.stderr.isatty(), transient=True) as bar:
        task = bar.add_task(table, total=None)
        try:
            count = import_csv(db, node, table, file,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
        except ImportRefused as exc:
            for row, field, message, params in exc.problems:
                where = say(node.lang, N_("row %(row)s"), row=row) + (f", {field}" if field else "")
                click.echo(f"{where}: {gettext(message) % params}", err=True)
            raise Problem(say(node.lang, N_("Nothing was imported: fix the rows above and run the import again.")))
    click.echo(say(node.lang, N_("Imported %(n)s rows into %(table)s."), n=count, table=table))


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@click.command()
@data_option
@click.argument("table")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of the screen.")
@handled
def export(data_dir, table, fmt, out):
    """Export TABLE (or `conflicts`) as CSV, JSON or XLSX."""
    from village.records.schema import fields
    from village.transfer import export_rows, write_csv, write_json, write_xlsx

    if table != "conflicts":
        fields(table)
    _node, db = open_node(data_dir)
    columns, records = export_rows(db, table)
    if fmt == "xlsx":
        if not out:
            raise Problem("XLSX is a binary format: give a file name with --out FILE.xlsx")
        write_xlsx(columns, records, out)
        return
    writer = write_csv if fmt == "csv" else write_json
    if out:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            writer(columns, records, handle)
    else:
        writer(columns, records, sys.stdout)


@click.command()
@data_option
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The backup file to write.")
@handled
def backup(data_dir, out):
    """Copy the database to a backup file (safe while the node is serving)."""
    from village.maintenance import backup as run_backup

    node, db = open_node(data_dir)
    run_backup(db, out)
    click.echo(say(node.lang, N_("Backup written to %(path)s."), path=out))


@click.command()
@data_option
@click.argument("file", type=click.Path(dir_okay=False))
@handled
def restore(data_dir, file):
    """Replace the node's data with a backup file."""
    from village.maintenance import restore as run_restore

    node, db = open_node(data_dir)
    run_restore(db, file)
    click.echo(say(node.lang, N_("Restored from %(path)s."), path=file))


COMMANDS = (import_, export, backup, restore)
