"""Personal e-mail addresses are masked before a text is kept.

An address is kept only when its local part names a function, not a person
(``contact@…``, ``support-assistant@…``, ``incubateur@…``); every other one
(``prenom.nom@…``, ``manon@…``) becomes :data:`MASK`. Erring on the side of
masking: a service's own address without a function word is masked too.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "[adresse masquée]"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
FUNCTIONAL = frozenset(
    [
        "contact",
        "contacts",
        "support",
        "info",
        "infos",
        "information",
        "accueil",
        "bonjour",
        "hello",
        "equipe",
        "team",
        "incubateur",
        "donnees",
        "data",
        "secretariat",
        "communication",
        "presse",
        "admin",
        "webmaster",
        "assistance",
        "service",
        "services",
        "mission",
        "contribuer",
        "aide",
        "help",
        "direction",
        "annonces",
        "noreply",
        "no",
        "reply",
        "nepasrepondre",
    ]
)


def is_functional(address: str) -> bool:
    local = address.split("@", 1)[0].lower()
    return any(part in FUNCTIONAL for part in re.split(r"[._+\-0-9]+", local) if part)


def mask_emails(text: str) -> str:
    """``text`` with its personal e-mail addresses replaced by :data:`MASK`."""
    if "@" not in text:
        return text
    return EMAIL.sub(lambda m: m[0] if is_functional(m[0]) else MASK, text)


def mask_value(value: Any) -> Any:
    """:func:`mask_emails` through the strings of a JSON-like value."""
    if isinstance(value, str):
        return mask_emails(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value
