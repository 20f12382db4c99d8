"""docs/cli.md is the commands' own --help: regenerate with MAILLAGE_REGENERATE=1."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from maillage.cli.reference import render_reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_matches_the_commands() -> None:
    current = render_reference()
    if os.environ.get("MAILLAGE_REGENERATE"):
        DOC.write_text(current, encoding="utf-8")
    stored = DOC.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            stored.splitlines(True), current.splitlines(True), "docs/cli.md", "help"
        )
    )
    assert stored == current, (
        "docs/cli.md is out of date: MAILLAGE_REGENERATE=1 pytest tests/cli/test_cli_reference.py\n"
        + diff[:3000]
    )


def test_every_command_help_ends_with_an_example() -> None:
    sections = render_reference().split("## `")[1:]
    leaves = [s for s in sections if "Commands:" not in s]
    missing = [s.splitlines()[0] for s in leaves if "Exemple" not in s and "Example" not in s]
    assert missing == []
