"""Web pages of known size for the EcoIndex tests, a local server that counts the bytes it
sends, and the reference implementation (ecoindex-compute) to compare with."""

from __future__ import annotations

import os
import shutil
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from ecoindex import compute


def run_to_end(coroutine: Any) -> Any:
    """The value of a coroutine that never waits (the reference's functions are async but
    compute only), without an event loop per call."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the reference computation waited on something")


def reference_ecoindex(dom: int, requests: int, size_kb: float) -> tuple[int, str, float, float]:
    """(score, grade, ges, water) computed by ecoindex-compute from the same metrics."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # its own get_ecoindex inside
        found = run_to_end(compute.compute_ecoindex(nodes=dom, size=size_kb, requests=requests))
    return int(found.score), found.grade.value, found.ges, found.water


@dataclass
class Resource:
    """What the server answers at one path."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None  # a redirect's target
    delay_s: float = 0.0  # waits before answering (a slow page)


@dataclass
class Site:
    """The resources of a local server and the bytes it sent, per path, in order."""

    resources: dict[str, Resource] = field(default_factory=dict)
    sent: list[tuple[str, int]] = field(default_factory=list)
    origin: str = ""

    def bytes_sent(self, prefix: str) -> tuple[int, int]:
        """(responses, bytes) sent for the paths under ``prefix``."""
        mine = [size for path, size in self.sent if path.startswith(prefix)]
        return len(mine), sum(mine)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            found = site.resources.get(self.path.split("?")[0])
            if found is None:
                found = Resource(b"not found", "text/plain", status=404)
            if found.delay_s:
                time.sleep(found.delay_s)
            reason = {200: "OK", 302: "Found", 404: "Not Found"}[found.status]
            head = f"HTTP/1.1 {found.status} {reason}\r\nContent-Type: {found.content_type}\r\n"
            if found.location:
                head += f"Location: {found.location}\r\n"
            head += f"Content-Length: {len(found.body)}\r\nCache-Control: no-store\r\n\r\n"
            raw = head.encode("ascii") + found.body
            try:
                self.wfile.write(raw)
            except OSError:
                return
            site.sent.append((self.path, len(raw)))

    return Handler


@contextmanager
def serve(site: Site, host: str = "127.0.0.1") -> Iterator[Site]:
    """``site`` served on a free port of ``host`` (``site.origin`` its address)."""
    server = ThreadingHTTPServer((host, 0), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    site.origin = f"http://{host}:{server.server_port}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Page:
    """A page built for the tests: its path, and what it is known to hold."""

    path: str
    dom_nodes: int
    requests: int


def padded(prefix: bytes, size: int, suffix: bytes = b"") -> bytes:
    """``prefix`` + spaces + ``suffix``, ``size`` bytes long."""
    return prefix + b" " * (size - len(prefix) - len(suffix)) + suffix


def build_page(
    site: Site,
    name: str,
    *,
    inline: int,
    svg_shapes: int = 0,
    scripts: tuple[int, ...] = (),
    styles: tuple[int, ...] = (),
    images: int = 0,
    scripted_nodes: int = 0,
    redirected_scripts: int = 0,
) -> Page:
    """Add to ``site`` a page ``/name/`` and its resources, and return what it holds.

    Elements: html, head, title, body; a ``<link>`` per style, a ``<script>`` per script
    (and per redirected one); ``inline`` elements in the body (a ``<p>``, then empty
    ``<b>``); an ``<svg>`` with ``svg_shapes`` ``<rect>`` inside (not counted, as the
    reference does); an ``<img>`` per image (a small SVG file); ``scripted_nodes``
    ``<span>`` added by an inline script (itself an element). Requests: the page, each file, and two per redirected script (the redirect
    and its target).
    """
    base = f"/{name}/"
    elements = 4
    head, body = [], []
    for i, size in enumerate(styles):
        site.resources[f"{base}s{i}.css"] = Resource(
            padded(b"p{margin:0}/*", size, b"*/"), "text/css"
        )
        head.append(f'<link rel="stylesheet" href="{base}s{i}.css">')
    for i, size in enumerate(scripts):
        site.resources[f"{base}j{i}.js"] = Resource(
            padded(b"var x=1;/*", size, b"*/"), "text/javascript"
        )
        head.append(f'<script src="{base}j{i}.js"></script>')
    for i in range(redirected_scripts):
        target = f"{base}moved{i}.js"
        site.resources[target] = Resource(b"var moved=1;", "text/javascript")
        site.resources[f"{base}r{i}.js"] = Resource(
            b"", "text/plain", status=302, location=f"{site.origin}{target}"
        )
        head.append(f'<script src="{base}r{i}.js"></script>')
    # Empty inline elements: thousands of them keep the page one line high, so the
    # smooth scroll to its bottom (awaited, as the reference does) is short.
    body += ["<b></b>" if i else "<p>Paragraphe</p>" for i in range(inline)]
    if svg_shapes:
        shapes = "".join(f'<rect x="{i}" width="1" height="1"/>' for i in range(svg_shapes))
        body.append(f'<svg width="10" height="10">{shapes}</svg>')
    for i in range(images):
        site.resources[f"{base}i{i}.svg"] = Resource(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', "image/svg+xml"
        )
        body.append(f'<img src="{base}i{i}.svg" alt="">')
    if scripted_nodes:
        body.append(
            f"<script>for (let i = 0; i < {scripted_nodes}; i++) "
            "document.body.appendChild(document.createElement('span'));</script>"
        )
    html = (
        f'<!DOCTYPE html><html lang="fr"><head><title>{name}</title>{"".join(head)}</head>'
        f"<body>{''.join(body)}</body></html>"
    )
    site.resources[base] = Resource(html.encode("utf-8"))
    elements += len(styles) + len(scripts) + redirected_scripts + inline
    elements += (1 if svg_shapes else 0) + images + (1 + scripted_nodes if scripted_nodes else 0)
    requests = 1 + len(styles) + len(scripts) + images + 2 * redirected_scripts
    return Page(base, elements, requests)


def require_chromium() -> str:
    """The Chromium binary; in CI a missing one fails the run instead of skipping."""
    found = shutil.which("chromium")
    if found is None:
        message = "Debian's chromium is required for the EcoIndex tests (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return found
