"""The tablet and TLS commands of the CLI: tablet add/list/revoke/import, tls init."""
import json

import click

from village.cli.common import data_option, handled, open_node, say
from village.i18n_markers import N_


@click.group("tablet")
def tablet_group():
    """Manage the tablets enrolled at this village node."""


@tablet_group.command("add")
@data_option
@click.option("--name", required=True, help="The tablet's name, e.g. “Tablet 3 (Li Na)”.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--qr", "show_qr", is_flag=True, help="Also print the enrollment QR code in the terminal.")
@handled
def tablet_add(data_dir, name, as_json, show_qr):
    """Register a tablet and print its one-time enrollment code."""
    from village.ops.tablets import add_tablet, enroll_url

    node, db = open_node(data_dir)
    link_id, code = add_tablet(node, db, name)
    base = node.setting("public_base_url") or ""
    url = enroll_url(base, code) if base else ""
    if as_json:
        click.echo(json.dumps({"tablet_id": link_id, "code": code, "name": name.strip(), "area": node.area,
                               "url": url}, ensure_ascii=False))
        return
    click.echo(say(node.lang, N_("Enrollment code for tablet %(name)s: %(code)s\n"
                                 "On the tablet, open the field app on the village Wi-Fi and enter the code, or scan "
                                 "the QR code on the clerk's Tablets page."), name=name.strip(), code=code))
    if show_qr:
        import segno

        segno.make(url or code, error="m").terminal(compact=True)


@tablet_group.command("list")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handled
def tablet_list(data_dir, as_json):
    """List the tablets registered here: enrolled or not, last contact, revoked."""
    from village.ops.tablets import list_tablets

    node, db = open_node(data_dir)
    tablets = list_tablets(db)
    if as_json:
        click.echo(json.dumps(tablets, ensure_ascii=False, indent=2))
        return
    for t in tablets:
        state = (say(node.lang, N_("revoked")) if t["revoked_at"] else
                 say(node.lang, N_("enrolled")) if t["enrolled_at"] else say(node.lang, N_("waiting for enrollment")))
        click.echo(f"{t['node_id']}  {t['name']}  {state}  {t['last_seen'] or '-'}")


@tablet_group.command("revoke")
@data_option
@click.argument("tablet_id")
@handled
def tablet_revoke(data_dir, tablet_id):
    """Revoke a tablet's credentials (lost or retired): it can no longer sync."""
    from village.ops.tablets import revoke_tablet

    node, db = open_node(data_dir)
    revoke_tablet(db, tablet_id)
    click.echo(say(node.lang, N_("Tablet %(id)s is revoked."), id=tablet_id))


@tablet_group.command("import")
@data_option
@click.argument("file", type=click.Path(dir_okay=False))
@handled
def tablet_import(data_dir, file):
    """Import a tablet's "Export unsynced" file (from a USB stick): each record once, however often imported."""
    from pathlib import Path

    from village.field.rescue import check_size, import_export
    from village.i18n import translations
    from village.records.evidence import not_kept

    node, db = open_node(data_dir)
    check_size(Path(file).stat().st_size)  # a file too big is refused before it is read
    ack = import_export(node, db, Path(file).read_bytes())
    click.echo(say(node.lang, N_("Imported %(n)s records from the tablet's file (%(new)s new, %(refused)s refused)."),
                   n=ack["received"], new=ack["applied"], refused=len(ack["refused"])))
    for refused in ack["refused"]:
        click.echo(f"  {refused['row_id']}: {refused['code']}: {refused['message']}", err=True)
    photos = ack["photos"]
    if photos["received"]:
        click.echo(say(node.lang, N_("Photos: %(n)s in the file, %(new)s kept now, %(before)s held here before, "
                                     "%(refused)s refused."), n=photos["received"], new=photos["new"],
                       before=photos["held"] - photos["new"], refused=len(photos["refused"])))
    for line in not_kept(photos["refused"], translations(node.lang).gettext):
        click.echo(f"  {line}")


@click.group("tls")
def tls_group():
    """The node's HTTPS certificate for tablets on the LAN."""


@tls_group.command("init")
@data_option
@click.option("--new-ca", is_flag=True, help="Make a new CA even if the node has one (every tablet must install it again).")
@handled
def tls_init(data_dir, new_ca):
    """Make the node's name-constrained CA (when needed) and a fresh server certificate."""
    from village.tls import init_tls

    node, _db = open_node(data_dir)
    info, made_ca = init_tls(node, new_ca)
    if made_ca:
        click.echo(say(node.lang, N_("Made a new CA for this node: install it on each tablet (clerk pages, Tablets).")))
    click.echo(say(node.lang, N_("Server certificate for %(names)s, valid until %(date)s."),
                   names=", ".join(info.subject_names), date=info.not_after.date().isoformat()))


COMMANDS = (tablet_group, tls_group)
