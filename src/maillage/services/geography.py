"""Territory lookups on the stored geography."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from maillage.model.errors import NotFound
from maillage.model.identifiers import (
    is_postcode,
    pad_lost_zero,
    territory_code_of,
)
from maillage.model.text import fold
from maillage.storage.tables import actor, territory, territory_member, territory_postcode


def _row(
    conn: sa.Connection, code: str, columns: Sequence[sa.ColumnElement[Any]] | None = None
) -> dict[str, Any] | None:
    query = sa.select(*columns) if columns else sa.select(territory)
    row = conn.execute(query.where(territory.c.code == code)).first()
    return dict(row._mapping) if row else None


def resolve_territory(
    conn: sa.Connection, key: str, columns: Sequence[sa.ColumnElement[Any]] | None = None
) -> dict[str, Any]:
    """The territory ``key`` names, with its ``columns`` (all by default): the one
    resolver of codes, postcodes and names, for the portal, the API, the CLI and the
    filters.

    A code (``DEP:59``, ``59350``, ``2A004``, ``59``, see
    :func:`~maillage.model.identifiers.territory_code_of`) is looked up as it is, a
    département code also as an overseas collectivity (``988`` is ``COLL:988``); a
    postcode (``59000``) gives its most populated commune; anything else is a name,
    matched without accents or case, the most populated match winning. Raises NotFound.
    """
    key = key.strip()
    code = territory_code_of(key)
    found = None if code is None else _row(conn, code, columns)
    if found is None and code is not None and code.startswith("DEP:"):
        found = _row(conn, "COLL:" + code[4:], columns)
    if found is None and is_postcode(postcode := pad_lost_zero(key)):
        communes = sa.select(territory_postcode.c.commune_code).where(
            territory_postcode.c.postcode == postcode
        )
        found = _most_populated(conn, [f"COM:{c}" for c in conn.scalars(communes)], columns)
    if found is None and code is None:
        named = sa.select(territory.c.code).where(territory.c.name_folded == fold(key))
        found = _most_populated(conn, list(conn.scalars(named)), columns)
    if found is None:
        raise NotFound("territory", key)
    return found


# The columns of a territory the pages and searches show: never the boundary
# (``geometry``), whose JSON a département holds by the hundred kilobytes and which would
# be decoded on every read.
READING_COLUMNS = (
    territory.c.code,
    territory.c.name,
    territory.c.level,
    territory.c.parent_code,
    territory.c.population,
    territory.c.latitude,
    territory.c.longitude,
)


def territory_readings(conn: sa.Connection, key: str) -> list[dict[str, Any]]:
    """Every territory a code-shaped ``key`` can name, each with its ``reading``: a
    postcode (``59000``) gives its communes (``reading: "postcode"``, ``postcode`` set),
    an arrondissement rather than its city (``69001`` is Lyon 1er, not Lyon), most
    populated first; an INSEE or territory code (``75056``, ``2A004``, ``DEP:59``) its
    territory (``reading: "code"``). A key that is both (``69001``: a postcode of Lyon
    and the INSEE code of Affoux) gives both readings, the postcode first: people type
    postcodes. Empty for a name or for a code that names nothing.
    """
    key = key.strip()
    readings: list[dict[str, Any]] = []
    postcode = pad_lost_zero(key)
    if is_postcode(postcode):
        readings += [
            {**row, "reading": "postcode", "postcode": postcode}
            for row in _postcode_communes(conn, postcode)
        ]
    code = territory_code_of(key)
    found = None if code is None else _row(conn, code, READING_COLUMNS)
    if found is None and code is not None and code.startswith("DEP:"):
        found = _row(conn, "COLL:" + code[4:], READING_COLUMNS)
    if found is not None and found["code"] not in {r["code"] for r in readings}:
        readings.append({**found, "reading": "code"})
    return readings


_POSTCODE_IN_TEXT = re.compile(r"(?<![\w-])(\d{5})(?![\w-])")
_JOINING_WORDS = {"de", "du", "des", "la", "le", "les", "d", "l", "a", "au", "aux", "en", "sur"}
COMMUNE_LEVELS = ("commune", "arrondissement_municipal", "commune_deleguee", "commune_associee")
"""The territories a place can be in, whose centre is a fair start for "near here"."""


def readings_in_text(conn: sa.Connection, text: str) -> list[dict[str, Any]]:
    """The communes a free text such as an address names offline: those of each postcode
    in it (``reading: "postcode"``), then the commune named after the postcode, after the
    last comma, or by the last words (not the end of a street name: ``rue de Paris``
    names no commune), most populated first (``reading: "name"``). For offering a place
    search when an address cannot be geocoded."""
    found: list[dict[str, Any]] = []
    for postcode in _POSTCODE_IN_TEXT.findall(text):
        found += [
            {**r, "reading": "postcode", "postcode": postcode}
            for r in _postcode_communes(conn, postcode)
        ]
    postcodes = list(_POSTCODE_IN_TEXT.finditer(text))
    tail = text[postcodes[-1].end() :] if postcodes else text.rsplit(",", 1)[-1]
    if named := _commune_ending(conn, fold(tail).split(), after_postcode=bool(postcodes)):
        found.append({**named, "reading": "name", "postcode": None})
    # The commune named first (of its postcode's communes, the one the text names; of a
    # city's arrondissements, the one of the postcode), then each code once.
    named_code = found[-1]["code"] if found and found[-1]["reading"] == "name" else None
    finer = [r["code"] for r in found if named_code and r.get("parent_code") == named_code]
    if finer:
        found.pop()
        named_code = finer[0]
    found.sort(key=lambda r: r["code"] != named_code)
    unique: dict[str, dict[str, Any]] = {}
    for reading in found:
        unique.setdefault(reading["code"], reading)
    return list(unique.values())


def _commune_ending(
    conn: sa.Connection, words: list[str], *, after_postcode: bool
) -> dict[str, Any] | None:
    """The most populated commune named by the last (up to four) folded ``words``, the
    longest name first; a name after a joining word (``rue de Paris``) only after a
    postcode."""
    for n in range(min(4, len(words)), 0, -1):
        before = words[-n - 1] if len(words) > n else None
        if (before in _JOINING_WORDS and not after_postcode) or any(
            w.isdigit() for w in words[-n:]
        ):
            continue
        named = (
            sa.select(*READING_COLUMNS)
            .where(
                territory.c.name_folded == " ".join(words[-n:]),
                territory.c.level.in_(COMMUNE_LEVELS),
            )
            .order_by(sa.func.coalesce(territory.c.population, 0).desc(), territory.c.code)
            .limit(1)
        )
        if (row := conn.execute(named).first()) is not None:
            return dict(row._mapping)
    return None


def _postcode_communes(conn: sa.Connection, postcode: str) -> list[dict[str, Any]]:
    """The communes of ``postcode``, finest first (a city left out when one of its
    arrondissements has the postcode too), most populated first."""
    codes = sa.select(sa.literal("COM:") + territory_postcode.c.commune_code).where(
        territory_postcode.c.postcode == postcode
    )
    rows = [
        dict(r._mapping)
        for r in conn.execute(
            sa.select(*READING_COLUMNS)
            .where(territory.c.code.in_(codes))
            .order_by(sa.func.coalesce(territory.c.population, 0).desc(), territory.c.code)
        )
    ]
    parents = {r["parent_code"] for r in rows}
    return [r for r in rows if r["code"] not in parents]


def territory_code(*, db: sa.Engine, key: str) -> str:
    """The code of the territory ``key`` (code, postcode or name, see
    :func:`resolve_territory`). Raises NotFound."""
    with db.connect() as conn:
        return str(resolve_territory(conn, key, (territory.c.code,))["code"])


def _most_populated(
    conn: sa.Connection, codes: list[str], columns: Sequence[sa.ColumnElement[Any]] | None = None
) -> dict[str, Any] | None:
    if not codes:
        return None
    row = conn.execute(
        (sa.select(*columns) if columns else sa.select(territory))
        .where(territory.c.code.in_(codes))
        .order_by(sa.func.coalesce(territory.c.population, 0).desc(), territory.c.code)
        .limit(1)
    ).first()
    return dict(row._mapping) if row else None


def show_territory(*, db: sa.Engine, key: str) -> dict[str, Any]:
    """A territory with its parent chain, children codes, postcodes and actor count."""
    with db.connect() as conn:
        found = resolve_territory(conn, key)
        code = found["code"]
        parents = []
        parent = found.get("parent_code")
        while parent:
            row = _row(conn, parent)
            if row is None:
                break
            parents.append({"code": row["code"], "name": row["name"], "level": row["level"]})
            parent = row.get("parent_code")
        children = (
            conn.execute(
                sa.select(territory.c.code)
                .where(territory.c.parent_code == code)
                .order_by(territory.c.code)
            )
            .scalars()
            .all()
        )
        members = (
            conn.execute(
                sa.select(territory_member.c.member_code).where(
                    territory_member.c.parent_code == code
                )
            )
            .scalars()
            .all()
        )
        epcis = (
            conn.execute(
                sa.select(territory_member.c.parent_code).where(
                    territory_member.c.member_code == code
                )
            )
            .scalars()
            .all()
        )
        found.update(parents=parents, children=list(children) + list(members), epci=list(epcis))
        if found["code"].startswith("COM:"):
            found["postcodes"] = list(
                conn.execute(
                    sa.select(territory_postcode.c.postcode)
                    .where(territory_postcode.c.commune_code == code[4:])
                    .order_by(territory_postcode.c.postcode)
                ).scalars()
            )
            found["actors"] = conn.execute(
                sa.select(sa.func.count()).where(
                    actor.c.commune_code == code[4:], actor.c.deleted_at.is_(None)
                )
            ).scalar_one()
    return found
