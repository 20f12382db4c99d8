"""A rural corner of the Avesnois for the first kilometre: places around Solre-le-Château
(postcode 59740, shared by thirteen communes), actors of every world in Nord and one in
Pas-de-Calais, resources and webinars of the observatory on digital inclusion and on
culture. Shared by the services, portal and browser tests."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from maillage.io.resources import ResourceRecord
from maillage.services import actors
from maillage.services.resources import store_records

TODAY = dt.date(2026, 12, 7)
THEME = "inclusion-numerique"

ACTORS = [
    # places to go to (a point and opening hours)
    {"name": "France Services Solre-le-Château", "world": "public", "category": "service_de_l_etat",
     "commune_code": "59572", "latitude": 50.1741, "longitude": 4.0890,
     "themes": [THEME, "demarches-en-ligne"], "extra": {"horaires": "Mo-Fr 09:00-12:00"}},
    {"name": "Médiathèque d'Avesnes", "world": "public", "category": "collectivite",
     "commune_code": "59036", "latitude": 50.1243, "longitude": 3.9275, "themes": ["culture"],
     "extra": {"horaires": "We 14:00-18:00; Sa 10:00-12:00"}},
    # associations: the visitor's own world, never an ally
    {"name": "Foyer rural de Felleries", "world": "associative", "category": "association",
     "commune_code": "59226", "themes": [THEME]},
    # allies: other worlds, on the theme, in Nord
    {"name": "Imprimerie Sambre Avenir", "world": "economic", "category": "entreprise",
     "commune_code": "59392", "themes": [THEME, "emploi-insertion"]},
    {"name": "Laboratoire des usages numériques", "world": "academic", "category": "laboratoire",
     "commune_code": "59350", "themes": ["mediation-numerique"]},
    # not allies: another theme; another département
    {"name": "Brasserie de Feignies", "world": "economic", "category": "entreprise",
     "commune_code": "59225", "themes": ["alimentation"]},
    {"name": "Atelier numérique d'Arras", "world": "economic", "category": "entreprise",
     "commune_code": "62041", "themes": [THEME]},
]  # fmt: skip


def resources(today: dt.date) -> list[ResourceRecord]:
    """The resources, the webinars dated from ``today``."""
    return [
        ResourceRecord(type="guide", title="Guide de l'inclusion numérique en Avesnois",
                       date=dt.date(2024, 3, 1), themes=[THEME], territories=["DEP:59"],
                       source="first-km-test", source_ref="guide"),
        ResourceRecord(type="study", title="Étude nationale sur la médiation numérique",
                       date=dt.date(2025, 5, 1), themes=[THEME], source="first-km-test",
                       source_ref="study"),
        ResourceRecord(type="guide", title="Guide des saisons culturelles", date=dt.date(2025, 1, 1),
                       themes=["culture"], source="first-km-test", source_ref="culture"),
        ResourceRecord(type="webinar", title="Webinaire : l'aidant numérique en milieu rural",
                       date=today + dt.timedelta(days=30), themes=[THEME],
                       speakers=["Claire Martin"], source="first-km-test", source_ref="w-next"),
        ResourceRecord(type="webinar", title="Webinaire : culture et ruralité",
                       date=today + dt.timedelta(days=10), themes=["culture"],
                       source="first-km-test", source_ref="w-culture"),
        ResourceRecord(type="webinar", title="Webinaire passé sur l'inclusion numérique",
                       date=today - dt.timedelta(days=30), themes=[THEME], source="first-km-test",
                       source_ref="w-past"),
    ]  # fmt: skip


def build(db: sa.Engine, today: dt.date = TODAY) -> dict[str, int]:
    """Create the actors and the resources (the webinars dated from ``today``); the
    actors' ids by name."""
    _, ids = actors.create_actors(db=db, rows=[dict(a) for a in ACTORS], user="demo")
    store_records(db=db, records=resources(today), user="demo", source="first-km-test")
    return {a["name"]: i for a, i in zip(ACTORS, ids, strict=True)}
