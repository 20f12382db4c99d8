"""The filters of the portal's explore view, validated, and the SQL they select.

One :class:`Filters` value drives every widget (map, network, tables, exports), so
the same URL query gives the same actors and links everywhere. Actors are in a
view when they match territory, world, category, theme and text; links are in a
view when both ends are and the link matches kind, period and timeline year.

Two filters are on links first, and keep only the actors holding one of the view's
links: a pair of worlds (``pair=associative,economic``: the links between an actor of
one world and an actor of the other, and their ends) and the timeline year (``year``:
the links active that year, and the actors linked that year), so that the map, the
network and the counts move together with the timeline. A theme
finds the actors of the themes under it in the tree and of the source values meaning
them (:func:`maillage.model.taxonomy.matching`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import sqlalchemy as sa

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, NotFound
from maillage.services.geography import resolve_territory
from maillage.storage import search
from maillage.storage.tables import (
    actor,
    actor_territory,
    actor_theme,
    link,
    territory,
    territory_member,
)

YEAR_MIN, YEAR_MAX = 1800, 2200
TEXT_LIMIT = 200
SEARCH_LIMIT = 5000
FILTER_FIELDS = (
    "territory",
    "world",
    "pair",
    "category",
    "theme",
    "kind",
    "year_from",
    "year_to",
    "year",
    "q",
)


@dataclass(frozen=True, slots=True)
class Filters:
    """What a view shows; every field optional (no filter = everything)."""

    territory: str | None = None  # canonical code: DEP:59, REG:32, EPCI:..., COM:59350
    world: str | None = None
    pair: str | None = None  # two world codes in taxonomy order: "economic,associative"
    category: str | None = None
    theme: str | None = None
    kind: str | None = None  # link kind
    year_from: int | None = None  # period: links active during [year_from, year_to]
    year_to: int | None = None
    year: int | None = None  # timeline: links active during this year
    q: str | None = None  # French full-text query on actors

    def query(self) -> dict[str, str]:
        """The non-empty filters as URL query parameters (stable order)."""
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "")}

    def without_timeline(self) -> Filters:
        """The same view for every year (the network layout does not move with time)."""
        return replace(self, year=None)

    @property
    def worlds(self) -> tuple[str, str] | None:
        """The two worlds of the pair filter (the same twice for links inside one world)."""
        if not self.pair:
            return None
        first, _, second = self.pair.partition(",")
        return first, second

    @property
    def on_links(self) -> bool:
        """True when the actors of the view are those holding one of its links."""
        return self.pair is not None or self.year is not None

    @property
    def active(self) -> bool:
        """True when at least one filter is set."""
        return bool(self.query())


def _text(field: str, value: object, limit: int = TEXT_LIMIT) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > limit or "\x00" in text:
        raise InvalidInput(
            field,
            value,
            f"texte d'au plus {limit} caractères",
            f"text of at most {limit} characters",
        )
    return text


def _year(field: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        raise InvalidInput(field, value, "année AAAA attendue", "a YYYY year is expected") from None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidInput(
            field,
            value,
            f"année entre {YEAR_MIN} et {YEAR_MAX}",
            f"a year between {YEAR_MIN} and {YEAR_MAX}",
        )
    return year


def _term(name: str, field: str, value: object) -> str | None:
    text = _text(field, value, 100)
    return None if text is None else taxonomy.resolve(name, text, field=field)


def _pair(value: object) -> str | None:
    """Two worlds (codes or labels) separated by a comma, in taxonomy order."""
    text = _text("pair", value, 200)
    if text is None:
        return None
    parts = [p.strip() for p in text.replace("~", ",").split(",") if p.strip()]
    if len(parts) != 2:
        raise InvalidInput(
            "pair",
            value,
            "deux mondes séparés par une virgule (ex. associative,economic)",
            "two worlds separated by a comma (e.g. associative,economic)",
        )
    order = [t.code for t in taxonomy.load("worlds")]
    codes = sorted((taxonomy.resolve("worlds", p, field="pair") for p in parts), key=order.index)
    return ",".join(codes)


def _theme(value: object) -> str | None:
    """A theme code; labels of the shipped themes are accepted, other codes kept as given."""
    text = _text("theme", value, 100)
    if text is None:
        return None
    try:
        return taxonomy.resolve("themes", text, field="theme")
    except InvalidInput:
        return text


def _territory(conn: sa.Connection, value: object) -> str | None:
    text = _text("territory", value, 60)
    if text is None:
        return None
    try:
        return str(resolve_territory(conn, text)["code"])
    except NotFound:
        raise InvalidInput(
            "territory",
            value,
            "territoire inconnu (ex. DEP:59, REG:32, 59350, Lille)",
            "unknown territory (e.g. DEP:59, REG:32, 59350, Lille)",
        ) from None


def clean_filters(conn: sa.Connection, raw: Mapping[str, Any]) -> Filters:
    """Validate raw query values into :class:`Filters`. Raises InvalidInput.

    Territories may be given by code, postcode or name; taxonomy values by code
    or label (French or English).
    """
    year_from, year_to = (
        _year("year_from", raw.get("year_from")),
        _year("year_to", raw.get("year_to")),
    )
    if year_from is not None and year_to is not None and year_to < year_from:
        raise InvalidInput(
            "year_to", year_to, "la fin précède le début", "the end precedes the start"
        )
    world, pair = _term("worlds", "world", raw.get("world")), _pair(raw.get("pair"))
    if world is not None and pair is not None:
        raise InvalidInput(
            "pair",
            pair,
            "un monde ou une paire de mondes, pas les deux",
            "a world or a pair of worlds, not both",
        )
    return Filters(
        territory=_territory(conn, raw.get("territory")),
        world=world,
        pair=pair,
        category=_term("categories", "category", raw.get("category")),
        theme=_theme(raw.get("theme")),
        kind=_term("link_kinds", "kind", raw.get("kind")),
        year_from=year_from,
        year_to=year_to,
        year=_year("year", raw.get("year")),
        q=_text("q", raw.get("q")),
    )


# --- SQL -------------------------------------------------------------------------


def commune_codes(conn: sa.Connection, code: str) -> list[str]:
    """INSEE codes of the communes (and municipal arrondissements) inside territory ``code``."""
    level, _, value = code.partition(":")
    if level == "COM":
        found = [value]
    elif level == "EPCI":
        members = sa.select(territory_member.c.member_code).where(
            territory_member.c.parent_code == code
        )
        found = [c[4:] for c in conn.execute(members).scalars()]
    else:
        parents = [code]
        if level == "REG":
            parents = list(
                conn.execute(
                    sa.select(territory.c.code).where(territory.c.parent_code == code)
                ).scalars()
            )
        query = sa.select(territory.c.code).where(
            territory.c.parent_code.in_(parents), territory.c.code.like("COM:%")
        )
        found = [c[4:] for c in conn.execute(query).scalars()]
    arrondissements = sa.select(territory.c.code).where(
        territory.c.parent_code.in_(["COM:" + c for c in found])
    )
    return found + [c[4:] for c in conn.execute(arrondissements).scalars()]


def territory_parts(conn: sa.Connection, code: str) -> list[str]:
    """``code`` and the territories inside it other than communes: the départements of
    a région, the EPCI of a département (or of a région's départements), the municipal
    arrondissements of a commune."""
    found = [
        code,
        *conn.execute(sa.select(territory.c.code).where(territory.c.parent_code == code)).scalars(),
    ]
    below = [c for c in found[1:] if not c.startswith("COM:")]
    if below:
        deeper = sa.select(territory.c.code).where(
            territory.c.parent_code.in_(below), ~territory.c.code.like("COM:%")
        )
        found += conn.execute(deeper).scalars()
    if code.startswith("COM:"):
        return found
    return [c for c in found if not c.startswith("COM:")]


def territory_prefixes(conn: sa.Connection, code: str) -> tuple[str, ...]:
    """The territory codes an actor of ``code`` may carry on the analysis graph (its
    commune, its commune's département, a declared territory): ``code`` and its parts,
    and the communes of an EPCI or the arrondissements of a commune."""
    parts = territory_parts(conn, code)
    if code.startswith(("EPCI:", "COM:")):
        parts += [f"COM:{c}" for c in commune_codes(conn, code)]
    return tuple(dict.fromkeys(parts))


def in_territory(
    conn: sa.Connection, code: str, communes: list[str] | None = None
) -> sa.ColumnElement[bool]:
    """Actors inside territory ``code``: placed in one of its communes (arrondissements
    included), or declaring it or a territory inside it as a territory of action."""
    communes = commune_codes(conn, code) if communes is None else communes
    inside = [*territory_parts(conn, code), *(f"COM:{c}" for c in communes)]
    declared = sa.select(actor_territory.c.actor_id).where(
        actor_territory.c.territory_code.in_(sorted(set(inside)))
    )
    return sa.or_(actor.c.commune_code.in_(communes), actor.c.id.in_(declared))


def actor_conditions(
    conn: sa.Connection, filters: Filters, communes: list[str] | None = None
) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on ``actor`` for the actors of the view (live ones only);
    ``communes``: those of the territory filter when the caller already has them.

    With a pair of worlds or a timeline year, only the actors holding one of the
    view's links (:attr:`Filters.on_links`, see the module docstring)."""
    where = _own_conditions(conn, filters, communes)
    if filters.on_links:
        scope = sa.select(actor.c.id).where(*where) if _scoped(filters) else None
        ends = link_conditions(filters, scope)
        linked = sa.union(
            sa.select(link.c.source_id).where(*ends), sa.select(link.c.target_id).where(*ends)
        )
        where.append(actor.c.id.in_(linked.scalar_subquery()))
    return where


def _own_conditions(
    conn: sa.Connection, filters: Filters, communes: list[str] | None = None
) -> list[sa.ColumnElement[bool]]:
    """What an actor must be itself to be in the view: live, in the territory, of the
    world (or one of the pair's), category, theme, text."""
    where: list[sa.ColumnElement[bool]] = [actor.c.deleted_at.is_(None)]
    if filters.territory:
        where.append(in_territory(conn, filters.territory, communes))
    if filters.world:
        where.append(actor.c.world == filters.world)
    if pair := filters.worlds:
        where.append(actor.c.world.in_(sorted(set(pair))))
    if filters.category:
        where.append(actor.c.category == filters.category)
    if filters.theme:
        themed = sa.select(actor_theme.c.actor_id).where(
            actor_theme.c.theme.in_(sorted(taxonomy.matching("themes", filters.theme)))
        )
        where.append(actor.c.id.in_(themed))
    if filters.q:
        ids = [hit.actor_id for hit in search.search(conn, filters.q, limit=SEARCH_LIMIT)]
        where.append(actor.c.id.in_(ids) if ids else sa.false())
    return where


def actor_scope(conn: sa.Connection, filters: Filters) -> sa.Select[tuple[int]]:
    """``SELECT actor.id`` of the view, to use in ``IN (...)``."""
    return sa.select(actor.c.id).where(*actor_conditions(conn, filters))


def link_scope(conn: sa.Connection, filters: Filters) -> sa.Select[tuple[int]] | None:
    """The actor scope that links must stay inside (what their ends must be
    themselves, :func:`link_conditions` adds the pair of worlds), or None when the view
    keeps every actor (then only links touching a deleted actor are left out, which is
    cheaper)."""
    if _scoped(filters):
        return sa.select(actor.c.id).where(*_own_conditions(conn, filters))
    return None


def _scoped(filters: Filters) -> bool:
    """True when the view leaves out some actors for what they are themselves (the
    pair of worlds is checked on the links)."""
    return bool(
        filters.territory or filters.world or filters.category or filters.theme or filters.q
    )


def _overlaps(first: int, last: int) -> list[sa.ColumnElement[bool]]:
    return [
        sa.or_(link.c.start_date.is_(None), link.c.start_date <= dt.date(last, 12, 31)),
        sa.or_(link.c.end_date.is_(None), link.c.end_date >= dt.date(first, 1, 1)),
    ]


def _between(first: str, second: str) -> sa.ColumnElement[bool]:
    """Links with one end of world ``first`` and the other of world ``second``."""

    def of(world: str) -> sa.Select[tuple[int]]:
        return sa.select(actor.c.id).where(actor.c.world == world)

    return sa.or_(
        sa.and_(link.c.source_id.in_(of(first)), link.c.target_id.in_(of(second))),
        sa.and_(link.c.source_id.in_(of(second)), link.c.target_id.in_(of(first))),
    )


def link_conditions(
    filters: Filters, scope: sa.Select[tuple[int]] | None
) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on ``link``: live, both ends in ``scope`` (or live when it is None),
    one end in each world of the pair, kind, period, year."""
    where: list[sa.ColumnElement[bool]] = [link.c.deleted_at.is_(None)]
    if scope is not None:
        where += [link.c.source_id.in_(scope), link.c.target_id.in_(scope)]
    else:
        deleted = sa.select(actor.c.id).where(actor.c.deleted_at.is_not(None))
        where += [link.c.source_id.not_in(deleted), link.c.target_id.not_in(deleted)]
    if pair := filters.worlds:
        where.append(_between(*pair))
    if filters.kind:
        where.append(link.c.kind == filters.kind)
    if filters.year_from is not None or filters.year_to is not None:
        where += _overlaps(filters.year_from or YEAR_MIN, filters.year_to or YEAR_MAX)
    if filters.year is not None:
        where += _overlaps(filters.year, filters.year)
    return where
