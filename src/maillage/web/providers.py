"""Plug-in points for what the analysis and recommendation layers add to pages.

The portal shows what a provider returns and shows nothing when there is none.
``create_app(settings, providers=Providers(actor_recommendations=...))`` plugs them in;
:func:`analysis_providers` gives the real ones (``maillage serve`` plugs them in).
Their blocks are fetched after the page (``/actors/{id}/analysis``), never with it. A
hook may raise :class:`~maillage.services.portal.providers.Pending` while the analysis
is being computed: the block says so and asks again a few seconds later.

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

from maillage.services.portal.providers import Analysis, Pending, providers

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
    analysis: Analysis | None = None  # the brokers table and white-zone proposals use it

    def any_actor(self) -> bool:
        return self.actor_measures is not None or self.actor_recommendations is not None

    def any_territory(self) -> bool:
        return self.territory_measures is not None or self.territory_recommendations is not None


def analysis_providers(analysis: Analysis | None = None) -> Providers:
    """Measures and recommendations of :mod:`maillage.analysis` and
    :mod:`maillage.recommend`, computed lazily, kept per database and data version."""
    return Providers(**providers(analysis))


def call(
    hook: Callable[[sa.Engine, Any, str], Rows] | None, db: sa.Engine, key: Any, lang: str
) -> Rows:
    """Run a provider hook; an absent one gives no rows, a failing one is logged and hidden.
    :class:`Pending` goes through: the analysis is not ready yet."""
    if hook is None:
        return []
    try:
        return list(hook(db, key, lang))
    except Pending:
        raise
    except Exception:
        log.exception("provider %s failed for %r", getattr(hook, "__name__", hook), key)
        return []
