"""E-mail through a real SMTP server on loopback (aiosmtpd): the headers a mail program
needs to date a message and to offer an unsubscribe button."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from maillage.services import mail
from maillage.settings import Settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_every_mail_is_dated_and_a_notification_offers_its_unsubscribe_link(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    page = "https://carte.example.org/notifications/unsubscribe?key=k3y"
    assert mail.send(settings, mail.Mail("eve@example.org", "Nouveau commentaire", "…", page))
    assert mail.send(settings, mail.Mail("eve@example.org", "Votre lien", "…"))
    notification, account_link = inbox.messages
    for message in (notification, account_link):
        assert parsedate_to_datetime(message["Date"]).utcoffset() is not None  # a full date
    assert notification["List-Unsubscribe"].strip() == f"<{page}>"  # folded or not
    assert account_link["List-Unsubscribe"] is None  # a one-time link is no mailing list


def test_a_subject_keeps_every_space_whatever_its_length(smtp: tuple[Inbox, int]) -> None:
    """User trial (issue 20): « a étéacceptée ». Python 3.11's folder lost the space at
    an encoded word's end; the subjects of every length that triggered it now arrive
    whole, read back from a real SMTP server."""
    inbox, port = smtp
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    subjects = [f"Votre proposition n° {n} sur maillage a été acceptée" for n in (1, 10, 99999)]
    subjects += ["x" * pad + " proposition a été acceptée par le modérateur"
                 for pad in (34, 42, 60, 150)]  # fmt: skip
    subjects += ["Nouveau commentaire sur « Atelier " + "é" * 40 + " »", "Votre lien"]
    for subject in subjects:
        assert mail.send(settings, mail.Mail("eve@example.org", subject, "…"))
    assert [m["Subject"] for m in inbox.messages] == subjects
    raw = mail.compose(settings, mail.Mail("eve@example.org", subjects[-2], "…")).as_bytes()
    assert all(len(line) <= 78 for line in raw.split(b"\n"))  # still folded (RFC 5322)
