"""The `village quarantine` commands: changes this node refused, to see and release or discard."""
import json

import click

from village.cli.common import data_option, handled, node_store, say
from village.errors import Problem
from village.i18n_markers import N_


@click.group("quarantine")
def quarantine_group():
    """Changes refused on receipt (outside the sender's area, invalid values): list, release, discard."""


@quarantine_group.command("list")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handled
def quarantine_list(data_dir, as_json):
    """List the changes held here, newest first, with their sender and reason."""
    from sync.quarantine import held

    with node_store(data_dir) as (node, db):
        entries = [{k: e[k] for k in ("id", "node_id", "tbl", "row_id", "code", "message", "received_at")}
                   for e in held(db)]
        if as_json:
            click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
            return
        if not entries:
            click.echo(say(node.lang, N_("Nothing is held: every change received was applied.")))
        for e in entries:
            click.echo(f"{e['id']}\t{e['received_at']}\t{e['node_id']}\t{e['tbl']} {e['row_id']}\t"
                       f"{e['code']}: {e['message']}")


@quarantine_group.command("release")
@data_option
@click.argument("entry", type=int)
@handled
def quarantine_release(data_dir, entry):
    """Check a held change again and apply it, once the reason it was refused is fixed."""
    from village.ops.held import release

    with node_store(data_dir) as (node, db):
        try:
            still = release(db, node, entry, "cli")
        except KeyError:
            raise Problem("quarantine.not_held", id=entry) from None
        if still is not None:
            raise Problem("quarantine.still_refused", id=entry, reason=still.message)
        click.echo(say(node.lang, N_("Change %(id)s was checked again and applied."), id=entry))


@quarantine_group.command("discard")
@data_option
@click.argument("entry", type=int)
@handled
def quarantine_discard(data_dir, entry):
    """Set a held change aside for good (it stays on record as discarded)."""
    from sync.server import discard_held

    with node_store(data_dir) as (node, db):
        try:
            discard_held(db, entry, "cli")
        except KeyError:
            raise Problem("quarantine.not_held", id=entry) from None
        click.echo(say(node.lang, N_("Change %(id)s was discarded."), id=entry))


COMMANDS = (quarantine_group,)
