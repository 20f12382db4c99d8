"""``maillage evaluate ecoindex --solution ID --evaluator EMAIL``, run as an operator
would: the solution's website, a local page (loopback allowed), measured and recorded as
the evaluator's answer; the mistakes named in one line, nothing written."""

from __future__ import annotations

import json

import sqlalchemy as sa

from cli.invoke import run
from ecoindex_pages import Site, build_page, reference_ecoindex, require_chromium
from maillage.services import accounts, evaluation, solutions


def test_a_solutions_website_is_measured_and_recorded(
    db: sa.Engine, db_url: str, site: Site
) -> None:
    require_chromium()
    page = build_page(site, "home", inline=120, styles=(8_000,), images=3)
    url = site.origin + page.path
    sid = solutions.create_solution(db=db, values={"name": "Carto", "website": url})["id"]
    accounts.create_account(db=db, email="eva@example.org", password="x" * 12, role="editor",
                            verified=True, name="Eva")  # fmt: skip
    code, out, err = run(
        "evaluate", "ecoindex", "--solution", str(sid), "--evaluator", "Eva@example.org",
        "--allow-network", "127.0.0.0/8", "--wait", "0", "--db", db_url, "--json",
    )  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    score, grade, _, _ = reference_ecoindex(
        page.dom_nodes, page.requests, site.bytes_sent(page.path)[1] / 1000
    )
    assert (found["score"], found["grade"]) == (score, grade)
    assert [p["url"] for p in found["pages"]] == [url]
    (stored,) = evaluation.evaluations_of(db=db, subject_type="solution", subject_id=sid)
    assert stored["id"] == found["evaluation"] and stored["evaluator"] == "Eva"
    assert [(a["criterion"], a["value"]) for a in stored["answers"]] == [
        ("ecoindex", f"{score:.2f}")
    ]


def test_mistakes_are_named_and_nothing_is_written(db: sa.Engine, db_url: str) -> None:
    sid = str(solutions.create_solution(db=db, values={"name": "Sans site"})["id"])
    code, _, err = run("evaluate", "ecoindex", "--solution", sid, "--db", db_url)
    assert code == 1 and "--evaluator" in err
    code, _, err = run("evaluate", "ecoindex", "--solution", sid, "--evaluator",
                       "nobody@example.org", "--db", db_url)  # fmt: skip
    assert code == 1 and "nobody@example.org" in err
    accounts.create_account(db=db, email="eva@example.org", password="x" * 12, role="editor",
                            verified=True)  # fmt: skip
    code, _, err = run("evaluate", "ecoindex", "--solution", sid, "--evaluator",
                       "eva@example.org", "--db", db_url)  # fmt: skip
    assert code == 1 and "la solution n'a pas de site" in err
    code, _, err = run("evaluate", "ecoindex", "https://a.example/", "https://b.example/")
    assert code == 1 and "plusieurs : avec --solution" in err
    assert evaluation.evaluations_of(db=db, subject_type="solution", subject_id=int(sid)) == []
