"""The relation rules read from the places' own fields, on every shipped file.

Counts on the real rows of each lieux export and of the France Services list (August
2024): the programme labels give affiliations, every France Services site is affiliated
and dated by its labelling, and a site's name gives its carrier only where it says so.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from maillage.io.france_services import (
    CarrierClaim,
    affiliation,
    carrier_claim,
    read_france_services,
)
from maillage.io.mediation import affiliations, read_lieux_json

LIEUX = "mediation-numerique/cartographie-nationale"


@pytest.mark.parametrize(
    ("name", "places", "programmes", "without"),
    [
        ("20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json",
         646, {"conseillers-numeriques": 353, "france-services": 207}, 175),
        ("20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json", 188,
         {"conseillers-numeriques": 109, "france-services": 83, "aidants-connect": 68}, 6),
        ("20231003-bus-france-services-en-charente-lieux-de-mediation-numeriques-nouvelle-"
         "aquitaine.json", 12,
         {"conseillers-numeriques": 12, "france-services": 12, "pass-numerique": 12}, 0),
        ("20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json",
         90, {}, 90),
        ("lieux-cnfs-idf.json", 241,
         {"conseillers-numeriques": 241, "france-services": 36, "aidants-connect": 9}, 0),
        ("lieux-de-mediation-numerique.cnfs.json", 2731,
         {"conseillers-numeriques": 2731, "aidants-connect": 171, "france-services": 659}, 0),
    ],
)  # fmt: skip
def test_programme_labels_give_affiliations(
    data_dir: Path, name: str, places: int, programmes: dict[str, int], without: int
) -> None:
    actors = read_lieux_json(data_dir / LIEUX / name).actors
    found = [affiliations(a.extra) for a in actors]
    assert len(actors) == places
    assert Counter(x.programme for f in found for x in f) == programmes
    assert sum(not f for f in found) == without  # no label: no affiliation, reported
    assert all(x.date is None for f in found for x in f)  # the lieux files date no label


def test_a_label_naming_no_known_programme_is_kept_apart() -> None:
    found = affiliations({"dispositif_programmes_nationaux": "France Services|Promeneurs du net"})
    assert [(a.programme, a.label) for a in found] == [
        ("france-services", "France Services"),
        (None, "Promeneurs du net"),
    ]
    assert [a.programme for a in affiliations({"labels_nationaux": "CNFS, APTIC"})] == [
        "conseillers-numeriques",
        "pass-numerique",
    ]


def test_every_france_services_site_is_affiliated_and_dated(data_dir: Path) -> None:
    sites = read_france_services(data_dir / "france-services/liste-fs-20240801.csv").actors
    found = [affiliation(a.extra) for a in sites]
    assert len(found) == 2845
    assert {a.programme for a in found} == {"france-services"}
    assert sum(a.date is not None for a in found) == 2845
    first = found[0]  # « France services de Valserhône », Espace labellisé 01/01/2020
    assert (first.field, first.label, first.date) == (
        "labellisation_fs",
        "Espace labellisé 01/01/2020",
        "2020-01-01",
    )


def test_a_carrier_is_read_from_the_name_only_where_it_says_so(data_dir: Path) -> None:
    sites = read_france_services(data_dir / "france-services/liste-fs-20240801.csv").actors
    claims = [carrier_claim(a.name, a.extra) for a in sites]
    counts = Counter(
        (c.kind, c.value if c.kind in ("national", "unidentified") else "") if c else None
        for c in claims
    )
    assert counts == {
        None: 2168,  # the list does not say
        ("national", "la-poste"): 409,
        ("national", "msa"): 9,
        ("epci", ""): 53,
        ("commune", ""): 6,
        ("here", ""): 1,  # « France services Mairie Mobile de Paris »: Paris, where it is
        ("unidentified", "groupe"): 141,
        ("unidentified", "centre social"): 25,
        ("unidentified", "sous-préfecture"): 11,
        ("unidentified", "Maison du département"): 10,
        ("unidentified", "association"): 7,
        ("unidentified", "CCAS / CIAS"): 5,
    }
    by_name = {a.name: c for a, c in zip(sites, claims, strict=True)}
    seclin = by_name["France services Mairie de Seclin"]
    assert seclin is not None and (seclin.kind, seclin.value) == ("commune", "Seclin")
    cc = by_name["France services Auterive - CC Bassin Auterivain"]
    assert cc is not None and (cc.kind, cc.value) == ("epci", "CC Bassin Auterivain")
    vezins = by_name["France services Mairie de Vezins de Lévézou"]
    assert vezins is not None and vezins.value == "Vezins de Lévézou"
    assert carrier_claim("Mairie de Saint-Fort-Sur-Le-Né - Espace numérique", {}, "nom") == (
        CarrierClaim("commune", "Saint-Fort-Sur-Le-Né", "nom « Mairie de Saint-Fort-Sur-Le-Né »")
    )
    here = carrier_claim("Agence postale communale", {}, "nom")
    assert here is not None and here.kind == "here"
    ccas = by_name["France services CCAS de Migennes"]  # a public body of its own
    assert ccas is not None and ccas.kind == "unidentified"
