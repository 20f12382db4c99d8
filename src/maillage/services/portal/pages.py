"""Data of the actor and link pages (the territory page is in ``portal_territory``).

Measures computed here are the simple, exact ones (degree, partners, cross-world
share); measures and recommendations from the analysis are added by the web layer's
providers when they exist.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa

from maillage.model.fields import date_text
from maillage.services.places import place_columns, placed_from
from maillage.services.portal import label
from maillage.services.portal.nearby import place_details
from maillage.storage.registry import actors, links
from maillage.storage.tables import actor, link, territory

Lang = Literal["fr", "en"]


def place_chain(conn: sa.Connection, commune_code: str | None) -> list[dict[str, Any]]:
    """The commune of an actor and its parents up to the région, nearest first."""
    chain: list[dict[str, Any]] = []
    code = f"COM:{commune_code}" if commune_code else None
    while code and len(chain) < 5:
        row = conn.execute(
            sa.select(
                territory.c.code, territory.c.name, territory.c.level, territory.c.parent_code
            ).where(territory.c.code == code)
        ).first()
        if row is None:
            break
        chain.append({"code": row.code, "name": row.name, "level": row.level})
        code = row.parent_code
    return chain


def territory_names(conn: sa.Connection, codes: list[str]) -> dict[str, str]:
    """Names of territories by code (unknown codes left out)."""
    if not codes:
        return {}
    query = sa.select(territory.c.code, territory.c.name).where(territory.c.code.in_(codes))
    return {code: name for code, name in conn.execute(query)}


_OTHER = actor.alias("other")  # built once: an alias per call rebuilds its columns


def _actor_links(conn: sa.Connection, actor_id: int, lang: Lang) -> list[dict[str, Any]]:
    other = _OTHER
    query = (
        sa.select(link, other.c.name.label("other_name"), other.c.world.label("other_world"))
        .select_from(
            link.join(
                other,
                other.c.id
                == sa.case(
                    (link.c.source_id == actor_id, link.c.target_id), else_=link.c.source_id
                ),
            )
        )
        .where(
            sa.or_(link.c.source_id == actor_id, link.c.target_id == actor_id),
            link.c.deleted_at.is_(None),
            other.c.deleted_at.is_(None),
        )
        .order_by(link.c.start_date.desc().nulls_last(), link.c.id)
    )
    return [_link_row(dict(row._mapping), actor_id, lang) for row in conn.execute(query)]


def _link_row(item: dict[str, Any], actor_id: int, lang: Lang) -> dict[str, Any]:
    """One link as seen from ``actor_id``: the other end, labels, dates, evidence."""
    outgoing = item["source_id"] == actor_id
    return {
        "id": item["id"],
        "kind": item["kind"],
        "kind_label": label("link_kinds", item["kind"], lang),
        "form_label": label("partnership_forms", item["form"], lang),
        "status": item["status"],
        "status_label": label("link_statuses", item["status"], lang),
        "direction": ("out" if outgoing else "in") if item["directed"] else None,
        "other_id": item["target_id"] if outgoing else item["source_id"],
        "other_name": item["other_name"],
        "other_world": item["other_world"],
        "other_world_label": label("worlds", item["other_world"], lang),
        "start_date": date_text(item["start_date"], item["extra"], "start_date"),
        "end_date": date_text(item["end_date"], item["extra"], "end_date"),
        "amount": item["amount"],
        "evidence": item["evidence"],
        "evidence_url": item["evidence_url"],
        "source": item["source"],
    }


def actor_measures(world: str | None, partners: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Exact ego measures from the actor's links (codes match the measure pages)."""
    distinct = {p["other_id"]: p["other_world"] for p in partners}
    crossing = sum(1 for w in distinct.values() if w != world)
    worlds = sorted({w for w in distinct.values() if w})
    measures: list[dict[str, Any]] = [
        {"code": "degree", "value": len(partners)},
        {"code": "partners", "value": len(distinct)},
        {"code": "worlds_reached", "value": len(worlds), "detail": worlds},
    ]
    if distinct:
        measures.append({"code": "cross_world_share", "value": round(crossing / len(distinct), 4)})
        internal = len(distinct) - crossing
        measures.append(
            {"code": "ei_index", "value": round((crossing - internal) / len(distinct), 4)}
        )
    return measures


