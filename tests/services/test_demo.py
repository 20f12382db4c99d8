"""The demo database from the shipped open data only (built once, on SQLite); building it
again changes nothing. Both in make test-extended: the build takes about a minute, most of
it identity resolution's 1,847 merges (README, "Test budget")."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from maillage.services.demo import build_demo
from maillage.settings import Settings
from maillage.storage.engine import make_engine
from maillage.web.app import create_app

# A minute per build, most of it identity resolution's merges: make test-extended.
pytestmark = pytest.mark.extended


@pytest.fixture(scope="module")
def demo(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[sa.Engine, dict[str, Any]]:
    """The demo built once for the module: its database and the build's summary."""
    target = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copy(sqlite_template, target)
    db = make_engine(f"sqlite:///{target}")
    return db, build_demo(db=db)


def test_demo_builds_from_shipped_data(demo: tuple[sa.Engine, dict[str, Any]]) -> None:
    db, summary = demo
    by_file = {r["file"]: r for r in summary["imports"]}
    assert by_file["actors.csv + links.csv"]["created"] == 20427 + 121675
    assert by_file["liste-fs-20240801.csv"]["created"] == 2845
    assert by_file["scdl-exemple_valide.csv"]["created"] == 30 + 29
    assert by_file["lieux-cnfs-idf.json"]["created"] == 241
    assert by_file["data.gouv.fr_aife.json"]["rejected"] == 177 + 7  # listed, with reasons
    assert by_file["data.gouv.fr_aife.json"]["issues"] == 185
    assert all(r["status"] == "done" for r in summary["imports"])
    counts = summary["counts"]
    assert set(counts["actors_by_world"]) >= {"academic", "associative", "economic", "public"}
    assert all(n > 100 for w, n in counts["actors_by_world"].items() if w != "unknown")
    # one link per publication: a contract published on two DECP platforms counts twice;
    # a link between two records merged into one actor is gone (49 ANR, 1 contract)
    assert counts["links_by_kind"] == {"funding": 29, "public_contract": 10678,
                                       "research_collaboration": 121626,
                                       "affiliation": 7315, "holding": 1207}  # fmt: skip
    # identity resolution across every source: the sure duplicates merged, the rest queued
    assert summary["resolution"] == {"candidates": 9841, "merged": 2401, "groups": 1847,
                                     "queued": 3827}  # fmt: skip
    relations = summary["relations"]["coverage"]  # places: lieux and France Services
    assert (relations["places"], relations["with_relation"], relations["tied"]) == (
        5942, 5687, 1179)  # fmt: skip
    actors = counts["coverage"]
    assert (actors["actors"], actors["worlds_known"], actors["categories_known"]) == (
        33147, 32529, 29755)  # fmt: skip
    assert (actors["addressed"], actors["placed"], actors["approximate"]) == (15945, 15929, 9991)
    levels = counts["territories_by_level"]
    assert levels["region"] == {"territoires": 18, "avec_acteurs": 18, "besoins": 0}
    assert levels["departement"]["avec_acteurs"] == 101
    needs = summary["needs"]
    assert needs["places"] == relations["places"] == 5942  # the places, once merged
    assert needs["needs"] == levels["commune"]["besoins"] == 3313
    assert needs["rule"]["parameters"]["distance_km"] == 10.0
    _research_layer_off_on_the_nord_page(db)


def test_the_demo_built_again_changes_nothing(demo: tuple[sa.Engine, dict[str, Any]]) -> None:
    db, summary = demo
    counts = summary["counts"]
    again = build_demo(db=db)
    assert sum(r["created"] for r in again["imports"]) == 0
    assert again["resolution"]["merged"] == 0 and again["relations"]["created"] == {}
    assert again["needs"]["created"] == again["needs"]["deleted"] == 0
    assert again["counts"]["links_by_kind"] == counts["links_by_kind"]
    assert sum(again["counts"]["actors_by_world"].values()) == sum(
        counts["actors_by_world"].values()
    )


def _mixing_rows(html: str) -> dict[str, int]:
    """The rows of the "Links between worlds" table of a territory page."""
    table = html.split('id="mixing-title"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r"<tr><td>(.*?)</td><td class=\"number\">([\d\s\u202f\xa0]+)</td></tr>", table
    )
    return {worlds: int(re.sub(r"\D", "", n)) for worlds, n in rows}


def _research_layer_off_on_the_nord_page(db: sa.Engine) -> None:
    """The Nord page: research layer off by default: the contracts of its communes and
    the France services La Poste holds (economic and public), the holders of its places;
    the affiliations of its places to national programmes apart, as a layer (left out of
    the mixing as of every measure); on, the ANR partnerships."""
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False)),
                     engine=db)  # fmt: skip
    with TestClient(app, base_url="http://localhost") as client:
        off = client.get("/territories/DEP:59")
        on = client.get("/territories/DEP:59", params={"research": "true"})
    assert off.status_code == on.status_code == 200
    assert "Afficher la couche recherche" in off.text
    assert _mixing_rows(off.text) == {
        "Associatif / social ↔ Associatif / social": 1,
        "Économique ↔ Public / institutionnel": 117,
        "Public / institutionnel ↔ Public / institutionnel": 16,
    }  # fmt: skip
    layer = re.search(r'id="layer-affiliation">(.*?)</p>', off.text)
    assert layer and "Affiliation à un programme national" in layer[1]
    assert "<strong>180</strong>" in layer[1]
    shown = _mixing_rows(on.text)
    assert "Masquer la couche recherche" in on.text
    assert shown["Académique ↔ Académique"] == 871 and len(shown) == 10
