"""France Services and labelled places get the themes their national label implies.

Exact counts on the real rows of the shipped files: the August 2024 France Services
list, and the ``labels_nationaux`` (v0 exports) or ``dispositif_programmes_nationaux``
(schema v1.0.2) of the lieux de médiation numérique. Each actor given a theme so says
by which rule (``extra["themes_rule"]``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_csv, read_lieux_json
from maillage.model.records import ActorRecord

SERVICES, ONLINE, MEDIATION = (
    "acces-aux-services-publics",
    "demarches-en-ligne",
    "mediation-numerique",
)
LIEUX = Path("mediation-numerique/cartographie-nationale")


def _count(actors: list[ActorRecord]) -> dict[str, int]:
    found = Counter(t for a in actors for t in a.themes if t in (SERVICES, ONLINE, MEDIATION))
    return dict(found)


def test_every_france_services_site_gets_access_to_public_services_and_online_procedures(
    data_dir: Path,
) -> None:
    result = read_france_services(data_dir / "france-services/liste-fs-20240801.csv")
    assert len(result.actors) == 2845
    assert Counter(tuple(a.themes) for a in result.actors) == {(SERVICES, ONLINE): 2845}
    assert {a.extra["themes_rule"] for a in result.actors} == {
        "liste France Services (labels-nationaux) : France Services → "
        "acces-aux-services-publics, demarches-en-ligne"
    }


@pytest.mark.parametrize(
    ("name", "places", "expected"),
    [
        # 264 CNFS, 118 France Services, 89 both
        ("20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json",
         646, {MEDIATION: 353, SERVICES: 207, ONLINE: 207}),
        # 109 CNFS; 83 France Services and 68 Aidants Connect, 4 both
        ("20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json",
         188, {MEDIATION: 109, SERVICES: 83, ONLINE: 147}),
        # every bus is CNFS, France Services and APTIC
        ("20231003-bus-france-services-en-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json",
         12, {MEDIATION: 12, SERVICES: 12, ONLINE: 12}),
        # no national label in the Nouvelle-Calédonie export
        ("20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json",
         90, {}),
        # 2 731 CNFS; 659 France Services and 171 Aidants Connect, 51 both
        ("lieux-de-mediation-numerique.cnfs.json", 2731,
         {MEDIATION: 2731, SERVICES: 659, ONLINE: 779}),
    ],
)  # fmt: skip
def test_labelled_places_get_the_themes_of_their_labels(
    data_dir: Path, name: str, places: int, expected: dict[str, int]
) -> None:
    actors = read_lieux_json(data_dir / LIEUX / name).actors
    assert len(actors) == places
    assert _count(actors) == expected
    ruled = [a for a in actors if "themes_rule" in a.extra]
    assert len(ruled) == sum(1 for a in actors if set(a.themes) & {SERVICES, ONLINE, MEDIATION})
    assert all(a.extra["themes_rule"].startswith("labels_nationaux (labels-nationaux) : ")
               for a in ruled)  # fmt: skip


def test_the_schema_v1_field_names_the_programmes(data_dir: Path) -> None:
    (place,) = read_lieux_csv(data_dir / "mediation-numerique/schema/exemple-valide.csv").actors
    assert place.extra["dispositif_programmes_nationaux"] == (
        "Aidants Connect|Conseillers numériques|La Croix Rouge"
    )
    assert place.themes[-2:] == [ONLINE, MEDIATION]
    assert place.extra["themes_rule"] == (
        "dispositif_programmes_nationaux (labels-nationaux) : Aidants Connect → "
        "demarches-en-ligne ; Conseillers numériques → mediation-numerique"
    )  # La Croix Rouge implies no service: it adds nothing
