"""``maillage serve``: starts the portal on the given database, refuses an empty one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from maillage.cli.main import cli


# Through the group, as a user runs it: a command invoked alone keeps click's bare
# "--help" option for good, and the CLI reference would then lose "-h".
def test_help_ends_with_an_example() -> None:
    result = CliRunner().invoke(cli, ["serve", "-h"])
    assert result.exit_code == 0 and "Exemple : maillage serve --db" in result.output


def test_an_empty_database_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "empty.sqlite")])
    assert result.exit_code == 1 and "maillage db upgrade" in result.output


def test_serves_the_portal_on_the_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.update(app=app, **kw))
    result = CliRunner().invoke(cli, ["serve", "--db", db_url, "--port", "8123", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output
    assert (started["host"], started["port"]) == ("127.0.0.1", 8123)
    with TestClient(started["app"], base_url="http://localhost") as client:
        home = client.get("/")
    assert home.status_code == 200 and '<html lang="en">' in home.text
