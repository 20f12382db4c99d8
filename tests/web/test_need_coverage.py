"""A need's coverage is the same on the territory page, in ``maillage analyse`` and in
``maillage recommend territory``, on real rows.

The 188 places of the Charente national-map export (July 2023) and the 35 France Services
sites of Charente in the August 2024 list, then the computed digital-inclusion needs
(communes more than 10 km from every one of them). Montrollet (COM:16231, 323
inhabitants) is 17.4 km from the nearest: the need's own description says so, and the
five nearest places below were checked against the coordinates of the files. None of the
223 places acts on Montrollet (each reaches its own commune), so before this the page said
"0 acteurs sur le thème" and nothing else. One network (created here: the shipped files
declare no territory of action beyond the place's own) acts on the whole département
from Bordeaux on a theme under digital inclusion: it acts on Montrollet, whatever the
distance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import unescape
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from portal_support import make_client

from builders import make_actor
from maillage.cli.main import cli
from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_json
from maillage.services import actors, importing
from maillage.services.analysis import analyse_map, recommend_territory
from maillage.services.graph_filter import GraphFilter
from maillage.services.needs import compute_distance_needs
from maillage.services.portal.territory import territory_page

CHARENTE = "mediation-numerique/cartographie-nationale/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json"  # noqa: E501
MONTROLLET = "COM:16231"
NETWORK = "Hub du numérique inclusif Nouvelle-Aquitaine"
NEAREST = [
    ("CIAS de Charente-Limousine", 17.4),
    ("CENTRE SOCIO CULTUREL DU CONFOLENTAIS", 17.5),
    ("Territoire d'action sociale Charente limousine", 17.6),
    ("Chambre d'agriculture de la Charente Bureau décentralisé Charente Limousine", 17.6),
    ("Centre d'Etude pour le Développement, l'Insertion et la Formation", 17.7),
]


def _load(db: sa.Engine, data_dir: Path) -> None:
    places = read_lieux_json(data_dir / CHARENTE).actors
    sites = read_france_services(data_dir / "france-services/liste-fs-20240801.csv").actors
    charente = [a for a in sites if a.territories == ["DEP:16"]]
    assert (len(places), len(charente)) == (188, 35)
    for source, rows in (("cartographie-nationale", places), ("france-services", charente)):
        report = importing.import_records(db=db, kind="lieux", source=source, actor_records=rows)
        assert report.status == "done"
    actors.create_actor(
        db=db,
        values=make_actor(
            name=NETWORK,
            commune_code="33063",
            territories=["DEP:16"],
            themes=["mediation-numerique"],
        ),
    )
    assert compute_distance_needs(db=db)["places"] == 223


def _figures(cell: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a reader sees of a need's coverage (a page's need or a coverage cell)."""
    return (
        [(p["name"], p["distance_km"]) for p in cell["nearest"]],
        cell["places_within_reach"],
        cell.get("actors_on_theme", cell.get("actors")),
        cell["actor_names"],
        cell["departement_actors"],
    )


def _text(html: str, marker: str) -> str:
    """The text of the table row of the page that holds ``marker``."""
    row = next(r for r in html.split("<tr>") if marker in r)
    inline = re.sub(r"</?(?:a|strong|span)\b[^>]*>", "", row)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", inline)))


def test_a_need_has_the_same_coverage_on_every_surface(db: sa.Engine, data_dir: Path) -> None:
    _load(db, data_dir)
    expected = (NEAREST, 0, 1, [NETWORK], 188 + 35 + 1)
    recommended = recommend_territory(db=db, code=MONTROLLET)["coverage"]["cells"]
    analysed = analyse_map(db=db, flt=GraphFilter(territory=MONTROLLET))["coverage"]["cells"]
    assert [(c["territory"], c["theme"]) for c in recommended] == [
        (MONTROLLET, "inclusion-numerique")
    ]
    assert _figures(recommended[0]) == _figures(analysed[0]) == expected
    assert not recommended[0]["white_zone"]  # the network acts there
    charente = analyse_map(db=db, flt=GraphFilter(territory="DEP:16"))["coverage"]["cells"]
    page = territory_page(db=db, key="DEP:16")
    on_page = {n["territory_code"]: n for n in page["needs"]}
    assert set(on_page) == {c["territory"] for c in charente}  # the 14 needs of Charente
    for cell in charente:
        assert _figures(on_page[cell["territory"]]) == _figures(cell), cell["territory"]
    assert _figures(territory_page(db=db, key=MONTROLLET)["needs"][0]) == expected
    assert "17,4 km du lieu" in on_page[MONTROLLET]["description"]

    url = db.url.render_as_string(hide_password=False)
    nearest_fr = ", ".join(f"{name} ({str(km).replace('.', ',')} km)" for name, km in NEAREST)
    nearest_en = ", ".join(f"{name} ({km} km)" for name, km in NEAREST)
    for command in (["analyse", "--territory", MONTROLLET], ["recommend", "territory", MONTROLLET]):
        french = CliRunner().invoke(cli, [*command, "--db", url], catch_exceptions=False).stdout
        assert (
            f"- {MONTROLLET} / inclusion-numerique : 1 besoin, 1 acteur du thème qui y agit "
            "(224 dans le département), 0 solution, 0 lieu à moins de 10 km\n"
            f"  lieux les plus proches : {nearest_fr}\n"
            f"  acteurs qui y agissent : {NETWORK}\n"
        ) in french, command
        english = CliRunner().invoke(cli, [*command, "--db", url, "--lang", "en"]).stdout
        assert (
            f"- {MONTROLLET} / inclusion-numerique: 1 need, 1 actor of the theme acting there "
            "(224 in the département), 0 solutions, 0 places within 10 km\n"
            f"  nearest places: {nearest_en}\n"
            f"  actors acting there: {NETWORK}\n"
        ) in english, command

    with make_client(db) as client:
        french = _text(client.get("/territories/DEP:16").text, "Montrollet")
        english = _text(client.get("/territories/DEP:16?lang=en").text, "Montrollet")
    assert (
        " ".join(f"{name} : {str(km).replace('.', ',')} km" for name, km in NEAREST)
        + f" 0 lieu à moins de 10 km 1 acteur : {NETWORK} 224 acteurs du thème dans le département"
    ) in french.replace("\u00a0", " ")
    assert (
        " ".join(f"{name}: {km} km" for name, km in NEAREST)
        + f" 0 places within 10 km 1 actor: {NETWORK} 224 actors of the theme in the département"
    ) in english
