"""``maillage …`` run in-process as a user would type it, for the command-line tests."""

from __future__ import annotations

from click.testing import CliRunner

from maillage.cli.main import cli


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of ``maillage *args``."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
