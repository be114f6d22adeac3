"""The `village token ...` commands: make, list and revoke the tokens programs use for the JSON API."""
import json

import click

from village.cli.common import data_option, handled, open_node, say
from village.i18n_markers import N_
from village.users import ROLES


@click.group()
def token():
    """Manage the tokens of the JSON API (/api/)."""


@token.command("add")
@data_option
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. national-monitoring (in the audit log).")
@click.option("--role", type=click.Choice(ROLES), help="The token's role (default: the user's).")
@click.option("--area", help="The area code path it may read and write (default: the node's).")
@click.option("--days", type=int, default=90, show_default=True, help="Days until it expires.")
@handled
def token_add(data_dir, username, name, role, area, days):
    """Make a token for USERNAME and print it once: it is kept only as a hash."""
    from village.records.tokens import add_token

    node, db = open_node(data_dir)
    record, secret = add_token(db, username, name, node.area, role=role, area=area, days=days)
    click.echo(say(node.lang, N_("Token %(name)s for %(user)s (%(role)s, area %(area)s) until %(until)s. "
                                 "Copy it now: it is not shown again."), name=name, user=username,
                   role=record["role"], area=record["area"], until=record["expires_at"]), err=True)
    click.echo(secret)


@token.command("list")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handled
def token_list(data_dir, as_json):
    """List the tokens: name, user, role, area, expiry and whether revoked (never the secret)."""
    from village.records.tokens import list_tokens

    node, db = open_node(data_dir)
    tokens = list_tokens(db)
    if as_json:
        click.echo(json.dumps(tokens, ensure_ascii=False, indent=2))
        return
    if not tokens:
        click.echo(say(node.lang, N_("No tokens yet. Make one with: village token add USERNAME --name NAME")))
    revoked = say(node.lang, N_("revoked"))
    for t in tokens:
        click.echo(f"{t['name']:24} {t['username']:16} {t['role']:12} {t['area']:24} {t['expires_at']:26} "
                   f"{revoked if t['revoked_at'] else ''}")


@token.command("revoke")
@data_option
@click.argument("name")
@handled
def token_revoke(data_dir, name):
    """Revoke the token NAME: it opens nothing from its next request on."""
    from village.records.tokens import revoke_token

    node, db = open_node(data_dir)
    revoke_token(db, name)
    click.echo(say(node.lang, N_("Token %(name)s is revoked."), name=name))


COMMANDS = (token,)
