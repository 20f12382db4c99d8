"""The import-linter contracts of ``pyproject.toml`` (run by ``make lint``) hold, and bite.

Both tests run ``lint-imports`` on a source tree with the project's own contracts: the
tree the tests import must pass; a copy with one forbidden import must fail, naming the
broken contract and the offending import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import maillage

SRC = Path(maillage.__file__).resolve().parents[1]  # the tree under test
ROOT = Path(__file__).resolve().parents[1]  # its pyproject.toml holds the contracts
LAYERS = "Layers: model, settings <- storage, io, geo, analysis <- recommend <- services"


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    command = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", command, "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def python_only(folder: str, names: list[str]) -> set[str]:
    """``copytree`` filter: keep packages and modules, leave data, templates and assets."""
    return {n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()}


def test_the_source_tree_keeps_every_layer_contract() -> None:
    result = lint_imports(SRC)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_analysis_module_importing_storage_breaks_the_layers(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(SRC / "maillage", copy / "maillage", ignore=python_only)
    module = copy / "maillage" / "analysis" / "mixing.py"
    module.write_text("import maillage.storage.tables\n" + module.read_text(), encoding="utf-8")
    result = lint_imports(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    report = " ".join(result.stdout.split())  # the report wraps long contract names
    assert f"{LAYERS} <- web <- cli BROKEN" in report
    assert "maillage.analysis.mixing -> maillage.storage.tables (l.1)" in report
