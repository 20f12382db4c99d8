"""The EcoIndex measured into an evaluation, on both engines: a solution's pages loaded
in one Chromium under the network policy (local pages of known size, loopback allowed
for the test), the mean of their scores recorded as the evaluator's ``ecoindex`` answer
with each page's metrics as evidence, their other answers kept; a refused address or a
solution without pages writes nothing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from ecoindex_pages import Site, build_page, reference_ecoindex, require_chromium, serve
from maillage.model.errors import InvalidInput
from maillage.services import accounts, solutions
from maillage.services import evaluation as service
from maillage.services.ecoindex import NetworkPolicy
from maillage.services.evaluation import Answer
from maillage.storage.tables import change

LOCAL = NetworkPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),), wait_s=0)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as served:
        yield served


def _expected(site: Site, page_path: str, dom: int, requests: int) -> tuple[int, str]:
    """(score, grade) the reference gives for what the page holds and the server sent."""
    size_kb = site.bytes_sent(page_path)[1] / 1000
    score, grade, _ges, _water = reference_ecoindex(dom, requests, size_kb)
    return score, grade


def test_a_solutions_pages_are_measured_into_the_evaluators_evaluation(
    db: sa.Engine, site: Site
) -> None:
    chromium = require_chromium()
    light = build_page(site, "home", inline=20, images=2)
    heavy = build_page(site, "catalogue", inline=1_200, scripts=(400_000,), images=40)
    made = solutions.create_solution(db=db, values={
        "name": "Carto des aidants", "kind": "platform", "website": site.origin + light.path,
    })  # fmt: skip
    sid = int(made["id"])
    who = accounts.create_account(db=db, email="eva@example.org", password="x" * 12,
                                  role="editor", verified=True, name="Eva")  # fmt: skip
    first = service.submit_evaluation(
        db=db, subject_type="solution", subject_id=sid, evaluator_id=who.id, evaluator="Eva",
        answers={"social.jobs": Answer("2", "document", "Bilan social 2025", confidence="high")},
        note="Visite du 3 mars", user="user:eva",
    )  # fmt: skip
    # Another evaluator's answers are not carried into Eva's.
    service.submit_evaluation(
        db=db, subject_type="solution", subject_id=sid, evaluator_id=None, evaluator="Paul",
        answers={"economic.value_sharing": Answer("1", "document", "CGU")},
    )  # fmt: skip

    site_score, made = service.measure_solution_ecoindex(
        db=db, solution_id=sid, policy=LOCAL, evaluator_id=who.id, evaluator="Eva",
        pages=[site.origin + light.path, site.origin + heavy.path, ""], user="user:eva",
        chromium=chromium,
    )  # fmt: skip

    expected = [_expected(site, p.path, p.dom_nodes, p.requests) for p in (light, heavy)]
    assert [(p.score, p.grade) for p in site_score.pages] == expected
    assert expected[0][1] != expected[1][1]  # two grades: the mean is between them
    mean = round((expected[0][0] + expected[1][0]) / 2, 2)
    assert site_score.score == mean
    answers = {a["criterion"]: a for a in made["answers"]}
    assert set(answers) == {"social.jobs", "ecoindex"}  # Eva's answers, not Paul's
    eco = answers["ecoindex"]
    assert eco["value"] == f"{mean:.2f}" and eco["score"] == pytest.approx(mean / 100)
    assert eco["evidence_kind"] == "measurement" and eco["evidence_url"] == site.origin + light.path
    lines = eco["evidence"].splitlines()
    assert lines[0].startswith(f"EcoIndex {mean:.2f} ({site_score.grade}), 2 pages")
    assert site_score.grade in "ABCDEFG" and "UTC" in lines[0]
    for line, page, (score, grade) in zip(lines[1:], (light, heavy), expected, strict=True):
        assert line.startswith(f"- {site.origin}{page.path} : {score} ({grade}) · "
                               f"DOM {page.dom_nodes} · {page.requests} req.")  # fmt: skip
    assert answers["social.jobs"]["evidence"] == "Bilan social 2025"
    assert made["note"] == "Visite du 3 mars" and made["evaluator_id"] == who.id
    # A new evaluation, audited as any; the first one is kept as written.
    history = service.evaluations_of(db=db, subject_type="solution", subject_id=sid)
    assert [e["id"] for e in history if e["evaluator"] == "Eva"] == [first["id"], made["id"]]
    with db.connect() as conn:
        audited = conn.execute(sa.select(change.c.user).where(
            change.c.entity == "evaluation", change.c.entity_id == made["id"],
            change.c.action == "create")).scalars().all()  # fmt: skip
    assert audited == ["user:eva"]
    summary = service.summary(db=db, subject_type="solution", subject_id=sid)
    assert summary["axes"]["ecoindex"] == pytest.approx(mean / 100)


def test_a_refused_address_or_no_page_writes_nothing(db: sa.Engine, site: Site) -> None:
    page = build_page(site, "home", inline=3)
    sid = int(solutions.create_solution(db=db, values={
        "name": "Carto", "website": site.origin + page.path})["id"])  # fmt: skip
    bare = int(solutions.create_solution(db=db, values={"name": "Sans site"})["id"])
    default = NetworkPolicy()  # loopback not allowed
    with pytest.raises(InvalidInput) as refused:
        service.measure_solution_ecoindex(db=db, solution_id=sid, policy=default,
                                          evaluator_id=None, evaluator="Eva")  # fmt: skip
    assert "adresse non publique 127.0.0.1" in str(refused.value)
    assert "non-public address 127.0.0.1" in refused.value.message_en
    with pytest.raises(InvalidInput) as none:
        service.measure_solution_ecoindex(db=db, solution_id=bare, policy=LOCAL,
                                          evaluator_id=None, evaluator="Eva")  # fmt: skip
    assert "la solution n'a pas de site" in str(none.value)
    many = [f"{site.origin}/p{i}" for i in range(service.MAX_PAGES + 1)]
    with pytest.raises(InvalidInput, match="au plus 5 pages"):
        service.measure_solution_ecoindex(db=db, solution_id=sid, policy=LOCAL, pages=many,
                                          evaluator_id=None, evaluator="Eva")  # fmt: skip
    assert site.sent == []  # nothing loaded
    for subject in (sid, bare):
        assert service.evaluations_of(db=db, subject_type="solution", subject_id=subject) == []
