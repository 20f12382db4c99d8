"""A small map built through the services: 40 actors in Nord and Pas-de-Calais, 60 links.

Deterministic (seeded); shared by the TestClient and the browser tests.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from maillage.services import actors, links
from maillage.storage.engine import transaction
from maillage.storage.tables import indicator, need

CATEGORIES = {
    "economic": ["entreprise", "organisme_de_formation"],
    "associative": ["association", "tiers_lieu", "fondation"],
    "public": ["collectivite", "service_de_l_etat"],
    "academic": ["universite", "laboratoire"],
}
COMMUNES = {"59": ["59350", "59512", "59599", "59178"], "62": ["62041", "62193", "62498"]}
THEMES = ["inclusion-numerique", "mediation-numerique", "emploi-insertion", "education-jeunesse"]
KINDS = [
    "partnership",
    "funding",
    "joint_project",
    "exchange_of_practice",
    "research_collaboration",
]
NAMES = [
    "Médiation",
    "Numérique",
    "Solidaire",
    "Tiers-lieu",
    "Emploi",
    "Savoirs",
    "Réseau",
    "Avenir",
]


@dataclass
class Demo:
    """Ids of what was built, by département."""

    actor_ids: list[int] = field(default_factory=list)
    link_ids: list[int] = field(default_factory=list)
    by_departement: dict[str, list[int]] = field(default_factory=dict)
    named: dict[str, int] = field(default_factory=dict)


def _actor(rng: random.Random, i: int, dep: str) -> dict[str, object]:
    world = ["economic", "associative", "public", "academic"][i % 4]
    name = f"{rng.choice(NAMES)} {rng.choice(NAMES).lower()} {dep}-{i}"
    return {
        "name": name,
        "world": world,
        "category": rng.choice(CATEGORIES[world]),
        "commune_code": rng.choice(COMMUNES[dep]),
        "description": f"Acteur {world} de démonstration qui agit pour la médiation numérique ({i}).",
        "themes": rng.sample(THEMES, 2),
    }


def build(db: sa.Engine, *, per_departement: int = 20, links_count: int = 60) -> Demo:
    """Create the demo map in ``db`` (a migrated database) and return its ids."""
    rng = random.Random(42)
    demo = Demo()
    for dep in ("59", "62"):
        rows = [_actor(rng, i, dep) for i in range(per_departement)]
        if dep == "59":
            rows[0].update(name="Emmaüs Connect Lille", world="associative", category="association")
        _, ids = actors.create_actors(db=db, rows=rows, user="demo")
        demo.by_departement[dep] = ids
        demo.actor_ids += ids
    demo.named["emmaus"] = demo.by_departement["59"][0]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < links_count:
        a, b = rng.sample(demo.actor_ids, 2)
        pairs.add((min(a, b), max(a, b)))
    for n, (a, b) in enumerate(sorted(pairs)):
        start = dt.date(2016 + n % 9, 1 + n % 12, 1)
        values = {
            "source_id": a,
            "target_id": b,
            "kind": KINDS[n % len(KINDS)],
            "start_date": start,
        }
        if n % 7 == 0:
            values["evidence"] = "Convention de partenariat signée"
            values["evidence_url"] = "https://example.org/convention"
        demo.link_ids.append(links.create_link(db=db, values=values, user="demo")["id"])
    _needs_and_indicators(db)
    return demo


NEEDS = [
    (
        "inclusion-numerique",
        ["seniors"],
        "Accompagner les seniors vers les démarches en ligne",
        3,
        "qualified",
    ),
    ("mobilite", ["jeunes"], "Mobilité des jeunes en zone rurale", 2, "observed"),
]
INDICATORS = [("DEP:59", 6.1), ("DEP:62", 6.8)]


def _needs_and_indicators(db: sa.Engine) -> None:
    now = dt.datetime.now(dt.UTC)
    stamp = {"version": 1, "created_at": now, "updated_at": now}
    needs = [
        {
            "territory_code": "DEP:59",
            "theme": theme,
            "publics": publics,
            "description": text,
            "severity": severity,
            "status": status,
            **stamp,
        }
        for theme, publics, text, severity, status in NEEDS
    ]
    values = [
        {
            "territory_code": code,
            "key": "ifn",
            "value": value,
            "year": 2024,
            "unit": "1-10",
            **stamp,
        }
        for code, value in INDICATORS
    ]
    with transaction(db) as conn:
        conn.execute(sa.insert(need), needs)
        conn.execute(sa.insert(indicator), values)
