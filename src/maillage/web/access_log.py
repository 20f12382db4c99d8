"""One log line per request, and the logging set-up of ``maillage serve``.

Each request gives one record on the ``maillage.access`` logger: method, path (never the
query string, which may hold what a user typed), status, duration in milliseconds and
client address. Headers are never logged (cookies stay out), nor the database URL.
``log_format="json"`` writes every record, uvicorn's included, as one JSON object per
line (python-json-logger); ``"text"`` as readable lines.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("maillage.access")

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def printable(text: str) -> str:
    """``text`` with control characters escaped: a path cannot forge a log line."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def request_fields(scope: Scope) -> dict[str, Any]:
    """Method, path (no query) and client address of a request, safe to log."""
    client = scope.get("client")
    return {
        "method": scope.get("method", ""),
        "path": printable(scope.get("path", "")),
        "client": client[0] if client else None,
    }


class AccessLog:
    """Log every HTTP request once it is answered (a server error too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # until an answer starts: an exception that escapes is a 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            fields = request_fields(scope)
            fields.update(status=status, duration_ms=round((time.perf_counter() - start) * 1000, 1))
            log.info(
                "%s %s %s %.1f ms %s",
                fields["method"],
                fields["path"],
                status,
                fields["duration_ms"],
                fields["client"] or "-",
                extra=fields,
            )


def logging_config(log_format: str) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` configuration (uvicorn's ``log_config``):
    maillage's and uvicorn's records to stderr, as text or one JSON object per line."""
    formatter: dict[str, Any] = {"format": TEXT}
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    logger = {"handlers": ["main"], "level": "INFO", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "maillage": logger,
            "uvicorn": logger,
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"level": "WARNING"},  # maillage.access logs each request
        },
    }
