"""Solutions for the local demo: the beta.gouv.fr "Startups d'État" (public digital
services) read from a copy beside the repository, never shipped (their licence is
non-commercial). Their sponsors become carriers: public actors found by name on the
map, or added; every write is audited in one batch."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from maillage.io.betagouv import organisation_name, parse_startups
from maillage.io.reading import read_table
from maillage.model.errors import InvalidInput
from maillage.services.actors import create_actor_in
from maillage.services.solutions import clean_solution
from maillage.storage.audit import Context, open_batch
from maillage.storage.engine import transaction
from maillage.storage.registry import solutions
from maillage.storage.tables import actor


def _carrier(conn: sa.Connection, name: str, ctx: Context, made: dict[str, int]) -> int:
    if name in made:
        return made[name]
    query = sa.select(actor.c.id).where(actor.c.name == name, actor.c.deleted_at.is_(None))
    found = conn.execute(query.limit(1)).scalar()
    if found is None:
        found = create_actor_in(conn, values={"name": name, "world": "public"}, ctx=ctx)["id"]
    made[name] = int(found)
    return made[name]


def load_startups(
    *, db: sa.Engine, directory: str | Path, limit: int | None = None, user: str = "demo"
) -> dict[str, int]:
    """Add the startups of ``directory`` (``manifest.csv``, ``startups/``,
    ``organisations/``) as solutions; returns how many solutions and carriers. A
    startup already loaded (same file) is left as it is. Raises InvalidInput."""
    root = Path(directory)
    if not (root / "manifest.csv").is_file():
        raise InvalidInput("directory", str(root), "un dossier avec manifest.csv",
                           "a folder holding manifest.csv")  # fmt: skip
    table = read_table(root / "manifest.csv")
    fiches = {f"startups/{p.name}": p.read_text(encoding="utf-8")
              for p in (root / "startups").glob("*.md")}  # fmt: skip
    organisations = {p.stem: organisation_name(p.read_text(encoding="utf-8")) or p.stem
                     for p in (root / "organisations").glob("*.md")}  # fmt: skip
    rows = list(parse_startups(table, fiches, organisations))[:limit]
    with transaction(db) as conn:
        batch_id = open_batch(conn, kind="import", label="demo: beta.gouv.fr", user=user)
        ctx = Context(user=user, source="beta.gouv.fr", batch_id=batch_id)
        loaded = set(conn.execute(sa.text(
            "SELECT source_ref FROM solution WHERE source = 'beta.gouv.fr'")).scalars())  # fmt: skip
        made: dict[str, int] = {}
        count = 0
        for row in rows:
            if row["source_ref"] in loaded:
                continue
            names = row.pop("carrier_names")
            values = clean_solution(row)
            values["carriers"] = sorted({_carrier(conn, n, ctx, made) for n in names})
            solutions.create(conn, values, ctx=ctx)
            count += 1
    return {"solutions": count, "carriers": len(made)}


def find_startups(start: Path | None = None) -> Path | None:
    """The copy of the startups beside the repository (``shared/data/resources/
    betagouv-startups`` in a parent of ``start``), if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        found = folder / "shared" / "data" / "resources" / "betagouv-startups"
        if (found / "manifest.csv").is_file():
            return found
    return None
