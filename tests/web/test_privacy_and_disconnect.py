"""The privacy page says what taking part keeps and for how long (French and English);
a client that hangs up in the middle of a form is logged as a disconnect, never as a
server error (a real server on loopback, a raw socket sending half a body)."""

from __future__ import annotations

import html
import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import uvicorn
from test_accounts import free_port, portal


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", ["Commentaires", "Signalements de commentaires", "Abonnements",
                "Propositions et signalements d'erreur", "Réponses aux enquêtes",
                "avec son nom, son type, sa taille et son empreinte",
                "Aussi longtemps que l'enquête", "Rien ici n'est effacé automatiquement"]),
        ("en", ["Comments", "Reports of comments", "Follows", "Proposals and error reports",
                "Survey answers", "with its name, type, size and fingerprint",
                "As long as the survey", "Nothing here is erased automatically"]),
    ],
)  # fmt: skip
def test_the_privacy_page_says_what_taking_part_keeps(
    db: sa.Engine, lang: str, expected: list[str]
) -> None:
    page = portal(db).get(f"/privacy?lang={lang}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for words in expected:
        assert words in text, words


@pytest.fixture
def server(db: sa.Engine) -> Iterator[int]:
    """The portal served by uvicorn on loopback, in a thread; yields its port."""
    app = portal(db).app
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.02)
    yield port
    running.should_exit = True
    thread.join()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        # The CSRF check reads the form (a route reading its form itself).
        ("/actors/1/report", b"message=" + b"L%27atelier+a+ferm%C3%A9+" * 8),
        # FastAPI reads the declared Form(...) fields before the route.
        ("/account/signin", b"email=camille%40example.org&password=" + b"x" * 40),
    ],
)
def test_a_form_half_sent_is_a_client_disconnect_not_a_server_error(
    server: int, caplog: pytest.LogCaptureFixture, path: str, body: bytes
) -> None:
    caplog.set_level(logging.INFO)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body) * 10}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server)) as raw:
        raw.sendall(head + body)  # a tenth of the body, then the client hangs up

    def answered() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "maillage.access"]

    for _ in range(1500):  # the server notices the hang-up on its own time (30 s at most)
        if answered():
            break
        time.sleep(0.02)
    assert [line.split()[:3] for line in answered()] == [["POST", path, "499"]]
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name != "maillage.access"]
    assert said == [("INFO", f"client disconnected before its request body was read: POST {path}")]
