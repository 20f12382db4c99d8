"""Places a citizen can go to, added to the demo map: three in and around Lille with
their opening hours, phone and e-mail (as the lieux de médiation numérique import
stores them: ``horaires`` in ``extra``), one France Services with hours by day."""

from __future__ import annotations

import sqlalchemy as sa

from maillage.services import actors

PLACES = [
    {
        "name": "Espace numérique Wazemmes",
        "world": "associative",
        "category": "association",
        "address": "12 place de la Nouvelle Aventure",
        "postcode": "59000",
        "commune_code": "59350",
        "latitude": 50.6285,
        "longitude": 3.0495,  # about 0.4 km from Lille's centre
        "phone": "+33320112233",
        "email": "bonjour@wazemmes-numerique.example",
        "themes": ["inclusion-numerique", "demarches-en-ligne"],
        "extra": {
            "horaires": "Mo-Fr 09:00-12:00,14:00-17:30; Sa 10:00-12:00; PH off",
            "prise_en_charge_specifique": "Surdité|Handicaps moteurs",
            "fiche_acces_libre": "https://acceslibre.beta.gouv.fr/app/59-lille/a/espace/erp/x/",
            "frais_a_charge": "Gratuit",
        },
    },
    {
        "name": "Médiathèque Jean Lévy",
        "world": "public",
        "category": "collectivite",
        "address": "32 rue Édouard Delesalle",
        "postcode": "59000",
        "commune_code": "59350",
        "latitude": 50.6335,
        "longitude": 3.0636,  # about 1.1 km
        "phone": "+33320384700",
        "email": "mediatheque@lille.example",
        "themes": ["inclusion-numerique"],
        "extra": {"horaires": "Tu-Sa 10:00-19:00; Su 14:00-18:00"},
    },
    {
        "name": "France Services Roubaix",
        "world": "public",
        "category": "service_de_l_etat",
        "address": "2 rue du Grand Chemin",
        "postcode": "59100",
        "commune_code": "59512",  # no coordinates: at Roubaix's centre, about 10 km
        "phone": "03 20 99 88 77",
        "themes": ["acces-aux-services-publics"],
        "extra": {"horaires": {"lundi": "9h-12h / 13h30-17h", "mercredi": "9h-12h"}},
    },
]


def add_places(db: sa.Engine) -> dict[str, int]:
    """Create :data:`PLACES`; their ids by name."""
    _, ids = actors.create_actors(db=db, rows=[dict(p) for p in PLACES], user="demo")
    return {p["name"]: i for p, i in zip(PLACES, ids, strict=True)}
