"""The CLI reference (docs/cli.md), generated from the commands' own ``--help``.

``python -m maillage.cli.reference > docs/cli.md`` regenerates it; a test
checks that the file matches the commands, so it cannot drift.
"""

from __future__ import annotations

import click

from maillage.cli.main import cli


def _walk(command: click.Command, ctx: click.Context) -> list[tuple[str, str]]:
    """(command path, help text) of ``command`` and of its subcommands, depth first.

    Each context has its parent's, as when the command runs: the help option names
    (``-h``) and the path are inherited the same way in the reference and in use.
    """
    found = [(ctx.command_path, command.get_help(ctx))]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            sub = command.commands[name]
            with sub.make_context(name, [], parent=ctx, resilient_parsing=True) as child:
                found.extend(_walk(sub, child))
    return found


def render_reference() -> str:
    """Markdown with the ``--help`` text of every command, in command order."""
    parts = [
        "# maillage: command reference",
        "",
        "Generated from `--help` by `python -m maillage.cli.reference`; do not edit.",
        "",
    ]
    # make_context applies each command's context_settings (``-h``), as a real run does.
    with cli.make_context("maillage", [], resilient_parsing=True, terminal_width=100) as root:
        for path, text in _walk(cli, root):
            parts += [f"## `{path}`", "", "```text", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render_reference(), end="")
