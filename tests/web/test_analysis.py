"""The real analysis behind the pages: recommended partners with their reasons on the
actor page, recommendations and measures on the territory page, on both engines."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from demo import Demo
from fastapi.testclient import TestClient
from htmlcheck import Page
from portal_support import make_client

from maillage.recommend.store import ModelStore
from maillage.services import links
from maillage.services.analysis import model_store
from maillage.services.portal import providers as portal_providers
from maillage.services.portal.providers import Analysis, Pending
from maillage.web.providers import analysis_providers


def settled(client: TestClient, url: str, tries: int = 60) -> Page:
    """The analysis fragment once computed (it says pending while the model fits)."""
    for _ in range(tries):
        response = client.get(url)
        assert response.status_code == 200, response.text[:300]
        fragment = Page(response.text)
        if fragment.find("div", id="analysis", **{"data-state": "ready"}):
            return fragment
        assert fragment.find("div", id="analysis")[0]["hx-trigger"] == "load delay:3s"
        time.sleep(0.5)
    raise AssertionError(f"{url} still pending")


def test_actor_and_territory_pages_show_the_analysis(db: sa.Engine, demo_map: Demo) -> None:
    actor_id = demo_map.named["emmaus"]
    with make_client(db, analysis_providers(Analysis(wait=5))) as client:
        actor = Page(client.get(f"/actors/{actor_id}").text)
        block = actor.find("div", id="analysis")[0]
        fragment = settled(client, block["hx-get"])
        assert "Partenaires recommandés" in fragment.text
        partners = [a for a in fragment.find("a") if "/actors/" in a.get("href", "")]
        assert partners, fragment.text[:500]
        reasons = fragment.find("ul", class_="recommendations")[0]
        assert reasons and "<li>" in str(client.get(block["hx-get"]).text)
        assert "Intermédiarité" in fragment.text or "Betweenness" in fragment.text
        # labelled rank, the roles one by one, a heading apart from the page's own measures
        assert "Mesures du réseau" in fragment.text and re.search(
            r"rang [\d  ]+ sur 40", fragment.text
        )
        assert "coordinateur" in fragment.text and "passeur" in fragment.text
        nord = Page(client.get("/territories/DEP:59").text)
        fragment = settled(client, nord.find("div", id="analysis")[0]["hx-get"])
        assert "Recommandations" in fragment.text and "Assortativité" in fragment.text
        data = client.get("/api/territories/Nord/analysis").json()
        assert data["status"] == "ready"
        pair = next(r for r in data["recommendations"] if "source" in r)
        assert {pair["source"]["actor_id"], pair["target"]["actor_id"]} <= set(demo_map.actor_ids)
        assert pair["reasons"]

        english = client.get(f"/api/actors/{actor_id}/analysis?lang=en").json()
        assert english["status"] == "ready"
        first = english["recommendations"][0]
        assert first["actor_id"] in demo_map.actor_ids and first["reasons"]
        assert all(isinstance(r, str) and r for r in first["reasons"])
        assert {m["code"] for m in english["measures"]} >= {"betweenness", "brokerage"}
        # the demo's themes are taxonomy codes: the reasons give their labels
        said = " ".join(r for rec in english["recommendations"] for r in rec["reasons"])
        assert "inclusion-numerique" not in said and "mediation-numerique" not in said
        # a région holds the actors of its départements: its analysis is not empty
        region = settled(client, "/territories/REG:32/analysis?lang=fr")
        assert "Assortativité" in region.text and "Recommandations" in region.text
        missing = client.get("/api/actors/99999999/analysis")
        assert missing.status_code == 404 and missing.json()["message_en"].startswith("Not found")


def test_the_analysis_follows_the_data_and_never_blocks(db: sa.Engine, demo_map: Demo) -> None:
    analysis = Analysis(wait=5)
    actor_id = demo_map.named["emmaus"]
    before = analysis.actor_recommendations(db, actor_id, "fr")
    state = analysis.loaded(db)
    assert analysis.loaded(db) is state  # kept while the map does not change
    partner = before[0]["actor_id"]
    links.create_link(
        db=db,
        values={"source_id": actor_id, "target_id": partner, "kind": "partnership"},
        user="test",
    )
    after = analysis.actor_recommendations(db, actor_id, "fr")
    assert analysis.loaded(db) is not state  # a write moves the version: loaded again
    for _ in range(200):  # the previous answer, said to be older, until the new one is there
        if not after.fresher:
            break
        assert after == before
        time.sleep(0.1)
        after = analysis.actor_recommendations(db, actor_id, "fr")
    assert partner not in {r["actor_id"] for r in after}  # now a partner, not a proposal
    impatient = Analysis(wait=0)
    with pytest.raises(Pending):  # the model is being fitted in the background
        impatient.actor_recommendations(db, actor_id, "fr")
    impatient.close()
    analysis.close()
    assert portal_providers.SOLUTION_REASON["en"].endswith("%s")


def test_the_page_and_its_json_twin_do_not_wait_for_the_analysis(
    db: sa.Engine, demo_map: Demo
) -> None:
    with make_client(db, analysis_providers(Analysis(wait=0))) as client:
        assert client.get(f"/api/actors/{demo_map.named['emmaus']}").json()["analysis_url"]
        assert (
            client.get("/api/territories/DEP:62")
            .json()["analysis_url"]
            .endswith("/api/territories/DEP:62/analysis")
        )
    with make_client(db) as client:  # no provider: no block, no URL
        assert client.get("/api/territories/DEP:62").json()["analysis_url"] is None


def test_a_restarted_portal_reads_its_model_back(
    db: sa.Engine, demo_map: Demo, model_cache: Path
) -> None:
    hooks = analysis_providers()  # what `maillage serve` plugs in
    assert hooks.actor_recommendations.__self__.store == ModelStore(model_cache)
    hooks.actor_recommendations.__self__.close()
    actor_id = demo_map.named["emmaus"]
    first = Analysis(wait=60, store=model_store())
    expected = first.actor_recommendations(db, actor_id, "fr")
    first.close()
    stored = list(model_cache.glob("*.npz"))
    assert expected and len(stored) == 1
    inode = stored[0].stat().st_ino
    restarted = Analysis(wait=60, store=model_store())
    assert restarted.actor_recommendations(db, actor_id, "fr") == expected
    assert stored[0].stat().st_ino == inode  # read back, not fitted again
    restarted.close()
