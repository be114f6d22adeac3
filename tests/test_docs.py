"""Every setting, command and option is documented (as Datasette's docs tests check).

Settings: a `## name` section of docs/settings.md naming the environment variable and default.
Commands: a `### village ...` section of docs/cli.md naming each of the command's options and
arguments; an option every command takes is explained once, before the first command.
"""
import re
from pathlib import Path

import click
import pytest

from village.cli import main
from village.settings import SETTINGS

DOCS = Path(__file__).parent.parent / "docs"


def sections(path, level):
    """Return {heading: text} of the sections of `path` at heading `level` (text up to the next one)."""
    marks = "#" * level
    parts = re.split(rf"^{marks} +(.+)$", path.read_text(encoding="utf-8"), flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def commands(group=main, path=("village",)):
    """Return [(the command's words, the command)] for every command under `group`."""
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, (*path, name))
        else:
            found.append((" ".join((*path, name)), command))
    return found


def names_of(param):
    """Return how the docs name `param`: its long option, or an argument's metavar (FILE)."""
    if isinstance(param, click.Argument):
        return [param.name.upper()]
    return [opt for opt in param.opts if opt.startswith("--")] or list(param.opts)


COMMANDS = commands()
CLI_DOC = DOCS / "cli.md"
COMMON = set.intersection(*({p.name for p in command.params} for _, command in COMMANDS))


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting):
    documented = sections(DOCS / "settings.md", 2)
    assert setting.name in documented, f"docs/settings.md has no '## {setting.name}' section"
    text = documented[setting.name]
    assert f"`{setting.env}`" in text, f"{setting.name}: its environment variable is not named"
    if setting.default == "":
        shown = "empty"
    else:
        shown = f"`{setting.default:g}`" if isinstance(setting.default, float) else f"`{setting.default}`"
    assert f"Default: {shown}" in text, f"{setting.name}: its default ({shown}) is not given"


@pytest.mark.parametrize("words, command", COMMANDS, ids=[words for words, _ in COMMANDS])
def test_every_command_and_option_is_documented(words, command):
    documented = sections(CLI_DOC, 3)
    assert words in documented, f"docs/cli.md has no '### {words}' section"
    text = documented[words]
    missing = [name for param in command.params if param.name not in COMMON
               for name in names_of(param) if not re.search(rf"`{re.escape(name)}\b", text)]
    assert not missing, f"{words}: {', '.join(missing)} not documented in its section of docs/cli.md"


def test_options_of_every_command_and_of_the_group_are_explained_once_at_the_top():
    intro = CLI_DOC.read_text(encoding="utf-8").split("\n## ", 1)[0]
    group_options = [name for param in main.params for name in names_of(param)]
    common = [name for _, command in COMMANDS[:1] for param in command.params if param.name in COMMON
              for name in names_of(param)]
    assert common == ["--data"]
    for name in (*common, *group_options, "VILLAGE_DATA"):
        assert name in intro, f"{name} is not explained at the top of docs/cli.md"


def test_the_walk_reaches_every_command_of_every_group():
    words = [w for w, _ in COMMANDS]
    assert {"village init", "village user add", "village bundle import", "village quarantine release"} <= set(words)
    assert all(not isinstance(command, click.Group) for _, command in COMMANDS)
