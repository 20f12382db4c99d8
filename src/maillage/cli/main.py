"""The ``maillage`` command line: thin over the services."""

from __future__ import annotations

import click

from maillage import __version__
from maillage.cli.admin import db_group
from maillage.cli.analysis import analyse_command, recommend_group
from maillage.cli.coding import coding_group
from maillage.cli.demo import demo_command
from maillage.cli.evaluate import evaluate_group
from maillage.cli.exports import export_command
from maillage.cli.imports import import_group
from maillage.cli.records import (
    actor_group,
    history_command,
    link_group,
    search_command,
    territory_group,
    undo_command,
)
from maillage.cli.resources import import_resources_command, resources_group
from maillage.cli.review import review_group
from maillage.cli.solutions import solution_group
from maillage.cli.users import token_group, user_group
from maillage.cli.web import serve_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="maillage")
def cli() -> None:
    """maillage : cartographier, analyser et faire grandir les alliances des territoires.

    maillage: map, analyse and grow the alliances of French territories.

    Exemple : maillage db upgrade && maillage search "médiation numérique"
    """


for command in (
    demo_command,
    actor_group,
    link_group,
    territory_group,
    search_command,
    history_command,
    undo_command,
    import_group,
    review_group,
    db_group,
):
    cli.add_command(command)
cli.add_command(analyse_command)
cli.add_command(serve_command)
cli.add_command(recommend_group)
cli.add_command(export_command)
cli.add_command(user_group)
cli.add_command(token_group)
cli.add_command(evaluate_group)
cli.add_command(coding_group)
cli.add_command(solution_group)
cli.add_command(resources_group)
import_group.add_command(import_resources_command)


def main() -> None:
    cli(prog_name="maillage")


if __name__ == "__main__":  # python -m maillage.cli.main, as python -m maillage
    main()
