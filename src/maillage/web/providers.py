"""Plug-in points for what the analysis and recommendation layers will add to pages.

The portal shows what a provider returns and shows nothing when there is none.
``create_app(settings, providers=Providers(actor_recommendations=...))`` plugs them in.

Measures are ``{"code", "value"}`` dicts (``code`` names a measure page, see
``web/data/measures.json``; extra keys such as ``detail`` or ``rank`` are shown as
given). Recommendations are ``{"actor_id", "name", "score", "reasons": [str]}`` for
partners, or ``{"title", "score", "reasons": [str], "url"}`` for anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

log = logging.getLogger(__name__)
Rows = list[dict[str, Any]]
ActorHook = Callable[[sa.Engine, int, str], Rows]
TerritoryHook = Callable[[sa.Engine, str, str], Rows]


@dataclass(frozen=True, slots=True)
class Providers:
    """Optional functions ``(db, key, lang) -> rows``; a failing provider hides its block."""

    actor_measures: ActorHook | None = None
    actor_recommendations: ActorHook | None = None
    territory_measures: TerritoryHook | None = None
    territory_recommendations: TerritoryHook | None = None


def call(
    hook: Callable[[sa.Engine, Any, str], Rows] | None, db: sa.Engine, key: Any, lang: str
) -> Rows:
    """Run a provider hook; an absent one gives no rows, a failing one is logged and hidden."""
    if hook is None:
        return []
    try:
        return list(hook(db, key, lang))
    except Exception:
        log.exception("provider %s failed for %r", getattr(hook, "__name__", hook), key)
        return []
