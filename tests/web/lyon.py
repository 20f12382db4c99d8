"""A small map around Lyon for the funder's journey, built through the services.

The organisations are fictional (no real body's partnerships are claimed), placed at
real addresses' coordinates of the Métropole de Lyon (EPCI 200046977: its communes and
Lyon's arrondissements) and of Villefranche-sur-Saône, outside it. Eleven links from 2017
to 2023: six between an association and a company inside the Métropole, the others
between other worlds or outside it, so that every filter has something to leave out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from maillage.services import actors, links

METROPOLE = "EPCI:200046977"

# key: name, world, category, commune, latitude, longitude
ACTORS = {
    "passerelles": (
        "Passerelles Numériques Lyon",
        "associative",
        "association",
        "69387",
        45.7485,
        4.8421,
    ),
    "maison": (
        "Maison de la Médiation Villeurbanne",
        "associative",
        "association",
        "69266",
        45.7719,
        4.8902,
    ),
    "ateliers": ("Les Ateliers du Lien", "associative", "association", "69259", 45.6975, 4.8856),
    "fabrique": (
        "Tiers-lieu La Fabrique Croix-Rousse",
        "associative",
        "tiers_lieu",
        "69384",
        45.7788,
        4.8276,
    ),
    "solidarite": (
        "Solidarité Connectée Vaulx",
        "associative",
        "association",
        "69256",
        45.7786,
        4.9215,
    ),
    "conseil": ("Rhône Conseil Informatique", "economic", "entreprise", "69383", 45.7597, 4.8590),
    "reemploi": (
        "Atelier Réemploi Ordinateurs",
        "economic",
        "entreprise",
        "69266",
        45.7660,
        4.8795,
    ),
    "banque": ("Banque Régionale du Lyonnais", "economic", "entreprise", "69382", 45.7578, 4.8320),
    "fibre": ("Fibre Saône Télécom", "economic", "entreprise", "69389", 45.7740, 4.8060),
    "metropole": (
        "Direction de l'insertion (fictive)",
        "public",
        "collectivite",
        "69383",
        45.7601,
        4.8490,
    ),
    "labo": (
        "Laboratoire Usages et Territoires",
        "academic",
        "laboratoire",
        "69387",
        45.7290,
        4.8330,
    ),
    "beaujolais": (
        "Beaujolais Numérique Solidaire",
        "associative",
        "association",
        "69264",
        45.9890,
        4.7186,
    ),
    "imprimerie": ("Imprimerie Caladoise", "economic", "entreprise", "69264", 45.9840, 4.7250),
}

# source, target, kind, start year, end year
LINKS = [
    ("passerelles", "conseil", "partnership", 2017, 2019),
    ("maison", "reemploi", "partnership", 2019, None),
    ("ateliers", "banque", "funding", 2020, 2021),
    ("fabrique", "fibre", "partnership", 2021, None),
    ("solidarite", "reemploi", "exchange_of_practice", 2022, None),
    ("passerelles", "banque", "funding", 2023, None),
    ("passerelles", "metropole", "funding", 2018, None),  # association - public
    ("maison", "ateliers", "exchange_of_practice", 2019, None),  # two associations
    ("conseil", "fibre", "partnership", 2020, None),  # two companies
    ("labo", "fabrique", "research_collaboration", 2021, None),  # lab - association
    ("beaujolais", "imprimerie", "partnership", 2020, None),  # outside the Métropole
]
PAIR_LINKS = 6  # association - company inside the Métropole
PAIR_ACTORS = 9  # the five associations and four companies holding them


@dataclass
class Lyon:
    """Ids of what was built, by key."""

    ids: dict[str, int] = field(default_factory=dict)
    link_ids: list[int] = field(default_factory=list)


def build(db: sa.Engine) -> Lyon:
    """Create the map in ``db`` (a migrated database) and return its ids."""
    keys = list(ACTORS)
    rows = [
        {
            "name": name,
            "world": world,
            "category": category,
            "commune_code": commune,
            "latitude": lat,
            "longitude": lon,
            "themes": ["inclusion-numerique"],
            "description": "Organisation fictive du jeu d'essai lyonnais.",
        }
        for name, world, category, commune, lat, lon in ACTORS.values()
    ]
    _, ids = actors.create_actors(db=db, rows=rows, user="test")
    lyon = Lyon(ids=dict(zip(keys, ids, strict=True)))
    for source, target, kind, start, end in LINKS:
        values = {
            "source_id": lyon.ids[source],
            "target_id": lyon.ids[target],
            "kind": kind,
            "start_date": dt.date(start, 3, 1),
            "end_date": dt.date(end, 12, 31) if end else None,
        }
        lyon.link_ids.append(links.create_link(db=db, values=values, user="test")["id"])
    return lyon


def active_in(year: int) -> list[tuple[str, str, str, int, int | None]]:
    """The association - company links of the Métropole active in ``year``."""
    return [
        row for row in LINKS[:PAIR_LINKS] if row[3] <= year and (row[4] is None or row[4] >= year)
    ]
