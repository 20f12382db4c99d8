"""Relations drawn by ``maillage import`` itself (services.importing.import_file), on both
engines: a user's own files get them, a second import creates none, the report says so.

Real rows: the Charente national-map export (188 places). data·inclusion: two
structures written for this test (``tests/data/data-inclusion/structures-reseaux.json``,
values of the schema's ``reseaux_porteurs`` vocabulary): no consolidated data·inclusion
export ships. DECP: the real AIFE file shipped with the demo.
"""

from __future__ import annotations

import gzip
import shutil
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from maillage.io.decp import read_decp
from maillage.io.themes import object_themes
from maillage.services.importing import import_file
from maillage.storage.tables import actor, link

CHARENTE = "mediation-numerique/cartographie-nationale/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json"  # noqa: E501


def test_import_draws_relations_once_and_reports_them(db: sa.Engine, data_dir: Path) -> None:
    lieux = data_dir / CHARENTE
    first = import_file(db=db, fmt="lieux", path=lieux)
    assert first.relations is not None
    # holders: 58 by pivot, 26 by the name of a lieu without one (tests/services/test_relations.py)
    assert first.relations["created"] == {"affiliation": 260, "holding": 58 + 26}
    again = import_file(db=db, fmt="lieux", path=lieux)
    assert again.relations is not None and again.relations["created"] == {}
    assert again.relations["actors_created"] == 0
    dry = import_file(db=db, fmt="lieux", path=lieux, dry_run=True)
    assert dry.relations is None

    structures = data_dir / "data-inclusion/structures-reseaux.json"
    report = import_file(db=db, fmt="data-inclusion", path=structures)
    assert report.relations is not None
    assert report.relations["created"] == {"membership": 3}
    found = report.relations["report"]
    assert found["memberships"] == {"Croix-Rouge": 1, "Mission Locale": 1, "La Poste": 1}
    assert found["networks_unknown"] == {
        "Communes, mairies, communautés de communes, etc. (type de structure)": 1
    }
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(actor.c.name, link.c.evidence, link.c.extra)
            .join(link, link.c.target_id == actor.c.id)
            .where(link.c.kind == "membership", link.c.deleted_at.is_(None))
            .order_by(actor.c.name)
        ).all()
    assert [r.name for r in rows] == ["Croix-Rouge", "La Poste", "Mission Locale"]
    assert rows[0].evidence == (
        "data-inclusion · structures-reseaux.json · id s1 : reseaux_porteurs « croix-rouge »"
    )
    assert rows[0].extra["regle"] == "reseaux_porteurs → croix-rouge"
    again = import_file(db=db, fmt="data-inclusion", path=structures)
    assert again.relations is not None and again.relations["created"] == {}


def test_contracts_are_themed_by_their_object(tmp_path: Path) -> None:
    packed = resources.files("maillage") / "data" / "demo" / "data.gouv.fr_aife.json.gz"
    target = tmp_path / "data.gouv.fr_aife.json"
    with packed.open("rb") as raw, gzip.open(raw) as data, target.open("wb") as out:
        shutil.copyfileobj(data, out)
    links = read_decp(target).links
    themed = [x for x in links if x.themes]
    assert (len(links), len(themed)) == (4828, 687)
    assert all(x.extra["themes_mots_cles"] for x in themed)
    assert object_themes("Marché de formation au numérique, clause d'insertion") == (
        ["numerique", "emploi-insertion", "se-former"],
        ["numerique", "insertion", "formation"],
    )
    assert object_themes("Travaux de réfection de la toiture") == ([], [])
