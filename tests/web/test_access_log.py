"""Server logs: one line per request and per error, as JSON with ``--log-format json``;
never a password, a cookie, a query string or the database URL."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from demo import Demo
from fastapi.testclient import TestClient

from maillage.cli.main import cli
from maillage.settings import Settings
from maillage.web.access_log import logging_config
from maillage.web.app import create_app

LOGGERS = ("maillage", "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the loggers that ``serve`` configures back as they were."""
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (list(logger.handlers), logger.level, logger.propagate, logger.disabled)
    yield
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` read as one JSON object (fails on a line that is not)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_serve_json_logs_one_line_per_request_without_secrets(
    db_url: str,
    demo_map: Demo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restored_logging: None,
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.update(app=app, **kw))
    result = CliRunner().invoke(cli, ["serve", "--db", db_url, "--log-format", "json"])
    assert result.exit_code == 0, result.output
    assert started["access_log"] is False  # maillage.access logs each request instead
    logging.config.dictConfig(started["log_config"])  # as uvicorn does at start
    capsys.readouterr()
    with TestClient(started["app"], base_url="http://localhost") as client:
        client.cookies.set("session", "cookie-secret-value")
        assert client.get("/explore?world=public&password=hunter2").status_code == 200
        assert client.get("/api/actors/999999").status_code == 404
        forged = client.get("/healthz", headers={"host": "evil.example"})
        assert forged.status_code == 400
    logged = capsys.readouterr().err
    lines = json_lines(logged)
    access = [line for line in lines if line["logger"] == "maillage.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/explore", 200),
        ("GET", "/api/actors/999999", 404),
        ("GET", "/healthz", 400),  # refused hosts are logged too
    ]
    for line in access:
        assert line["level"] == "INFO" and line["client"] == "testclient" and line["time"]
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    for secret in ("hunter2", "cookie-secret-value", db_url, "password="):
        assert secret not in logged
    password = sa.engine.make_url(db_url).password
    if password:
        assert password not in logged


def test_text_logs_are_readable_lines(
    db: sa.Engine, demo_map: Demo, capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    logging.config.dictConfig(logging_config("text"))
    app = create_app(Settings(database_url=str(db.url)), engine=db)
    with TestClient(app, base_url="http://localhost") as client:
        client.get("/measures?q=x")
    logged = capsys.readouterr().err
    assert "maillage.access: GET /measures 200 " in logged and " ms testclient" in logged
    assert "q=x" not in logged


def test_an_unexpected_error_is_one_json_line_with_its_traceback(
    db: sa.Engine, demo_map: Demo, capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    def broken() -> None:
        raise RuntimeError("the analysis broke\nsecond line")

    logging.config.dictConfig(logging_config("json"))
    app = create_app(Settings(database_url=str(db.url)), engine=db)
    app.add_api_route("/api/broken", broken)  # a bug in some route
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        capsys.readouterr()
        answer = client.get("/api/broken?token=abc")
    assert answer.status_code == 500 and "broke" not in answer.text  # tracebacks go to logs
    assert answer.json()["error"] == "ServerError"
    lines = json_lines(capsys.readouterr().err)
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1
    error = errors[0]
    assert (error["method"], error["path"], error["client"]) == ("GET", "/api/broken", "testclient")
    assert "RuntimeError: the analysis broke\nsecond line" in error["exc_info"]
    access = [line for line in lines if line["logger"] == "maillage.access"]
    assert [(a["path"], a["status"]) for a in access] == [("/api/broken", 500)]
    assert all("token" not in json.dumps(line) for line in lines)
