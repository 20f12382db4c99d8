"""Territory lookups on the stored geography."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from maillage.model.errors import NotFound
from maillage.model.text import fold
from maillage.storage.tables import actor, territory, territory_member, territory_postcode

_PREFIXED = re.compile(r"^(REG|DEP|EPCI|COM):\S+$", re.IGNORECASE)
_COMMUNE = re.compile(r"^(\d[\dAB]\d{3})$", re.IGNORECASE)


def _row(conn: sa.Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(territory).where(territory.c.code == code)).first()
    return dict(row._mapping) if row else None


def resolve_territory(conn: sa.Connection, key: str) -> dict[str, Any]:
    """Find a territory by code (``DEP:59``, ``59350``), postcode or name.

    Names are matched without accents or case; the most populated match wins.
    Raises NotFound.
    """
    key = key.strip()
    if _PREFIXED.match(key):
        level, code = key.split(":", 1)
        found = _row(conn, f"{level.upper()}:{code.upper()}")
    elif _COMMUNE.match(key):
        found = _row(conn, f"COM:{key.upper()}")
        if found is None:  # a postcode
            codes = (
                conn.execute(
                    sa.select(territory_postcode.c.commune_code).where(
                        territory_postcode.c.postcode == key
                    )
                )
                .scalars()
                .all()
            )
            found = _most_populated(conn, [f"COM:{c}" for c in codes])
    elif key.isdigit() and len(key) in (2, 3):
        found = _row(conn, f"DEP:{key}")
    else:
        codes = (
            conn.execute(sa.select(territory.c.code).where(territory.c.name_folded == fold(key)))
            .scalars()
            .all()
        )
        found = _most_populated(conn, list(codes))
    if found is None:
        raise NotFound("territory", key)
    return found


def _most_populated(conn: sa.Connection, codes: list[str]) -> dict[str, Any] | None:
    if not codes:
        return None
    row = conn.execute(
        sa.select(territory)
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
