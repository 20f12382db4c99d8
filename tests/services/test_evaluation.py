"""Evaluations on both engines: the CSR grid read from versioned data (the 78 RGESN 2024
criteria with their priorities, the EcoIndex as a measurement), answers refused without
evidence, two evaluators' disagreement shown, a new grid version leaving the old
evaluations on theirs, partnerships scored on seven approaches × three objects over
time, the collective relevance read from the map, an evaluation undone with its answers."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import make_actor, make_link
from maillage.io.grid import grids_dir, load_grid
from maillage.model.errors import InvalidInput
from maillage.services import actors, links, solutions
from maillage.services import evaluation as service
from maillage.services.evaluation import Answer
from maillage.storage.audit import Context
from maillage.storage.engine import transaction
from maillage.storage.tables import change, evaluation_score
from maillage.storage.undo import undo_change


def test_the_csr_grid_holds_the_78_rgesn_criteria_with_their_priorities() -> None:
    grid = load_grid("csr", "1")
    rgesn = [c for c in grid.criteria if c.code.startswith("rgesn.")]
    assert len(rgesn) == 78
    counts = {
        p: sum(1 for c in rgesn if c.priority == p) for p in ("high", "recommended", "moderate")
    }
    assert counts == {"high": 30, "recommended": 29, "moderate": 19}
    assert grid.criterion("rgesn.9.7").dimension == "environmental"
    assert grid.criterion("ecoindex").evidence == ("measurement",)
    assert {d.code for d in grid.dimensions} == {
        "economic",
        "social",
        "environmental",
        "collective",
    }
    partnership = load_grid("partnership")
    assert len(partnership.criteria) == 21 and len(partnership.axes) == 7


@pytest.fixture
def solution_id(db: sa.Engine) -> int:
    a = actors.create_actor(db=db, values=make_actor(name="Emmaüs Connect", world="associative"))
    b = actors.create_actor(db=db, values=make_actor(name="La Poste", world="economic"))
    c = actors.create_actor(db=db, values=make_actor(name="Mairie", world="public"))
    links.create_link(db=db, values=make_link(a["id"], b["id"]))
    links.create_link(db=db, values=make_link(a["id"], c["id"]))
    made = solutions.create_solution(db=db, values={
        "name": "Carto des aidants", "kind": "platform", "open_source": True, "open_data": True,
        "licence": "AGPL-3.0", "carriers": [a["id"], b["id"]], "territories": ["DEP:59"],
    })  # fmt: skip
    return int(made["id"])


def doc(value: str, text: str = "Rapport annuel 2025") -> Answer:
    return Answer(value=value, evidence_kind="document", evidence=text, confidence="high")


def test_two_evaluators_disagree_on_two_criteria(db: sa.Engine, solution_id: int) -> None:
    first = {"economic.value_sharing": doc("3"), "social.jobs": doc("2"),
             "rgesn.1.1": doc("yes"), "rgesn.4.1": doc("na"),
             "ecoindex": Answer("72.5", "measurement", "EcoIndex de 3 pages")}  # fmt: skip
    second = {**first, "economic.value_sharing": doc("1", "CGU : les données restent captées"),
              "rgesn.1.1": doc("no", "Pas d'étude d'utilité publiée")}  # fmt: skip
    service.submit_evaluation(db=db, subject_type="solution", subject_id=solution_id,
                              answers=first, evaluator_id=None, evaluator="Camille")  # fmt: skip
    service.submit_evaluation(db=db, subject_type="solution", subject_id=solution_id,
                              answers=second, evaluator_id=None, evaluator="Dominique")  # fmt: skip
    s = service.summary(db=db, subject_type="solution", subject_id=solution_id)
    assert [c["code"] for c in s["disagreements"]] == ["economic.value_sharing", "rgesn.1.1"]
    sharing = s["disagreements"][0]
    assert sorted(a["value"] for a in sharing["answers"]) == ["1", "3"]
    assert sharing["spread"] == pytest.approx(2 / 3, abs=1e-3)
    # not applicable leaves the criterion out: the RGESN axis is 1.1 alone
    assert s["axes"]["environmental.rgesn"] == pytest.approx(0.5)
    assert s["axes"]["ecoindex"] == pytest.approx(0.725)
    assert s["dimensions"]["economic"] == pytest.approx(4 / 6, abs=1e-3)


def test_an_answer_without_evidence_is_refused(db: sa.Engine, solution_id: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.submit_evaluation(
            db=db, subject_type="solution", subject_id=solution_id, evaluator_id=None,
            evaluator="X", answers={"social.jobs": Answer("2", "document", "", None)},
        )  # fmt: skip
    assert refused.value.field == "social.jobs.evidence"
    with pytest.raises(InvalidInput) as measured:
        service.submit_evaluation(
            db=db, subject_type="solution", subject_id=solution_id, evaluator_id=None,
            evaluator="X", answers={"ecoindex": Answer("64", "document", "Un avis")},
        )  # fmt: skip
    assert measured.value.field == "ecoindex.evidence_kind"
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(evaluation_score)).scalar() == 0


def test_a_new_grid_version_leaves_old_evaluations_on_theirs(
    db: sa.Engine, solution_id: int, tmp_path: Path
) -> None:
    grids = tmp_path / "grids"
    shutil.copytree(str(grids_dir()), grids)
    old = service.submit_evaluation(
        db=db, subject_type="solution", subject_id=solution_id, evaluator_id=None,
        evaluator="Camille", answers={"economic.induced_effects": doc("2")}, grids=grids,
    )  # fmt: skip
    data = json.loads((grids / "csr-1.json").read_text(encoding="utf-8"))
    data["version"] = "2"
    criterion = data["dimensions"][0]["criteria"][2]
    assert criterion["code"] == "economic.induced_effects"
    criterion["fr"] = "Effets induits : les commerces et associations du territoire en vivent-ils ?"
    criterion["priority"] = "moderate"
    (grids / "csr-2.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    new = service.submit_evaluation(
        db=db, subject_type="solution", subject_id=solution_id, evaluator_id=None,
        evaluator="Dominique", answers={"economic.induced_effects": doc("2")}, grids=grids,
    )  # fmt: skip
    assert (old["grid_version"], new["grid_version"]) == ("1", "2")
    stored = service.get_evaluation(db=db, evaluation_id=old["id"])
    assert stored["grid_version"] == "1"
    then = load_grid("csr", stored["grid_version"], directory=grids)
    now = load_grid("csr", directory=grids)
    assert then.criterion("economic.induced_effects").priority == "recommended"
    assert then.criterion("economic.induced_effects").fr.startswith("Effets induits sur")
    assert now.criterion("economic.induced_effects").priority == "moderate"
    assert now.criterion("economic.induced_effects").fr.startswith("Effets induits : les")
    # Read back, each answer carries the wording of the version its evaluator answered.
    s = service.summary(db=db, subject_type="solution", subject_id=solution_id, grids=grids)
    assert s["grid"].version == "2"
    labels = {a["evaluator"]: (a["grid_version"], a["criterion_label"]["fr"][:20])
              for a in s["criteria"][0]["answers"]}  # fmt: skip
    assert labels == {"Camille": ("1", "Effets induits sur l"),
                      "Dominique": ("2", "Effets induits : les")}  # fmt: skip
    assert s["history"][0]["aggregates"]["axes"] == {"economic.induced_effects": 0.6667}


def test_partnerships_are_scored_over_time(db: sa.Engine) -> None:
    a = actors.create_actor(db=db, values=make_actor(name="Fondation"))["id"]
    b = actors.create_actor(db=db, values=make_actor(name="Association"))["id"]
    link_id = links.create_link(db=db, values=make_link(a, b))["id"]
    for year, level in ((2023, "1"), (2025, "3")):
        service.submit_evaluation(
            db=db, subject_type="link", subject_id=link_id, evaluator_id=None,
            evaluator="Comité", when=dt.date(year, 6, 1),
            answers={"product.performance": doc(level), "balance.clarity": doc("2"),
                     "valorisation.meaning": doc("2")},
        )  # fmt: skip
    s = service.summary(db=db, subject_type="link", subject_id=link_id)
    assert [e["aggregates"]["axes"]["performance"] for e in s["history"]] == [
        pytest.approx(1 / 3, abs=1e-3),
        1.0,
    ]
    assert len(s["current"]) == 1  # the latest of the same evaluator
    assert set(s["dimensions"]) == {"product", "balance", "valorisation"}
    with pytest.raises(InvalidInput):
        service.submit_evaluation(db=db, subject_type="link", subject_id=link_id,
                                  evaluator_id=None, evaluator="X",
                                  answers={"social.jobs": doc("2")})  # fmt: skip


def test_the_map_suggests_the_collective_relevance(db: sa.Engine, solution_id: int) -> None:
    facts = service.map_facts(db=db, solution_id=solution_id)
    assert facts["alliances"]["facts"]["between_carriers"] == 1
    assert facts["alliances"]["value"] >= 2
    assert facts["worlds"]["facts"]["worlds"] == ["associative", "economic", "public"]
    assert facts["worlds"]["value"] == 2
    assert facts["anchoring"]["value"] == 3  # both carriers in Lille's département
    assert facts["commons"]["value"] == 3


def test_an_evaluation_is_undone_with_its_answers(db: sa.Engine, solution_id: int) -> None:
    made = service.submit_evaluation(
        db=db, subject_type="solution", subject_id=solution_id, evaluator_id=None,
        evaluator="Camille", answers={"social.jobs": doc("2")}, user="user:7",
    )  # fmt: skip
    with db.connect() as conn:
        logged = conn.execute(sa.select(change.c.id, change.c.user, change.c.after).where(
            change.c.entity == "evaluation")).one()  # fmt: skip
    assert logged.user == "user:7" and logged.after["answers"][0]["value"] == "2"
    with transaction(db) as conn:
        undo_change(conn, logged.id, ctx=Context(user="cli"))
    assert service.evaluations_of(db=db, subject_type="solution", subject_id=solution_id) == []
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(evaluation_score)).scalar() == 0
    assert made["answers"][0]["evidence"] == "Rapport annuel 2025"


def test_an_ecoindex_measurement_answers_its_criterion(db: sa.Engine, solution_id: int) -> None:
    from types import SimpleNamespace

    measured = service.ecoindex_answer(SimpleNamespace(score=72.46, grade="B"),
                                       pages=["https://carto.example.org/"])  # fmt: skip
    made = service.submit_evaluation(
        db=db, subject_type="solution", subject_id=solution_id, evaluator_id=None,
        evaluator="Mesure", answers={"ecoindex": measured},
    )  # fmt: skip
    answer = made["answers"][0]
    assert (answer["value"], answer["evidence_kind"]) == ("72.46", "measurement")
    assert answer["evidence"].startswith("EcoIndex 72.5 (B)")
    assert made["aggregates"]["axes"]["ecoindex"] == pytest.approx(0.7246)
