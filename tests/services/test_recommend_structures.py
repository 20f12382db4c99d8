"""No recommendation pairs two actors of one structure, on both engines.

Real rows: the 188 places of the Charente national-map export, the PACA export and the
Charente France Services of the August 2024 list, with the relations drawn from them
(holders, carriers, programmes). Over every département and EPCI of the map, the top
10 proposed links of ``recommend territory`` never join two actors sharing a SIREN (own,
from a SIRET or a holder's SIRET) or an RNA, a place and its holder, or merged actors.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

import sqlalchemy as sa

from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_json
from maillage.services import importing
from maillage.services.analysis import load_graph, recommend_territory
from maillage.services.relations import derive_relations
from maillage.storage.tables import actor, link

MAP = "mediation-numerique/cartographie-nationale"
CHARENTE = f"{MAP}/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json"
PACA = f"{MAP}/20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json"


def _load(db: sa.Engine, data_dir: Path) -> None:
    sites = read_france_services(data_dir / "france-services/liste-fs-20240801.csv")
    charente = [a for a in sites.actors if a.territories == ["DEP:16"]]
    for source, records, file in (
        ("cartographie-nationale", read_lieux_json(data_dir / CHARENTE).actors, CHARENTE),
        ("cartographie-nationale", read_lieux_json(data_dir / PACA).actors, PACA),
        ("france-services", charente, "liste-fs-20240801.csv"),
    ):
        report = importing.import_records(
            db=db, kind="test", source=source, actor_records=records, file=file
        )
        assert report.status == "done"
    derive_relations(db=db)


def _identities(db: sa.Engine) -> tuple[dict[Hashable, set[str]], set[frozenset[Hashable]]]:
    """Each actor's legal identifiers (SIREN from any SIRET, RNA), and the holding pairs."""
    cols = (actor.c.id, actor.c.siren, actor.c.siret, actor.c.holder_siret, actor.c.rna,
            actor.c.holder_rna)  # fmt: skip
    with db.connect() as conn:
        rows = conn.execute(sa.select(*cols)).all()
        held = conn.execute(
            sa.select(link.c.source_id, link.c.target_id).where(link.c.kind == "holding")
        ).all()
    idents = {
        row[0]: {f"siren:{v[:9]}" for v in row[1:4] if v} | {f"rna:{v}" for v in row[4:] if v}
        for row in rows
    }
    return idents, {frozenset(pair) for pair in held}


def test_no_territory_top_ten_pairs_one_structure(db: sa.Engine, data_dir: Path) -> None:
    _load(db, data_dir)
    idents, holding = _identities(db)
    graph = load_graph(db=db)
    # the map has what could be wrongly proposed: places of one holder, shared SIRENs
    assert len(holding) > 50
    codes = sorted({c for codes in graph.territories for c in codes
                    if c.startswith(("DEP:", "EPCI:"))})  # fmt: skip
    assert {"DEP:16", "DEP:13", "DEP:06"} <= set(codes)
    proposed = 0
    for code in codes:
        found = recommend_territory(db=db, code=code, top=10, store=None)
        for pair in found["links"]:
            a, b = pair["source"]["id"], pair["target"]["id"]
            proposed += 1
            assert a != b
            assert not idents[a] & idents[b], (code, pair["source"], pair["target"])
            assert frozenset((a, b)) not in holding, (code, pair["source"], pair["target"])
    assert proposed >= 10 * len(codes) // 2
