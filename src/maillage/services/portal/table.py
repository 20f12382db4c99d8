"""Paged tables of a view's actors and links: the text alternative to the map and network."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa

from maillage.model.fields import date_text
from maillage.services.filters import Filters, actor_conditions, link_conditions, link_scope
from maillage.services.portal import label
from maillage.storage.tables import actor, link, territory

Lang = Literal["fr", "en"]
PER_PAGE = 25


def _page(total: int, page: int, per_page: int) -> dict[str, int]:
    pages = max(1, -(-total // per_page))
    return {"total": total, "page": min(max(page, 1), pages), "pages": pages, "per_page": per_page}


def actor_table(
    *, db: sa.Engine, filters: Filters, page: int = 1, per_page: int = PER_PAGE, lang: Lang = "fr"
) -> dict[str, Any]:
    """One page of the view's actors by name: id, name, world, category, commune, links."""
    commune = territory.alias("commune")
    with db.connect() as conn:
        where = actor_conditions(conn, filters)
        total = int(
            conn.execute(sa.select(sa.func.count()).select_from(actor).where(*where)).scalar_one()
        )
        info = _page(total, page, per_page)
        query = (
            sa.select(
                actor.c.id,
                actor.c.name,
                actor.c.world,
                actor.c.category,
                commune.c.name.label("commune"),
            )
            .select_from(
                actor.outerjoin(
                    commune, commune.c.code == sa.literal("COM:") + actor.c.commune_code
                )
            )
            .where(*where)
            .order_by(actor.c.name, actor.c.id)
            .limit(per_page)
            .offset((info["page"] - 1) * per_page)
        )
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["world_label"] = label("worlds", row["world"], lang)
        row["category_label"] = label("categories", row["category"], lang)
    return {**info, "rows": rows}


def link_table(
    *, db: sa.Engine, filters: Filters, page: int = 1, per_page: int = PER_PAGE, lang: Lang = "fr"
) -> dict[str, Any]:
    """One page of the view's links, newest first: ends, kind, years."""
    source, target = actor.alias("s"), actor.alias("t")
    with db.connect() as conn:
        where = link_conditions(filters, link_scope(conn, filters))
        total = int(
            conn.execute(sa.select(sa.func.count()).select_from(link).where(*where)).scalar_one()
        )
        info = _page(total, page, per_page)
        query = (
            sa.select(
                link.c.id,
                link.c.kind,
                link.c.start_date,
                link.c.end_date,
                link.c.extra,
                source.c.id.label("source_id"),
                source.c.name.label("source_name"),
                source.c.world.label("source_world"),
                target.c.id.label("target_id"),
                target.c.name.label("target_name"),
                target.c.world.label("target_world"),
            )
            .select_from(
                link.join(source, source.c.id == link.c.source_id).join(
                    target, target.c.id == link.c.target_id
                )
            )
            .where(*where)
            .order_by(link.c.start_date.desc().nulls_last(), link.c.id)
            .limit(per_page)
            .offset((info["page"] - 1) * per_page)
        )
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["kind_label"] = label("link_kinds", row["kind"], lang)
        for key in ("start_date", "end_date"):  # a year alone is the year
            row[key] = date_text(row[key], row["extra"], key)
        del row["extra"]
    return {**info, "rows": rows}
