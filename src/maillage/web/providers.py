"""Plug-in points for what the analysis and recommendation layers add to pages.

The portal shows what a provider returns and shows nothing when there is none.
``create_app(settings, providers=Providers(actor_recommendations=...))`` plugs them in;
:func:`analysis_providers` gives the real ones (``maillage serve`` plugs them in).
Their blocks are fetched after the page (``/actors/{id}/analysis``), never with it. A
hook may raise :class:`~maillage.services.portal.providers.Pending` while the analysis
is being computed (the block says so and asks again a few seconds later) and
:class:`~maillage.services.portal.providers.AnalysisFailed` when it failed (the block
says so); it may return an :class:`~maillage.services.portal.providers.Answer`, whose
age and "a fresher one is coming" the block shows (:func:`block`).

Measures are ``{"code", "value"}`` dicts (``code`` names a measure page, see
``web/data/measures.json``; extra keys such as ``detail`` or ``rank`` are shown as
given). Recommendations are ``{"actor_id", "name", "score", "reasons": [str]}`` for
partners, or ``{"title", "score", "reasons": [str], "url"}`` for anything else.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from babel.dates import format_timedelta

from maillage.services.portal.providers import (
    Analysis,
    AnalysisFailed,
    Answer,
    Pending,
    providers,
)

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
    :mod:`maillage.recommend`, computed in the background at start and after each data
    change, kept on disk per database and data version."""
    return Providers(**providers(analysis))


def call(
    hook: Callable[[sa.Engine, Any, str], Rows] | None, db: sa.Engine, key: Any, lang: str
) -> Rows:
    """Run a provider hook; an absent one gives no rows, a failing one is logged and hidden.
    :class:`Pending` and :class:`AnalysisFailed` go through: the analysis is not ready
    yet, or failed. The rows keep the facts of an :class:`Answer`."""
    if hook is None:
        return []
    try:
        found = hook(db, key, lang)
        return found if isinstance(found, Answer) else list(found)
    except (Pending, AnalysisFailed):
        raise
    except Exception:
        log.exception("provider %s failed for %r", getattr(hook, "__name__", hook), key)
        return []


def age(computed_at: dt.datetime | None, lang: str, now: dt.datetime | None = None) -> str | None:
    """How long ago ``computed_at`` was, in words of ``lang`` ("il y a 3 minutes",
    "3 minutes ago"; Babel's :func:`~babel.dates.format_timedelta`)."""
    if computed_at is None:
        return None
    elapsed = (now or dt.datetime.now(dt.UTC)) - computed_at
    return format_timedelta(-max(elapsed, dt.timedelta(seconds=1)), add_direction=True, locale=lang)


def block(
    hooks: tuple[Callable[[sa.Engine, Any, str], Rows] | None, ...],
    db: sa.Engine,
    key: Any,
    lang: str,
) -> dict[str, Any]:
    """The answers of ``hooks`` (measures, recommendations) for one analysis block, and
    its state: ``status`` (``ready``; ``pending`` while some are computed; ``failed``
    when the analysis failed with nothing to show), ``computed_at`` and ``age`` of the
    oldest answer shown, ``fresher`` (a newer result is being computed) and
    ``update_failed`` (the analysis of the latest data failed: earlier answers shown)."""
    pending = failed = False
    found: list[Rows] = []
    for hook in hooks:
        try:
            found.append(call(hook, db, key, lang))
        except Pending:
            found.append([])
            pending = True
        except AnalysisFailed:
            found.append([])
            failed = True
    answers = [rows for rows in found if isinstance(rows, Answer)]
    computed = min((a.computed_at for a in answers if a.computed_at), default=None)
    return {
        "status": "failed" if failed else "pending" if pending else "ready",
        "rows": found,
        "computed_at": computed,
        "age": age(computed, lang),
        "fresher": any(a.fresher for a in answers),
        "update_failed": any(a.failed for a in answers),
    }
