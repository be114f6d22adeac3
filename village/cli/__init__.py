"""The `village` command line (SPEC 5): every command a clerk, a script or a job runs."""
import click

from village.cli import bundle, county, data, files, node, quarantine, sync, tablets, tokens, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="village-toolkit")
def main():
    """Village services toolkit: a village node or county hub, its data and its sync."""


for module in (node, data, sync, bundle, users, tokens, quarantine, files, tablets, county):
    for command in module.COMMANDS:
        main.add_command(command)
