"""The demo database from the shipped open data only (built once, on SQLite)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from maillage.services.demo import build_demo
from maillage.settings import Settings
from maillage.storage.engine import make_engine
from maillage.web.app import create_app


def test_demo_builds_from_shipped_data_and_runs_again(
    sqlite_template: Path, tmp_path: Path
) -> None:
    target = tmp_path / "demo.sqlite"
    shutil.copy(sqlite_template, target)
    db = make_engine(f"sqlite:///{target}")
    summary = build_demo(db=db)
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
    # one link per publication: a contract published on two DECP platforms counts twice
    assert counts["links_by_kind"] == {"funding": 29, "public_contract": 10679,
                                       "research_collaboration": 121675,
                                       "affiliation": 7315, "holding": 1214}  # fmt: skip
    relations = summary["relations"]["coverage"]  # places: lieux and France Services
    assert (relations["places"], relations["with_relation"], relations["tied"]) == (
        6561, 6290, 1228)  # fmt: skip
    levels = counts["territories_by_level"]
    assert levels["region"] == {"territoires": 18, "avec_acteurs": 18, "besoins": 0}
    assert levels["departement"]["avec_acteurs"] == 101
    needs = summary["needs"]
    assert needs["places"] > 6000 and needs["needs"] == levels["commune"]["besoins"] > 1000
    assert needs["rule"]["parameters"]["distance_km"] == 10.0
    _research_layer_off_on_the_nord_page(db)
    again = build_demo(db=db)
    assert sum(r["created"] for r in again["imports"]) == 0
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
    """The Nord page: research layer off by default, links between four pairs of worlds
    (grants, contracts, holders, affiliations of its places); on, the ANR partnerships."""
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False)),
                     engine=db)  # fmt: skip
    with TestClient(app, base_url="http://localhost") as client:
        off = client.get("/territories/DEP:59")
        on = client.get("/territories/DEP:59", params={"research": "true"})
    assert off.status_code == on.status_code == 200
    assert "Afficher la couche recherche" in off.text
    assert _mixing_rows(off.text) == {
        "Associatif / social ↔ Public / institutionnel": 42,
        "Économique ↔ Public / institutionnel": 116,
        "Public / institutionnel ↔ Public / institutionnel": 155,
        "Public / institutionnel ↔ Non renseigné": 9,
    }  # fmt: skip
    shown = _mixing_rows(on.text)
    assert "Masquer la couche recherche" in on.text
    assert shown["Académique ↔ Académique"] == 874 and len(shown) == 10
