"""The county hub's commands: import an emergency alert (CAP XML) and the official price file (CSV)."""
import click

from village.cli.common import data_option, handled, node_store, say
from village.errors import Problem
from village.i18n_markers import N_

# What `alert import` says it did, by the Outcome's kind.
SAID = {
    "published": N_("Alert %(id)s published to %(areas)s; villages receive it at their next sync."),
    "updated": N_("Update %(id)s applied to alert %(key)s (%(areas)s)."),
    "cancelled": N_("Cancel %(id)s applied: alert %(key)s is withdrawn from %(areas)s."),
    "duplicate": N_("Message %(id)s was imported before; nothing was changed."),
    "recorded": N_("Message %(id)s is an acknowledgement or error report: recorded, nothing published."),
}


@click.group("alert")
def alert_group():
    """Emergency alerts at a county hub."""


@alert_group.command("import")
@data_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", help="Send it to this area path instead of the areas its codes name.")
@handled
def alert_import(data_dir, file, area):
    """Import a CAP 1.2 / GB/T 35965.1 alert (XML) and publish it to the villages it names."""
    from village.records.alerts import import_cap
    from village.records.cap import MAX_BYTES

    with open(file, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)  # a larger file is refused from this much, never read whole
    with node_store(data_dir) as (node, db):
        outcome = import_cap(db, node, data, area)
    click.echo(say(node.lang, SAID[outcome.kind], id=outcome.identifier, key=outcome.alert_key,
                   areas=", ".join(outcome.areas) or "-"))
    if outcome.status != "Actual" and outcome.kind in ("published", "updated"):
        click.echo(say(node.lang, N_("Its status is %(status)s: villages keep it but residents are not shown it."),
                       status=outcome.status), err=True)


@click.group("prices")
def prices_group():
    """Market prices at a county hub."""


@prices_group.command("import")
@data_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@handled
def prices_import(data_dir, file):
    """Import the official price file (CSV, Chinese headers), all or nothing, and publish it to the villages."""
    from village.cli.data import _print_problems
    from village.records.files import ImportRefused
    from village.records.prices import MAX_BYTES, check, publish

    with node_store(data_dir) as (node, db):
        if node.role != "county":
            raise Problem("alert.county_only", role=node.role)
        try:
            with open(file, "rb") as handle:
                checked = check(db, handle.read(MAX_BYTES + 1))
            if checked.problems:
                raise ImportRefused(checked.problems, len(checked.rows))
        except ImportRefused as exc:
            _print_problems(node.lang, exc)
            raise Problem("import.refused") from None
        for row, field, message, params in checked.warnings:
            click.echo(say(node.lang, N_("row %(row)s"), row=row) + f", {field}: " + say(node.lang, message, **params),
                       err=True)
        written = publish(db, node, checked.rows)
    if checked.encoding == "gb18030":
        click.echo(say(node.lang, N_("The file was read as GB18030 (Chinese Excel's CSV).")), err=True)
    click.echo(say(node.lang, N_("Published %(n)s prices (%(new)s new or changed) to %(area)s."),
                   n=len(checked.rows), new=written, area=node.area))


COMMANDS = (alert_group, prices_group)
