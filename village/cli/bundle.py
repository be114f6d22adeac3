"""The `village bundle` commands: sync batches carried on a USB stick (SPEC 4, Sneakernet)."""
import click

from village.cli.common import data_option, handled, node_store, open_node, say
from village.errors import Problem, refusal
from village.filemodes import out_file_problem
from village.i18n import translations
from village.i18n_markers import N_


@click.group("bundle")
def bundle_group():
    """Carry sync on a USB stick: export at the village, import at the hub, import its reply."""


def _check_out(path):
    """Refuse a file that cannot be written, before anything is exported or imported."""
    problem = out_file_problem(path, "village.bundle")
    if problem:
        raise Problem(problem[0], **problem[1])


@bundle_group.command("export")
@data_option
@click.option("--out", required=True, type=click.Path(), help="The bundle file to write.")
@handled
def bundle_export(data_dir, out):
    """Write an encrypted, signed bundle of the changes the hub has not acknowledged yet."""
    from sync.bundle import BundleRefused, export_bundle
    from village.keys import sealing_key
    from village.records import evidence

    node, db = open_node(data_dir)
    _check_out(out)
    try:
        info = export_bundle(db, out, sealing_key(node.data_dir), evidence.store(node))
    except BundleRefused as exc:
        raise refusal("bundle", exc.code, detail=exc.detail, **exc.params) from None
    click.echo(say(node.lang, N_("Wrote %(n)s changes to %(path)s. Import it at the hub with: "
                                 "village bundle import %(path)s --reply REPLY"), n=info["changes"], path=out))
    if info["files"] or info["files_waiting"]:
        click.echo(say(node.lang, N_("It carries %(n)s evidence files; %(more)s more wait for the next bundle."),
                       n=info["files"], more=info["files_waiting"]))
    if info["more"]:
        click.echo(say(node.lang, N_("More changes wait than one bundle holds: after importing the hub's reply, "
                                     "export another bundle.")), err=True)


@bundle_group.command("import")
@data_option
@click.argument("file", type=click.Path())
@click.option("--reply", type=click.Path(), help="At the hub: where to write the reply bundle.")
@handled
def bundle_import(data_dir, file, reply):
    """Import a bundle: a village's at the hub (writing --reply), or the hub's reply at the village."""
    from sync.bundle import PUSH, BundleRefused, import_bundle
    from village.keys import sealing_key
    from village.records import evidence, receipts, trust

    if reply:
        _check_out(reply)  # before the import: afterwards it has committed
    with node_store(data_dir) as (node, db):  # at a county hub, where its records are (PostgreSQL or not)
        try:
            info = import_bundle(db, node.node_id, file, reply, trust.policy, key=sealing_key(node.data_dir),
                                 store=evidence.store(node), uploadable=evidence.uploadable,
                                 check=evidence.content_problem)
        except BundleRefused as exc:
            raise refusal("bundle", exc.code, detail=exc.detail, **exc.params) from None
        if info["kind"] != PUSH:
            receipts.note(db, node, "delivered_at")  # alerts carried by the reply: reported in the next bundle
    if info["kind"] != PUSH:
        click.echo(say(node.lang, N_("Imported the hub's reply: acknowledged up to %(cursor)s, %(n)s changes "
                                     "received."), cursor=info["acknowledged"], n=info["received"]))
        return
    click.echo(say(node.lang, N_("Imported %(n)s changes (%(new)s new)."), n=info["received"], new=info["applied"]))
    if info["files"] or info["files_refused"]:
        click.echo(say(node.lang, N_("Evidence files: %(n)s held here now (%(new)s new), %(refused)s refused."),
                       n=info["files"], new=info["files_new"], refused=len(info["files_refused"])))
    for line in evidence.not_kept(info["files_refused"], translations(node.lang).gettext):
        click.echo(f"  {line}")
    if info["gap"]:
        click.echo(say(node.lang, N_("This hub lacks older changes of that node; the reply asks it to send them "
                                     "again in its next bundle.")), err=True)
    if reply:
        click.echo(say(node.lang, N_("Wrote the reply (%(n)s changes for the node) to %(path)s. Import it at the "
                                     "village with: village bundle import %(path)s"), n=info["sent"], path=reply))
    else:
        click.echo(say(node.lang, N_("No --reply file was given: the node will send these changes again until "
                                     "it imports a reply.")), err=True)


COMMANDS = (bundle_group,)
