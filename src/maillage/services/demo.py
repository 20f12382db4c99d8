"""The demo database, built from the open data shipped in the package only.

Geography (COG 2026, La Poste, IGN boundaries) and the ANR co-partnership
network 2010-2022 (Agence nationale de la recherche, Licence Ouverte 2.0).
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage.io.tabular import read_actors, read_links
from maillage.services import database, imports
from maillage.storage.tables import actor, link

ANR = "anr-partenariats"


def _unpacked(folder: Path, name: str) -> Path:
    source = resources.files("maillage") / "data" / "networks" / ANR / f"{name}.gz"
    target = folder / ANR / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as raw, gzip.open(raw) as unzipped, target.open("wb") as out:
        shutil.copyfileobj(unzipped, out)
    return target


def build_demo(*, db: sa.Engine) -> dict[str, Any]:
    """Create (or complete) the demo database; safe to run again. Returns counts."""
    reference = database.upgrade(db=db)
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parsed = read_actors(_unpacked(folder, "actors.csv"), source=ANR)
        reports.append(imports.import_actors(db=db, records=parsed.actors, source=ANR,
                                             parse_issues=parsed.issues, rows=parsed.rows,
                                             partial=True, user="demo"))
        parsed = read_links(_unpacked(folder, "links.csv"), source=ANR)
        reports.append(imports.import_links(db=db, records=parsed.links, source=ANR,
                                            parse_issues=parsed.issues, rows=parsed.rows,
                                            partial=True, user="demo"))
    return {"reference": reference["reference"], "imports": [r.to_dict() for r in reports],
            "counts": demo_counts(db=db)}


def demo_counts(*, db: sa.Engine) -> dict[str, Any]:
    """Live actors per world, links per kind, actors per région."""
    live_actor = actor.c.deleted_at.is_(None)
    with db.connect() as conn:
        worlds = dict(conn.execute(
            sa.select(sa.func.coalesce(actor.c.world, "unknown"), sa.func.count())
            .where(live_actor).group_by(actor.c.world)).all())
        kinds = dict(conn.execute(
            sa.select(link.c.kind, sa.func.count()).where(link.c.deleted_at.is_(None))
            .group_by(link.c.kind)).all())
        regions = dict(conn.execute(sa.text(
            "SELECT r.name, count(*) FROM actor a JOIN territory c ON c.code = 'COM:' || a.commune_code "
            "JOIN territory d ON d.code = c.parent_code JOIN territory r ON r.code = d.parent_code "
            "WHERE a.deleted_at IS NULL GROUP BY r.name ORDER BY count(*) DESC")).all())
    return {"actors_by_world": worlds, "links_by_kind": kinds, "actors_by_region": regions}
