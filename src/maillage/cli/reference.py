"""The CLI reference (docs/cli.md), generated from the commands' own ``--help``.

``python -m maillage.cli.reference > docs/cli.md`` regenerates it; a test
checks that the file matches the commands, so it cannot drift.
"""

from __future__ import annotations

import click

from maillage.cli.main import cli


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


def render_reference() -> str:
    """Markdown with the ``--help`` text of every command, in command order."""
    parts = [
        "# maillage: command reference",
        "",
        "Generated from `--help` by `python -m maillage.cli.reference`; do not edit.",
        "",
    ]
    for path, command in _walk(cli, ["maillage"]):
        with click.Context(command, info_name=" ".join(path), terminal_width=100) as ctx:
            text = command.get_help(ctx)
        parts += [f"## `{' '.join(path)}`", "", "```text", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render_reference(), end="")
