"""The same French query gives the same hits on SQLite FTS5 and PostgreSQL tsvector."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from builders import make_actor
from maillage.services import actors

NAMES = [
    "Médiation Numerique",
    "médiations numériques",
    "Association de médiation numérique du Nord",
    "Le numérique pour tous",
    "Centre de médiation familiale",
    "Tiers-lieu des Écoles",
    "École de la deuxième chance",
    "Coopérative d'activités et d'emploi",
    "Emplois solidaires",
    "Fédération des centres sociaux",
]
QUERIES = [
    "médiation numérique",
    "MEDIATION",
    "numériques",
    "ecole",
    "emploi",
    "centres sociaux",
    "coopératives",
    "tiers lieu",
    "pour",
    "inconnu",
]


@pytest.mark.postgres
def test_same_hits_on_both_engines(both_engines: dict[str, sa.Engine]) -> None:
    for engine in both_engines.values():
        for name in NAMES:
            actors.create_actor(db=engine, values=make_actor(name=name, commune_code="59350"))
    for query in QUERIES:
        hits = {
            label: {a["name"] for a in actors.search_actors(db=engine, query=query, limit=50)}
            for label, engine in both_engines.items()
        }
        assert hits["sqlite"] == hits["postgresql"], query
    found = {
        a["name"]
        for a in actors.search_actors(db=both_engines["postgresql"], query="médiation numérique")
    }
    assert found == {
        "Médiation Numerique",
        "médiations numériques",
        "Association de médiation numérique du Nord",
    }
