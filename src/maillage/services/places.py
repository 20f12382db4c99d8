"""Where an actor is: the one rule of an actor's place.

An actor is placed at its own coordinates when it has them; else, when it has a
commune (given by its source, or found at import from its postcode and commune name:
see :mod:`maillage.services.importing.reference`), at that commune's centroid (the
La Poste point of the shipped geography), and that place is **approximate**. The
centroid is read, never stored on the actor: an actor's commune or coordinates can
change (an edit, a merge bringing a finer point) without leaving a stale point behind,
and a merge that brings real coordinates is never refused for approximate ones.

The map, the exports of a view, the coverage of needs and the computed needs all read
places through :func:`place_columns` and :func:`placed_from`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from maillage.storage.tables import actor, territory

COMMUNE = territory.alias("place_commune")
"""The actor's commune, joined by :func:`placed_from`."""


def placed_from(table: sa.Table | Any = actor) -> sa.Join:
    """``table`` (the actor table or an alias of it) joined to its commune."""
    return table.outerjoin(COMMUNE, COMMUNE.c.code == "COM:" + table.c.commune_code)


def place_columns(table: sa.Table | Any = actor) -> tuple[sa.ColumnElement[Any], ...]:
    """``(latitude, longitude, approximate)`` of an actor of ``table`` (select from
    :func:`placed_from`): its own coordinates, else its commune's centroid, then
    ``approximate`` is true. Both coordinates are None for an actor with neither."""
    own = _own(table)
    return (
        sa.case((own, table.c.latitude), else_=COMMUNE.c.latitude).label("latitude"),
        sa.case((own, table.c.longitude), else_=COMMUNE.c.longitude).label("longitude"),
        sa.case((_approximate(table), sa.true()), else_=sa.false()).label("approximate"),
    )


def _own(table: sa.Table | Any) -> sa.ColumnElement[bool]:
    return table.c.latitude.is_not(None) & table.c.longitude.is_not(None)


def _approximate(table: sa.Table | Any) -> sa.ColumnElement[bool]:
    return ~_own(table) & COMMUNE.c.latitude.is_not(None) & COMMUNE.c.longitude.is_not(None)


@dataclass(frozen=True, slots=True)
class PlaceCounts:
    """Live actors with an address, a postcode or a commune, and how many have a place."""

    addressed: int
    placed: int
    approximate: int  # placed at their commune's centroid

    @property
    def share(self) -> float:
        """Placed among the addressed, 0..1."""
        return self.placed / self.addressed if self.addressed else 0.0


def place_counts(conn: sa.Connection) -> PlaceCounts:
    """How many live actors having an address, a postcode or a commune have a place
    (:func:`place_columns`), and how many of those places are approximate."""
    latitude = place_columns()[0]
    addressed = sa.or_(
        *(sa.func.coalesce(c, "") != "" for c in (actor.c.address, actor.c.postcode,
                                                   actor.c.commune_code))
    )  # fmt: skip
    query = (
        sa.select(
            sa.func.count(),
            sa.func.count(latitude),
            sa.func.coalesce(sa.func.sum(sa.case((_approximate(actor), 1), else_=0)), 0),
        )
        .select_from(placed_from())
        .where(actor.c.deleted_at.is_(None), actor.c.merged_into_id.is_(None), addressed)
    )
    total, placed, approx = conn.execute(query).one()
    return PlaceCounts(addressed=int(total), placed=int(placed), approximate=int(approx))
