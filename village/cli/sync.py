"""The sync commands of the CLI: node add/revoke, enroll, sync, announce."""
import json
import sys

import click

from village.cli.common import data_option, handled, node_store, say
from village.errors import Problem, sync_problem
from village.i18n_markers import N_
from village.node import check_area
from village.records.schema import PRIORITIES


@click.group("node")
def node_group():
    """Manage the nodes enrolled at this hub."""


@node_group.command("add")
@data_option
@click.option("--name", required=True, help="The village's name.")
@click.option("--area", required=True, help="The area code path the node owns.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handled
def node_add(data_dir, name, area, as_json):
    """Register a node at this hub and print its one-time enrollment code."""
    from sync.server import SyncRefused, add_node

    with node_store(data_dir) as (node, store):
        if node.role != "county":
            raise Problem("hub.county_only", role=node.role)
        try:
            node_id, code = add_node(store, name.strip(), check_area(area), node.area)
        except SyncRefused:
            raise Problem("hub.outside_area", area=area, hub=node.area) from None
    if as_json:
        click.echo(json.dumps({"node_id": node_id, "code": code, "name": name.strip(), "area": check_area(area)}))
        return
    click.echo(say(node.lang, N_("Enrollment code for %(name)s (%(area)s): %(code)s\n"
                                 "On that node run: village enroll --hub URL --code %(code)s"),
                   name=name, area=check_area(area), code=code))


@node_group.command("revoke")
@data_option
@click.argument("node_id")
@handled
def node_revoke(data_dir, node_id):
    """Revoke an enrolled node's credentials (it can no longer sync)."""
    from sync.server import revoke

    with node_store(data_dir) as (node, store):
        done = revoke(store, node_id)
    if not done:
        raise Problem("hub.no_such_node", id=node_id)
    click.echo(say(node.lang, N_("Node %(id)s is revoked."), id=node_id))


@click.command()
@data_option
@click.option("--hub", "hub_url", required=True, help="The hub's address, e.g. https://county.example/")
@click.option("--code", required=True, help="The one-time enrollment code from the county.")
@click.option("--insecure", is_flag=True, help="Allow a plain http:// hub (the secret travels unprotected).")
@handled
def enroll(data_dir, hub_url, code, insecure):
    """Enroll this node at its hub with a one-time code."""
    from village.ops.sync import enroll as run_enroll

    with node_store(data_dir) as (node, db):  # a county hub enrolling above keeps its link where its records are
        if insecure and not hub_url.lower().startswith("https://"):
            click.echo(say(node.lang, N_("Warning: %(url)s is not https://; the node's secret travels unprotected."),
                           url=hub_url), err=True)
        answer = run_enroll(node, db, hub_url, code, insecure)
    click.echo(say(node.lang, N_("Enrolled at %(hub)s as node %(id)s. Run `village sync` to send and receive records."),
                   hub=answer.get("hub_name") or hub_url, id=answer["node_id"]))


@click.command("sync")
@data_option
@handled
def sync_command(data_dir):
    """Run one full sync round with the hub; exit 0 only when fully in sync."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from village.ops.sync import run_sync

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with node_store(data_dir) as (node, db), \
            Progress(*columns, console=Console(stderr=True), disable=not sys.stderr.isatty(), transient=True) as bar:
        tasks = {}

        def progress(stage, done, total):
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        result = run_sync(node, progress, db=db)
    if result.ok:
        click.echo(say(node.lang, N_("In sync: sent %(pushed)s changes, received %(pulled)s."),
                       pushed=result.pushed, pulled=result.pulled))
        if result.files_sent or result.files_received or result.files_waiting:
            click.echo(say(node.lang, N_("Evidence files: %(sent)s sent, %(received)s received, %(waiting)s the hub "
                                         "does not hold yet."), sent=result.files_sent,
                           received=result.files_received, waiting=result.files_waiting))
        return
    raise sync_problem(result.code, result.error, result.pending)


@click.command()
@data_option
@click.option("--title", required=True)
@click.option("--body", default="")
@click.option("--priority", type=click.Choice(PRIORITIES), default="normal", show_default=True)
@click.option("--area", help="The area path it is addressed to (default: this node's whole area).")
@click.option("--expires", help="When it stops showing, ISO 8601 (e.g. 2026-06-01T18:00:00+08:00).")
@handled
def announce(data_dir, title, body, priority, area, expires):
    """Publish an announcement to every village under an area path."""
    from village.records.core import save, write

    with node_store(data_dir) as (node, db):
        values = {"title": {node.lang: title}, "body": {node.lang: body}, "priority": priority,
                  "area": check_area(area or node.area)}
        if expires:
            values["expires_at"] = expires
        with write(db, node) as writer:
            row_id = save(writer, node, "announcements", values)
    click.echo(say(node.lang, N_("Announcement %(id)s published to %(area)s; villages receive it at their next sync."),
                   id=row_id, area=values["area"]))


COMMANDS = (node_group, enroll, sync_command, announce)
