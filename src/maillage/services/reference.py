"""Reference data loaded at set-up: taxonomies, research hypotheses, geography.

Loading is idempotent: a fingerprint of each data set is kept in
``maillage_setting``; a data set is (re)loaded only when it changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from maillage import geo
from maillage.model import taxonomy
from maillage.model.text import search_tokens
from maillage.storage.tables import (
    hypothesis,
    setting,
    taxonomy_term,
    territory,
    territory_member,
    territory_postcode,
)

GEOGRAPHY_VERSION = "cog-2026+laposte+france-geojson/2"


def _fingerprint(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _stored(conn: sa.Connection, key: str) -> Any:
    return conn.execute(sa.select(setting.c.value).where(setting.c.key == key)).scalar_one_or_none()


def _store(conn: sa.Connection, key: str, value: Any) -> None:
    conn.execute(sa.delete(setting).where(setting.c.key == key))
    conn.execute(sa.insert(setting).values(key=key, value=value))


def _insert_chunks(conn: sa.Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    total, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 5000:
            conn.execute(sa.insert(table), chunk)
            total, chunk = total + len(chunk), []
    if chunk:
        conn.execute(sa.insert(table), chunk)
    return total + len(chunk)


def _taxonomy_rows() -> list[dict[str, Any]]:
    rows = []
    for name in taxonomy.names():
        for term in taxonomy.load(name):
            rows.append(
                {
                    "taxonomy": name,
                    "code": term.code,
                    "label_fr": term.label_fr,
                    "label_en": term.label_en,
                    "data": dict(term.data),
                }
            )
    return rows


def _hypothesis_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": t.code,
            "number": int(t.data.get("number", i + 1)),
            "title_fr": t.label_fr,
            "title_en": t.label_en,
            "description": t.data.get("description_fr"),
        }
        for i, t in enumerate(taxonomy.load("hypotheses"))
    ]


def _load_if_changed(
    conn: sa.Connection,
    key: str,
    fingerprint: str,
    tables: Sequence[sa.Table],
    fill: Callable[[], int],
) -> tuple[bool, int]:
    if _stored(conn, key) == fingerprint:
        return False, 0
    for table in tables:
        conn.execute(sa.delete(table))
    count = fill()
    _store(conn, key, fingerprint)
    return True, count


def load_reference_data(conn: sa.Connection) -> dict[str, Any]:
    """Load what is missing or changed; return counts of what the database holds."""
    terms = _taxonomy_rows()
    hyps = _hypothesis_rows()
    _load_if_changed(
        conn,
        "taxonomies",
        _fingerprint([terms, hyps]),
        [taxonomy_term, hypothesis],
        lambda: _insert_chunks(conn, taxonomy_term, terms) + _insert_chunks(conn, hypothesis, hyps),
    )
    _load_if_changed(
        conn,
        "geography",
        GEOGRAPHY_VERSION,
        [territory_member, territory_postcode, territory],
        lambda: _load_geography(conn),
    )
    return reference_counts(conn)


def _load_geography(conn: sa.Connection) -> int:
    data = geo.load_geography()
    count = _insert_chunks(
        conn,
        territory,
        (
            {**r._asdict(), "search_tokens": search_tokens(r.name)}
            for r in geo.iter_territories(data)
        ),
    )
    _insert_chunks(conn, territory_postcode, (r._asdict() for r in geo.iter_postcodes(data)))
    _insert_chunks(
        conn,
        territory_member,
        (
            {"parent_code": f"EPCI:{r.epci_code}", "member_code": f"COM:{r.commune_code}"}
            for r in geo.iter_epci_members(data)
        ),
    )
    return count


def reference_counts(conn: sa.Connection) -> dict[str, Any]:
    """Counts of territories per level, centroid coverage of communes, taxonomy terms."""
    levels: dict[str, int] = dict(
        conn.execute(
            sa.select(territory.c.level, sa.func.count()).group_by(territory.c.level)
        ).all()
    )
    communes = levels.get("commune", 0)
    with_centroid = conn.execute(
        sa.select(sa.func.count()).where(
            territory.c.level == "commune", territory.c.latitude.is_not(None)
        )
    ).scalar_one()
    return {
        "regions": levels.get("region", 0),
        "departements": levels.get("departement", 0),
        "epci": levels.get("epci", 0),
        "communes": communes,
        "communes_with_centroid": with_centroid,
        "centroid_coverage": round(with_centroid / communes, 4) if communes else 0.0,
        "other_territories": {
            k: v for k, v in levels.items() if k not in ("region", "departement", "epci", "commune")
        },
        "postcodes": conn.execute(
            sa.select(sa.func.count()).select_from(territory_postcode)
        ).scalar_one(),
        "taxonomy_terms": conn.execute(
            sa.select(sa.func.count()).select_from(taxonomy_term)
        ).scalar_one(),
        "hypotheses": conn.execute(sa.select(sa.func.count()).select_from(hypothesis)).scalar_one(),
    }