def actor_page(*, db: sa.Engine, actor_id: int, lang: Lang = "fr") -> dict[str, Any]:
    """An actor with labels, places, territories of action, links and measures.

    Raises NotFound for an unknown or deleted actor.
    """
    with db.connect() as conn:
        snap = actors.get(conn, actor_id)
        places = place_chain(conn, snap.get("commune_code"))
        action = territory_names(conn, list(snap.get("territories") or []))
        partners = _actor_links(conn, actor_id, lang)
        where = _placed(conn, actor_id)
    hidden = ("extra", "deleted_at", "merged_into_id")
    data = {k: v for k, v in snap.items() if k not in hidden}
    data.update(
        world_label=label("worlds", snap.get("world"), lang),
        category_label=label("categories", snap.get("category"), lang),
        digital_profile_label=label("digital_profiles", snap.get("digital_profile"), lang),
        themes=[{"code": t, "label": label("themes", t, lang)} for t in snap.get("themes") or []],
        places=places,
        territories=[{"code": c, "name": action.get(c, c)} for c in snap.get("territories") or []],
        links=partners,
        measures=actor_measures(snap.get("world"), partners),
        visit=place_details(
            {**snap, **where, "commune": places[0]["name"] if places else None},
            snap.get("themes") or [],
            lang=lang,
        ),
    )
    return data


def _placed(conn: sa.Connection, actor_id: int) -> dict[str, Any]:
    """``latitude``, ``longitude``, ``approximate`` of the actor (see
    :func:`maillage.services.places.place_columns`)."""
    row = conn.execute(
        sa.select(*place_columns()).select_from(placed_from()).where(actor.c.id == actor_id)
    ).one()
    return dict(row._mapping)


def actor_card(*, db: sa.Engine, actor_id: int, lang: Lang = "fr") -> dict[str, Any]:
    """The short version of an actor for the explore card: identity, place, 8 links."""
    page = actor_page(db=db, actor_id=actor_id, lang=lang)
    page["link_count"] = len(page["links"])
    page["links"] = page["links"][:8]
    return page


def link_page(*, db: sa.Engine, link_id: int, lang: Lang = "fr") -> dict[str, Any]:
    """A link with both ends, labels, dates and evidence. Raises NotFound."""
    with db.connect() as conn:
        snap = links.get(conn, link_id)
        ends = {
            row.id: dict(row._mapping)
            for row in conn.execute(
                sa.select(actor.c.id, actor.c.name, actor.c.world, actor.c.deleted_at).where(
                    actor.c.id.in_([snap["source_id"], snap["target_id"]])
                )
            )
        }
        place = territory_names(
            conn, [snap["territory_code"]] if snap.get("territory_code") else []
        )
    data = {k: v for k, v in snap.items() if k not in ("extra", "deleted_at")}
    for name in ("start_date", "end_date"):  # a year alone is shown as the year
        data[name] = date_text(snap.get(name), snap.get("extra"), name)
    for end in ("source", "target"):
        row = ends.get(snap[f"{end}_id"], {})
        data[f"{end}_actor"] = {
            "id": snap[f"{end}_id"],
            "name": row.get("name"),
            "world": row.get("world"),
            "world_label": label("worlds", row.get("world"), lang),
            "live": row.get("deleted_at") is None,
        }
    data.update(
        kind_label=label("link_kinds", snap["kind"], lang),
        form_label=label("partnership_forms", snap.get("form"), lang),
        subtype_label=label("mecenat_subtypes", snap.get("subtype"), lang),
        status_label=label("link_statuses", snap.get("status"), lang),
        territory_name=place.get(snap.get("territory_code") or ""),
        themes=[{"code": t, "label": label("themes", t, lang)} for t in snap.get("themes") or []],
    )
    return data


def territory_names_of(*, db: sa.Engine, codes: list[str]) -> dict[str, str]:
    """Names of territories by code (unknown codes left out)."""
    with db.connect() as conn:
        return territory_names(conn, codes)
