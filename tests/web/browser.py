"""Browser test support: Debian's Chromium through Playwright, a live server on loopback,
and the checks every page must pass (no console error, no outside request, axe-core)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import uvicorn

from maillage.settings import Settings
from maillage.web.app import create_app
from maillage.web.providers import Providers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
AXE = "/static/vendor/axe-core/axe.min.js"


def require_chromium() -> str:
    """The Chromium binary; in CI a missing one fails the run instead of skipping."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        message = "Debian's chromium is required for the browser tests (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextmanager
def live_server(
    engine: sa.Engine, providers: Providers | None = None, **settings: Any
) -> Iterator[str]:
    """The portal over ``engine`` served by uvicorn on a free loopback port
    (``settings``: more fields of Settings)."""
    app = create_app(
        Settings(database_url=str(engine.url), **settings), engine=engine, providers=providers
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Watch:
    """What a browser context did that it should not have: errors, outside requests."""

    origin: str
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    expected_404: set[str] = field(default_factory=set)  # pages that are meant to be "not found"
    # requests refused on purpose: URL prefix -> HTTP status (filters the server rejects)
    expected_refusals: dict[str, int] = field(default_factory=dict)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if where in self.expected_404 and "404" in message.text:
            return
        if any(
            where.startswith(prefix) and f"status of {status} " in message.text
            for prefix, status in self.expected_refusals.items()
        ):
            return
        self.errors.append(f"console: {message.text} ({where})")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"page error: {error}")

    def on_request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if (
            parts.scheme in ("http", "https", "ws", "wss")
            and f"{parts.scheme}://{parts.netloc}" != self.origin
        ):
            self.outside.append(request.url)

    def attach(self, context: Any) -> None:
        context.on("request", self.on_request)
        context.on("page", lambda page: self.attach_page(page))

    def attach_page(self, page: Any) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)


def axe_violations(page: Any, origin: str) -> list[str]:
    """Serious and critical axe-core violations of the page (WCAG 2.x A and AA rules)."""
    page.add_script_tag(url=origin + AXE)
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {runOnly: {type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}});
          const bad = r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + ": " + v.help + " — " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
          return {passes: r.passes.length, bad};
        }"""
    )
    assert result["passes"] > 10, "axe-core did not run its rules"
    return list(result["bad"])


def check_axe(page: Any, origin: str) -> None:
    """No serious or critical axe-core violation on the page (:func:`axe_violations`)."""
    assert axe_violations(page, origin) == [], page.url


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot of the page under ``test-artifacts/``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def wait_ready(page: Any, widget: str, loads: int = 1, timeout: float = 20_000) -> None:
    """Wait until the widget ``#map`` or ``#network`` has finished its ``loads``-th load."""
    page.wait_for_selector(f"#{widget}[data-state=ready][data-loads='{loads}']", timeout=timeout)


def sign_in(page: Any, origin: str, email: str, password: str) -> None:
    """Sign ``email`` in through the sign-in form; returns on the account page."""
    page.goto(origin + "/account/signin")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/account$"))


def signed_in_page(
    browser: Any, watch: Watch, origin: str, email: str, password: str, viewport: dict[str, int]
) -> Any:
    """A browser context of its own for ``email``, watched and signed in; its page."""
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    watch.attach(context)
    page = context.new_page()
    sign_in(page, origin, email, password)
    return page
