"""The `village user ...` commands: add, list, disable, enable and change the role of who can log in."""
import json
import sys

import click

from village.cli.common import data_option, handled, open_node, say
from village.i18n_markers import N_
from village.users import ROLES


@click.group()
def user():
    """Manage the people who can log in."""


@user.command("add")
@data_option
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@handled
def user_add(data_dir, username, role, password_stdin):
    """Add a user who can log in to the clerk, field or county pages."""
    from village.users import add_user

    node, db = open_node(data_dir)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    add_user(db, username, role, password)
    click.echo(say(node.lang, N_("User %(name)s added as %(role)s."), name=username, role=role))


@user.command("list")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handled
def user_list(data_dir, as_json):
    """List the users: name, role, whether disabled, and their open sessions."""
    from village.users import list_users

    node, db = open_node(data_dir)
    users = list_users(db)
    if as_json:
        click.echo(json.dumps(users, ensure_ascii=False, indent=2))
        return
    if not users:
        click.echo(say(node.lang, N_("No users yet. Add one with: village user add USERNAME --role clerk")))
    disabled = say(node.lang, N_("disabled"))
    for u in users:
        click.echo(f"{u['username']:20} {u['role']:12} {disabled if u['disabled'] else '':10} {u['sessions']}")


def _set_disabled(data_dir, username, disabled, message):
    from village.users import set_disabled

    node, db = open_node(data_dir)
    set_disabled(db, username, disabled)
    click.echo(say(node.lang, message, name=username))


@user.command("disable")
@data_option
@click.argument("username")
@handled
def user_disable(data_dir, username):
    """Stop USERNAME from logging in, and end the sessions the user has open."""
    _set_disabled(data_dir, username, True, N_("User %(name)s is disabled and logged out everywhere."))


@user.command("enable")
@data_option
@click.argument("username")
@handled
def user_enable(data_dir, username):
    """Let a disabled USERNAME log in again."""
    _set_disabled(data_dir, username, False, N_("User %(name)s can log in again."))


@user.command("role")
@data_option
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@handled
def user_role(data_dir, username, role):
    """Give USERNAME another role, from the user's next page on."""
    from village.users import set_role

    node, db = open_node(data_dir)
    set_role(db, username, role)
    click.echo(say(node.lang, N_("User %(name)s is now %(role)s."), name=username, role=role))


COMMANDS = (user,)
