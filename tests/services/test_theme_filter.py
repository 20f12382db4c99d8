"""A filter on a parent theme finds the actors of every theme under it, on both engines.

Real rows: the 188 places of the Charente national-map export and the 35 France Services
sites of Charente (département 16) in the August 2024 list. The SQL filter (explore view,
API, exports) and the graph filter (``maillage analyse``) give the same actors.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from maillage.analysis.filter import GraphFilter, apply_filter
from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_json
from maillage.model import taxonomy
from maillage.services import importing
from maillage.services.analysis import load_map
from maillage.services.exports import export_view

CHARENTE = "mediation-numerique/cartographie-nationale/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json"  # noqa: E501


def _load(db: sa.Engine, data_dir: Path) -> None:
    places = read_lieux_json(data_dir / CHARENTE)
    sites = read_france_services(data_dir / "france-services/liste-fs-20240801.csv")
    charente = [a for a in sites.actors if a.territories == ["DEP:16"]]
    assert (len(places.actors), len(charente)) == (188, 35)
    report = importing.import_records(
        db=db, kind="test", source="test", actor_records=[*places.actors, *charente]
    )
    assert report.status == "done"


def _ids(db: sa.Engine, theme: str) -> set[int]:
    return {a.id for a in export_view(db=db, filters={"theme": theme})[0] if a.id is not None}


def test_a_parent_theme_finds_the_actors_of_its_children(db: sa.Engine, data_dir: Path) -> None:
    _load(db, data_dir)
    counts = {code: len(_ids(db, code)) for code in (
        "numerique", "inclusion-numerique", "mediation-numerique", "demarches-en-ligne",
        "equipement-connexion", "acces-aux-droits-et-citoyennete", "acces-aux-services-publics",
    )}  # fmt: skip
    # counted on the file by hand: 133 places are Conseillers numériques (CNFS) or offer a
    # mediation service (Maîtrise des outils…, Compréhension du monde numérique…); 148
    # are France Services or Aidants Connect or help with « démarches administratives »;
    # 7 give access to internet and equipment; 83 are France Services. Before the tree,
    # « Médiation numérique » found none of them and France Services had no theme.
    assert counts == {
        "numerique": 188 + 35,
        "inclusion-numerique": 188 + 35,
        "mediation-numerique": 133,
        "demarches-en-ligne": 148 + 35,
        "equipement-connexion": 7,
        "acces-aux-droits-et-citoyennete": 83 + 35,
        "acces-aux-services-publics": 83 + 35,
    }
    for parent in ("numerique", "inclusion-numerique", "acces-aux-droits-et-citoyennete"):
        own = {a.id for a in export_view(db=db)[0] if parent in a.themes}
        under = set().union(*(_ids(db, c) for c in taxonomy.descendants("themes", parent)))
        assert _ids(db, parent) == own | under


def test_the_graph_filter_finds_the_same_actors_as_the_sql_one(
    db: sa.Engine, data_dir: Path
) -> None:
    _load(db, data_dir)
    graph = load_map(db=db, coverage=False).graph
    for theme in ("inclusion-numerique", "mediation-numerique", "acces-aux-droits-et-citoyennete"):
        part = apply_filter(graph, GraphFilter(theme=theme))
        assert set(part.ids) == _ids(db, theme), theme
