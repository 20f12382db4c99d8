"""``maillage serve``: starts the portal on the given database, refuses an empty one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from maillage.cli.main import cli
from maillage.web.app import app_from_environment
from maillage.web.deployment import ENVIRONMENT


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


def test_serve_behind_a_proxy_from_options_and_environment(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The options and MAILLAGE_* variables reach the portal, with one worker or several
    (whose factory reads them back from the environment)."""
    for variable in [*ENVIRONMENT.values(), "MAILLAGE_DATABASE_URL"]:
        monkeypatch.delenv(variable, raising=False)  # restored after the test
    monkeypatch.setenv("MAILLAGE_EXPORT_MAX_ROWS", "5")
    monkeypatch.setenv("MAILLAGE_TRUSTED_HOSTS", "carto.example.org, localhost")
    started: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.update(app=app, **kw))
    for workers in ("1", "2"):
        args = ["serve", "--db", db_url, "--root-path", "maillage/", "--workers", workers]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert "http://127.0.0.1:8000/maillage/" in result.output
        app = app_from_environment() if started.get("factory") else started["app"]
        assert app.state.settings.root_path == "/maillage"
        assert app.state.settings.export_max_rows == 5
        with TestClient(app, base_url="http://carto.example.org") as client:
            health = client.get("/maillage/healthz")
            assert health.status_code == 200
            assert client.get("/healthz", headers={"host": "evil.example"}).status_code == 400
            assert client.get("/maillage/api/export/actors.csv").status_code == 200  # no actor


def test_a_setting_that_cannot_work_stops_serve_with_one_line(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--db", db_url, "--public-url", "carto.example"])
    assert result.exit_code != 0
    assert "public_url" in result.output and "http(s)://" in result.output
    assert "Traceback" not in result.output


def test_serve_invoked_by_another_command_keeps_the_environment_s_settings(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``maillage demo`` invokes serve with --db and --port only: MAILLAGE_ROOT_PATH and
    MAILLAGE_LOG_FORMAT still apply."""
    import click

    from maillage.cli.web import serve_command

    monkeypatch.setenv("MAILLAGE_ROOT_PATH", "/carto")
    monkeypatch.setenv("MAILLAGE_LOG_FORMAT", "json")
    started: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.update(app=app, **kw))

    @click.command()
    def like_demo() -> None:
        click.get_current_context().invoke(serve_command, db_url=db_url, port=8001)

    result = CliRunner().invoke(like_demo, [])
    assert result.exit_code == 0, result.output
    assert started["app"].state.settings.root_path == "/carto"
    formatter = started["log_config"]["formatters"]["main"]
    assert formatter["()"] == "pythonjsonlogger.json.JsonFormatter"
