"""A map of the Nord (DEP:59) from the real rows shipped in tests/data, for the
facilitator's journey: the 94 lieux de médiation numérique of the Nord in the national
CNFS export, the 52 France Services sites of the Nord (August 2024 list), the 356
ANR co-partnership actors of the Nord with the 518 links among them, the relations the
places' own data gives (holding structures, programme affiliations), then the computed
digital-inclusion needs (communes more than 10 km from every place): those with no
actor acting there are the white zones of the Nord.
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_json
from maillage.services import importing
from maillage.services.needs import compute_distance_needs
from maillage.services.relations import derive_relations

CNFS = "mediation-numerique/cartographie-nationale/lieux-de-mediation-numerique.cnfs.json"
FRANCE_SERVICES = "france-services/liste-fs-20240801.csv"
ANR = "networks/anr-partenariats"


def _anr_nord(data_dir: Path, target: Path) -> Path:
    """The ANR actors of the Nord and the links among them, in the network format."""
    target.mkdir(parents=True, exist_ok=True)
    with (data_dir / ANR / "actors.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = (
            list(reader.fieldnames or []),
            [r for r in reader if r["territory_code"] == "59"],
        )
    keep = {r["id"] for r in rows}
    with (target / "actors.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)
    with (data_dir / ANR / "links.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        links = [r for r in reader if r["source"] in keep and r["target"] in keep]
    with (target / "links.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(links)
    return target


def build_nord(db: sa.Engine, data_dir: Path, work: Path) -> dict[str, int]:
    """Fill ``db`` (migrated) with the Nord map; returns what was loaded."""
    places = [
        a for a in read_lieux_json(data_dir / CNFS).actors if (a.postcode or "").startswith("59")
    ]
    sites = [
        a
        for a in read_france_services(data_dir / FRANCE_SERVICES).actors
        if a.territories == ["DEP:59"] or (a.commune_code or "").startswith("59")
    ]
    for source, rows in (("cartographie-nationale", places), ("france-services", sites)):
        report = importing.import_records(db=db, kind="lieux", source=source, actor_records=rows)
        assert report.status == "done", report
    network = importing.import_file(
        db=db, fmt="network", path=_anr_nord(data_dir, work / "anr-nord"), source="anr",
        partial=True, user="test", relations=False,
    )  # fmt: skip
    derive_relations(db=db)
    needs = compute_distance_needs(db=db)
    return {"places": len(places), "sites": len(sites), "needs": needs["created"],
            "network_actors": network.actors_created if hasattr(network, "actors_created") else 0}  # fmt: skip
