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
    from sync.links import get_link
    from sync.quarantine import get_held
    from sync.server import release_held
    from village.field.outbox import unsealer_for
    from village.records import trust

    with node_store(data_dir) as (node, db):
        held = get_held(db, entry)
        # A tablet's held change is checked again as a tablet's: a release never widens what it may write.
        link = get_link(db, held["node_id"]) if held else None
        policy = trust.policy_for(link or {})
        try:
            still = release_held(db, node.node_id, entry, "cli", policy, unseal=unsealer_for(node, link))
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
