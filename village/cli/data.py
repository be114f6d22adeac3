"""The data commands of the CLI: import and export."""
import functools
import os
import stat
import sys
import tempfile

import click

from village.cli.common import data_option, handled, node_store, say
from village.errors import Problem
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
    from village.records.files import ImportRefused, import_csv

    fields(table)
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    # A county hub's records: where they are kept (its PostgreSQL store, or the node's database).
    with node_store(data_dir) as (node, db), Progress(*columns, console=_stderr_console(),
                                                       disable=not sys.stderr.isatty(), transient=True) as bar:
        task = bar.add_task(table, total=None)
        try:
            count, encoding = import_csv(db, node, table, file,
                                         progress=lambda done, total: bar.update(task, completed=done, total=total))
        except ImportRefused as exc:
            _print_problems(node.lang, exc)
            raise Problem("import.refused") from None
    if encoding == "gb18030":
        click.echo(say(node.lang, N_("The file was read as GB18030 (Chinese Excel's CSV).")), err=True)
    click.echo(say(node.lang, N_("Imported %(n)s rows into %(table)s."), n=count, table=table))


def _print_problems(lang, refused):
    """Print each problem of a refused import on stderr, led by its row number."""
    gettext = translations(lang).gettext
    for row, field, message, params in refused.problems:
        where = ([say(lang, N_("row %(row)s"), row=row)] if row is not None else []) + ([field] if field else [])
        text = gettext(message) % {k: _short(v) for k, v in params.items()}
        click.echo(f"{', '.join(where)}: {text}" if where else text, err=True)
    if refused.more:
        click.echo(say(lang, N_("… and %(n)s more rows with problems."), n=refused.more), err=True)


def _short(value, limit=80):
    """Return a value to quote in a message, cut when long (a cell may hold 64 KB)."""
    return value[:limit - 1] + "…" if isinstance(value, str) and len(value) > limit else value


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
    """Export TABLE (or the report `conflicts` or `monitored`) as CSV, JSON or XLSX."""
    from village.records.reports import REPORTS
    from village.records.schema import fields

    if table not in REPORTS:
        fields(table)
    with node_store(data_dir) as (node, db):  # a county hub's records: where they are kept
        _export(node, db, table, fmt, out)


def _export(node, db, table, fmt, out):
    """Write `table` (or a report) of `db` to `out`, or to the screen."""
    from sync.stores import as_tx
    from village.records.files import export_rows, write_csv, write_json, write_xlsx
    from village.records.reports import LANGUAGE

    if fmt == "xlsx" and not out:
        raise Problem("export.xlsx_needs_out")
    if out:
        _check_folder(out)
    if as_tx(db).engine == "sqlite":  # PostgreSQL refuses text that is not UTF-8 when it is written
        # A value stored as bytes that are not UTF-8 (written by another program) is shown, not fatal.
        db.conn.text_factory = functools.partial(str, encoding="utf-8", errors="replace")
    gettext = translations(LANGUAGE.get(table, node.lang)).gettext
    columns, records = export_rows(db, table, gettext)
    if fmt == "xlsx":
        _write_file(out, "wb", lambda handle: write_xlsx(columns, records, handle, gettext))
        return
    writer = write_csv if fmt == "csv" else write_json
    if out:
        _write_file(out, "w", lambda handle: writer(columns, records, handle))
        return
    try:
        writer(columns, records, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early: that is not an error of the export.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _check_folder(out):
    """Refuse an --out file whose folder does not exist, before any work is done."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise Problem("export.no_folder", dir=folder)


def _write_file(out, mode, write):
    """Write a file through `write(handle)`, only readable by this user, whole or not at all.

    The export goes to a temporary file beside `out` and replaces it at the end, so a
    failure (a full disk) never leaves a half-written file that looks complete. A device or
    pipe (/dev/stdout) is written directly: it cannot be replaced, and must not be.
    """
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    temp = None
    try:
        if os.path.exists(out) and not stat.S_ISREG(os.stat(out).st_mode):
            with open(out, mode, **text) as handle:
                write(handle)
            return
        target = os.path.realpath(out)  # through a symbolic link: the link stays, its file is replaced
        folder, name = os.path.split(target)
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)  # mkstemp makes it 0600
        with open(fd, mode, **text) as handle:
            write(handle)
        os.replace(temp, target)
        temp = None
    except OSError as exc:
        raise Problem("export.cannot_write", path=out, reason=exc.strerror or str(exc)) from None
    finally:
        if temp:
            os.unlink(temp)


# backup and restore live in village/cli/files.py with check.
COMMANDS = (import_, export)
