"""A full, ordered dump of the editable state, to compare databases exactly."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from maillage.storage import tables as t

TABLES = [
    t.actor,
    t.actor_theme,
    t.actor_sdg,
    t.actor_territory,
    t.actor_identifier,
    t.link,
    t.link_theme,
]


def dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
        if engine.dialect.name == "sqlite":
            q = "SELECT rowid, tokens FROM actor_fts ORDER BY rowid"
        else:
            q = "SELECT actor_id, tokens FROM actor_search ORDER BY actor_id"
        out["search"] = [tuple(r) for r in conn.exec_driver_sql(q)]
    return out
