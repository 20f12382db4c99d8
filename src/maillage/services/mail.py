"""E-mail through the SMTP server of the settings (``MAILLAGE_SMTP_*``).

One function, :func:`send`, for every message the portal sends (account links,
notifications). Without ``smtp_host`` nothing is sent and :func:`send` says so by
returning False; the message itself (it may hold a one-time link) is never logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from maillage.model.errors import MaillageError
from maillage.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_S = 15


class MailNotSent(MaillageError):
    """The SMTP server could not be reached or refused the message."""

    def __init__(self, reason: str) -> None:
        self._init_args = (reason,)
        super().__init__(
            f"Le courriel n'a pas pu être envoyé ({reason}) ; réessayez plus tard.",
            f"The e-mail could not be sent ({reason}); try again later.",
        )


@dataclass(frozen=True, slots=True)
class Mail:
    """One plain-text message to one address; ``unsubscribe``, the address of the page
    that stops such messages (``List-Unsubscribe``, RFC 2369: mail programs show it as
    an unsubscribe button)."""

    to: str
    subject: str
    text: str
    unsubscribe: str | None = None


def _set_subject(message: EmailMessage, subject: str) -> None:
    """The subject on one line; a non-ASCII one in RFC 2047 encoded words folded by
    :class:`email.header.Header`: the folder of Python 3.11's default policy drops the
    space between two words when a fold falls there ("a étéacceptée")."""
    line = " ".join(subject.splitlines())
    if line.isascii():
        message["Subject"] = line
    else:  # already encoded and folded: the policy keeps it as it is
        message.set_raw("Subject", Header(line, "utf-8", header_name="Subject").encode())


def compose(settings: Settings, mail: Mail) -> EmailMessage:
    """The MIME message of ``mail``, from ``settings.smtp_from``."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to
    _set_subject(message, mail.subject)
    message["Date"] = formatdate(usegmt=True)  # RFC 5322: spam filters mark mail without it
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2].strip(">"))
    if mail.unsubscribe:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe}>"
    message.set_content(mail.text)
    return message


def send(settings: Settings, mail: Mail) -> bool:
    """Send ``mail``; False when no SMTP server is configured (nothing sent).
    Raises MailNotSent when the server cannot be reached or refuses it."""
    if not settings.smtp_host:
        log.warning("no SMTP server configured (MAILLAGE_SMTP_HOST): e-mail not sent")
        return False
    message = compose(settings, mail)
    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "ssl":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.error("e-mail not sent: %s", type(error).__name__)
        raise MailNotSent(type(error).__name__) from error
    return True
