"""Never waiting on a model: the portal computes its analysis in the background at start
and after each write, keeps it on disk, shows its age and says when a fresher one is
coming or when it failed, on both engines."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import sqlalchemy as sa
from demo import Demo
from fastapi.testclient import TestClient
from htmlcheck import Page
from portal_support import make_client

from maillage.services import links
from maillage.services.analysis import model_store
from maillage.services.portal import providers as portal_providers
from maillage.services.portal.providers import Analysis
from maillage.web.providers import analysis_providers

NORD = "DEP:59"


def analysis_done(client: TestClient, tries: int = 600) -> dict[str, Any]:
    """The analysis state of /healthz once the background computation is done."""
    for _ in range(tries):
        state: dict[str, Any] = client.get("/healthz").json()["analysis"]
        assert state["failed"] is None, state
        if state["done"]:
            return state
        time.sleep(0.2)
    raise AssertionError("the background analysis never completed")


def fragment(client: TestClient, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    return Page(response.text)


def block(page: Page) -> Any:
    return page.find("div", id="analysis")[0]


def partners(data: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [
        (r["source"]["actor_id"], r["target"]["actor_id"])
        for r in data["recommendations"]
        if "source" in r
    ]


def test_the_analysis_is_computed_at_start_without_any_question(
    db: sa.Engine, demo_map: Demo
) -> None:
    # wait=0: a question never computes anything itself; only the background does
    analysis = Analysis(wait=0, store=model_store())
    with make_client(db, analysis_providers(analysis)) as client:
        state = analysis_done(client)  # no analysis question asked yet
        assert state["computations"] == 1 and not state["restored"]
        data = client.get(f"/api/territories/{NORD}/analysis?lang=fr").json()
        assert data["status"] == "ready" and partners(data) and data["measures"]
        assert data["fresher"] is False and data["update_failed"] is False
        computed = dt.datetime.fromisoformat(data["computed_at"])
        assert computed <= dt.datetime.now(dt.UTC)
        assert data["age"].startswith("il y a")
        english = client.get(f"/api/territories/{NORD}/analysis?lang=en").json()
        assert english["status"] == "ready" and english["age"].endswith("ago")
        # the brokers table and the alliances of the Nord's white zones too
        brokers = client.get(f"/api/territories/{NORD}/brokers").json()
        assert brokers["brokers"]["status"] == "ready" and brokers["brokers"]["rows"]
        assert brokers["proposals"]["status"] == "ready"
        assert brokers["brokers"]["computed_at"] is not None
        # the page's block says when, in words
        page = fragment(client, f"/territories/{NORD}/analysis?lang=fr")
        assert block(page)["data-state"] == "ready"
        assert "Calculé il y a" in page.text and "plus récente" not in page.text
        assert "computed" in fragment(client, f"/territories/{NORD}/analysis?lang=en").text.lower()
        # the actor measures of the whole map were computed in the background as well
        actor = client.get(f"/api/actors/{demo_map.named['emmaus']}/analysis").json()
        assert {m["code"] for m in actor["measures"]} >= {"betweenness", "brokerage"}
        assert analysis.computations == 1  # nothing computed again by the questions


def test_after_a_write_the_previous_answers_are_served_until_the_new_ones(
    db: sa.Engine, demo_map: Demo
) -> None:
    analysis = Analysis(wait=0, store=model_store())
    with make_client(db, analysis_providers(analysis)) as client:
        analysis_done(client)
        before = client.get(f"/api/territories/{NORD}/analysis").json()
        pair = partners(before)[0]
        with analysis.held():  # the new computation cannot run yet
            links.create_link(
                db=db,
                values={"source_id": pair[0], "target_id": pair[1], "kind": "partnership"},
                user="test",
            )
            stale = client.get(f"/api/territories/{NORD}/analysis").json()
            assert stale["status"] == "ready" and stale["fresher"] is True
            assert stale["computed_at"] == before["computed_at"]  # the same, said older
            assert stale["recommendations"] == before["recommendations"]
            page = fragment(client, f"/territories/{NORD}/analysis?lang=fr")
            shown = block(page)
            assert shown["data-state"] == "ready" and shown["data-fresher"] == "true"
            assert shown["hx-get"]  # it asks again, to show the fresher one
            assert "une version plus récente est en cours de calcul" in page.text
            assert "Calculé il y a" in page.text
            english = fragment(client, f"/territories/{NORD}/analysis?lang=en").text
            assert "a more recent version is being computed" in english
            brokers = client.get(f"/api/territories/{NORD}/brokers").json()["brokers"]
            assert brokers["status"] == "ready" and brokers["fresher"] is True
            part = fragment(client, f"/territories/{NORD}/brokers/part?lang=fr")
            assert "une version plus récente est en cours de calcul" in part.text
        analysis_done(client)
        after = client.get(f"/api/territories/{NORD}/analysis").json()
        assert after["status"] == "ready" and after["fresher"] is False
        assert (
            after["computed_at"] > before["computed_at"]
            or after["computed_at"]
            == (
                before["computed_at"]  # within the same second
            )
        )
        assert pair not in partners(after)  # now a link, no longer a proposal
        assert analysis.computations == 2
        assert "plus récente" not in fragment(client, f"/territories/{NORD}/analysis?lang=fr").text


def test_a_restarted_portal_answers_from_disk_without_computing(
    db: sa.Engine, demo_map: Demo
) -> None:
    first = Analysis(store=model_store())
    with make_client(db, analysis_providers(first)) as client:
        analysis_done(client)
        before = client.get(f"/api/territories/{NORD}/analysis").json()
        brokers_before = client.get(f"/api/territories/{NORD}/brokers").json()
    assert first.computations == 1
    restarted = Analysis(wait=0, store=model_store())  # a question may not wait at all
    with make_client(db, analysis_providers(restarted)) as client:
        now = client.get(f"/api/territories/{NORD}/analysis").json()  # the first question
        assert now["status"] == "ready" and now["fresher"] is False
        assert now["computed_at"] == before["computed_at"]  # computed then, not now
        assert now["recommendations"] == before["recommendations"]
        assert now["measures"] == before["measures"]
        brokers = client.get(f"/api/territories/{NORD}/brokers").json()
        assert brokers["brokers"]["rows"] == brokers_before["brokers"]["rows"]
        assert brokers["brokers"]["computed_at"] == brokers_before["brokers"]["computed_at"]
        assert brokers["proposals"]["white_zones"] == brokers_before["proposals"]["white_zones"]
        state = client.get("/healthz").json()["analysis"]
        assert state["restored"] is True and state["computations"] == 0
        page = fragment(client, f"/territories/{NORD}/analysis?lang=fr")
        assert block(page)["data-state"] == "ready" and "Calculé il y a" in page.text
    assert restarted.computations == 0


def test_a_failing_analysis_says_so(
    db: sa.Engine, demo_map: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> Any:  # the database answers the pages but not the analysis
        raise sa.exc.OperationalError("SELECT …", {}, Exception("disk I/O error"))

    real = portal_providers.load_map
    monkeypatch.setattr(portal_providers, "load_map", broken)
    # computed in a thread of this process (apart=False), where the broken read applies
    analysis = Analysis(wait=0, store=model_store(), apart=False)
    with make_client(db, analysis_providers(analysis)) as client:
        for _ in range(600):
            if client.get("/healthz").json()["analysis"]["failed"]:
                break
            time.sleep(0.1)
        data = client.get(f"/api/territories/{NORD}/analysis").json()
        assert data["status"] == "failed" and data["recommendations"] == []
        page = fragment(client, f"/territories/{NORD}/analysis?lang=fr")
        assert block(page)["data-state"] == "failed"
        assert "L'analyse du réseau des données de ce portail a échoué" in page.text
        assert "hx-get" not in str(block(page))  # nothing to wait for
        part = fragment(client, f"/territories/{NORD}/brokers/part?lang=fr")
        assert "a échoué" in part.text
        english = fragment(client, f"/actors/{demo_map.named['emmaus']}/analysis?lang=en").text
        assert "The network analysis of this portal's data failed" in english

    # an earlier result, then the analysis of a write fails: the earlier one, said so
    monkeypatch.setattr(portal_providers, "load_map", real)
    analysis = Analysis(wait=0, store=model_store(), apart=False)
    with make_client(db, analysis_providers(analysis)) as client:
        analysis_done(client)
        before = client.get(f"/api/territories/{NORD}/analysis").json()
        monkeypatch.setattr(portal_providers, "load_map", broken)
        links.create_link(
            db=db,
            values={
                "source_id": demo_map.named["emmaus"],
                "target_id": demo_map.actor_ids[-1],
                "kind": "partnership",
            },
            user="test",
        )
        for _ in range(600):
            if client.get("/healthz").json()["analysis"]["failed"]:
                break
            time.sleep(0.1)
        data = client.get(f"/api/territories/{NORD}/analysis").json()
        assert data["status"] == "ready" and data["update_failed"] is True
        assert data["fresher"] is False and data["recommendations"] == before["recommendations"]
        page = fragment(client, f"/territories/{NORD}/analysis?lang=fr")
        assert "L'analyse des dernières modifications a échoué" in page.text
