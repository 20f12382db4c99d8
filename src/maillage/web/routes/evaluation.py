"""Evaluations on the portal: the grid form an evaluator fills for a solution (CSR) or
for a link or an alliance (the partnership grid), each answer with its evidence and
confidence; the partnership results page; the evaluation report of a solution as HTML
and as PDF (WeasyPrint), in French or English; and their ``/api`` twins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from maillage.model.errors import MaillageError, NotFound
from maillage.services import evaluation
from maillage.services.ecoindex import NetworkPolicy
from maillage.services.evaluation import Answer, Grid
from maillage.web.errors import status_of
from maillage.web.i18n import Gettext, Lang
from maillage.web.params import MAX_ID, Db
from maillage.web.routes.solutions import (
    admit_export,
    page_context,
    radar_of,
    render,
    solution_context,
)
from maillage.web.security import IdentityDep, identity_of, require, throttle
from maillage.web.templating import Templates, request_lang, url_for

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["evaluations"])

SolutionId = Annotated[int, Path(ge=1, le=MAX_ID)]
SubjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Partnership = Literal["link", "alliance"]
EVALUATE = [require("evaluate")]
READ = [require("read")]
ANSWER_FIELDS = ("value", "evidence_kind", "evidence", "evidence_url", "confidence")


def answers_from_form(grid: Grid, form: Mapping[str, Any]) -> dict[str, Answer]:
    """The answers of a grid form: ``<criterion>.value`` and its evidence fields."""
    out = {}
    for c in grid.criteria:
        cells = {f: form.get(f"{c.code}.{f}") for f in ANSWER_FIELDS}
        value = cells["value"]
        if isinstance(value, str) and value.strip():
            out[c.code] = Answer(
                value=value.strip(),
                evidence_kind=str(cells["evidence_kind"] or "") or None,
                evidence=str(cells["evidence"] or ""), evidence_url=str(cells["evidence_url"] or ""),
                confidence=str(cells["confidence"] or "medium"),
            )  # fmt: skip
    return out


def answers_as_values(e: Mapping[str, Any] | None) -> dict[str, str]:
    """The form fields of an evaluation's answers (the evaluator's latest, shown again)."""
    out: dict[str, str] = {}
    for a in e["answers"] if e else ():
        code = a["criterion"]
        out |= {f"{code}.value": a["value"] or "", f"{code}.evidence_kind": a["evidence_kind"] or "",
                f"{code}.evidence": a["evidence"] or "", f"{code}.evidence_url": a["evidence_url"] or "",
                f"{code}.confidence": evaluation.confidence_code(a["confidence"]) or "medium"}  # fmt: skip
    return out


def _form(request: Request, db: sa.Engine, subject_type: str, subject_id: int, *,
          values: Mapping[str, Any] | None = None, error: MaillageError | None = None,
          status: int | None = None, pages: str = "") -> Response:  # fmt: skip
    lang = request_lang(request)
    me = identity_of(request)
    latest = (evaluation.latest_by(db=db, subject_type=subject_type, subject_id=subject_id,
                                   evaluator_id=me.account_id, evaluator=me.name or me.email)
              if me.signed_in else None)  # fmt: skip
    measured = next((a for a in latest["answers"] if a["criterion"] == "ecoindex"), None) \
        if latest else None  # fmt: skip
    grid = evaluation.grid_of(subject_type)
    name = (evaluation.subject_name(db=db, subject_type=subject_type, subject_id=subject_id)
            if subject_type == "solution" else
            partnership_name(db, subject_type, subject_id, lang))  # fmt: skip
    facts = (evaluation.map_facts(db=db, solution_id=subject_id)
             if subject_type == "solution" else {})  # fmt: skip
    action = (url_for(request, "solution_evaluate_post", solution_id=subject_id)
              if subject_type == "solution" else
              url_for(request, "partnership_evaluate_post", subject_type=subject_type,
                      subject_id=subject_id))  # fmt: skip
    context = {
        "grid": grid, "name": name, "subject_type": subject_type, "subject_id": subject_id,
        "facts": facts, "values": answers_as_values(latest) if values is None else values,
        "action": action, "measured": measured, "max_pages": evaluation.MAX_PAGES,
        "pages": pages,
        "error": (error.message_en if lang == "en" else error.message_fr) if error else None,
        "error_field": getattr(error, "field", None),
    }  # fmt: skip
    return render(request, "evaluate.html", context,
                  status or (status_of(error) if error else 200))  # fmt: skip


async def _submit(request: Request, db: sa.Engine, identity: Any, subject_type: str,
                  subject_id: int, done: str) -> Response:  # fmt: skip
    form = await request.form()
    grid = evaluation.grid_of(subject_type)
    answers = answers_from_form(grid, form)
    note = form.get("note")
    try:
        await run_in_threadpool(lambda: evaluation.submit_evaluation(
            db=db, subject_type=subject_type, subject_id=subject_id, answers=answers,
            evaluator_id=identity.account_id, evaluator=identity.name or identity.email,
            note=note if isinstance(note, str) else None, user=identity.audit_user,
        ))  # fmt: skip
    except MaillageError as error:
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        page = partial(_form, request, db, subject_type, subject_id, values=values, error=error)
        return await run_in_threadpool(page)
    return RedirectResponse(done, status_code=303)


@router.get("/solutions/{solution_id}/evaluate", name="solution_evaluate", dependencies=EVALUATE)
def solution_evaluate(request: Request, db: Db, solution_id: SolutionId) -> Response:
    """The CSR grid to fill for a solution, the map's suggestions beside its collective
    criteria."""
    return _form(request, db, "solution", solution_id)


@router.post("/solutions/{solution_id}/evaluate", name="solution_evaluate_post",
             dependencies=EVALUATE)  # fmt: skip
async def solution_evaluate_post(request: Request, db: Db, identity: IdentityDep,
                                 solution_id: SolutionId) -> Response:  # fmt: skip
    done = url_for(request, "solution", solution_id=solution_id)
    return await _submit(request, db, identity, "solution", solution_id, done)


@router.post("/solutions/{solution_id}/ecoindex", name="solution_ecoindex_post",
             dependencies=[*EVALUATE, throttle("ecoindex")])  # fmt: skip
async def solution_ecoindex_post(request: Request, db: Db, identity: IdentityDep,
                                 solution_id: SolutionId) -> Response:  # fmt: skip
    """Measure the EcoIndex of the solution's pages (those given, one per line, else its
    website) in Chromium under the network policy of the settings, and record it as the
    evaluator's ``ecoindex`` answer; then back to the grid, showing it. A browser for up
    to a minute per page: ``ecoindex_rate_limit`` measurements per account."""
    form = await request.form()
    given = form.get("pages")
    pages = given.splitlines() if isinstance(given, str) else []
    policy = NetworkPolicy.from_settings(request.app.state.settings)
    try:
        await run_in_threadpool(lambda: evaluation.measure_solution_ecoindex(
            db=db, solution_id=solution_id, policy=policy, pages=pages,
            evaluator_id=identity.account_id, evaluator=identity.name or identity.email,
            user=identity.audit_user,
        ))  # fmt: skip
    except NotFound:
        raise
    except MaillageError as error:
        # The page could not be measured (refused address, time or size limit, browser
        # missing): the grid again with the message, nothing written.
        status = 503 if getattr(error, "reason", None) == "browser" else 422
        page = partial(_form, request, db, "solution", solution_id, error=error, status=status,
                       pages="\n".join(pages))  # fmt: skip
        return await run_in_threadpool(page)
    done = url_for(request, "solution_evaluate", solution_id=solution_id)
    return RedirectResponse(f"{done}#ecoindex-measure", status_code=303)


def _report_context(request: Request, db: sa.Engine, solution_id: int) -> dict[str, Any]:
    context = solution_context(db, solution_id, request_lang(request))
    return {**context, "report": True, "today": dt.date.today().isoformat()}


@router.get("/solutions/{solution_id}/report", name="solution_report", dependencies=READ)
def solution_report(request: Request, db: Db, solution_id: SolutionId) -> Response:
    """The evaluation report of a solution, to read or print."""
    return render(request, "report.html", _report_context(request, db, solution_id))


def report_pdf(request: Request, db: sa.Engine, solution_id: int) -> bytes:
    """The evaluation report as PDF: the same page laid out by WeasyPrint (no network:
    the report's style is inline and its radar an inline SVG)."""
    import weasyprint  # imported on first use: its start-up reads the system fonts

    templates: Templates = request.app.state.templates
    context = {**_report_context(request, db, solution_id), "pdf": True}
    html = templates.env.get_template("report.html").render(
        {**templates.context(request), **page_context(request), **context}
    )
    return bytes(weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf())


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"the report loads nothing from outside: {url}")


@router.get("/solutions/{solution_id}/report.pdf", name="solution_report_pdf", dependencies=READ)
async def solution_report_pdf(request: Request, db: Db, solution_id: SolutionId) -> Response:
    """The report as PDF; counted as a public export (a second of layout each: rate
    limited per client)."""
    admit_export(request)
    data = await run_in_threadpool(report_pdf, request, db, solution_id)
    lang = request_lang(request)
    name = f"evaluation-solution-{solution_id}-{lang}.pdf"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})  # fmt: skip


# --- partnerships: a link, an alliance --------------------------------------------------


def partnership_name(db: sa.Engine, subject_type: str, subject_id: int, lang: Lang) -> str:
    """How a partnership is named: a link by its two actors, an alliance as the
    alliance of the carriers of its solution (not the solution itself)."""
    name = evaluation.subject_name(db=db, subject_type=subject_type, subject_id=subject_id)
    if subject_type == "alliance":
        return Gettext(lang).gettext("the alliance of the carriers of “%(name)s”", name=name)
    return name


def partnership_context(db: sa.Engine, subject_type: str, subject_id: int,
                        lang: Lang) -> dict[str, Any]:  # fmt: skip
    summary = evaluation.summary(db=db, subject_type=subject_type, subject_id=subject_id)
    grid = summary["grid"]
    series = [(d.label(lang), summary["cells"].get(d.code, {})) for d in grid.dimensions]
    _ = Gettext(lang).gettext
    name = partnership_name(db, subject_type, subject_id, lang)
    title = _("Partnership evaluation: %(name)s", name=name)
    radar = radar_of(grid, series, title, lang) if summary["current"] else None
    return {"summary": summary, "grid": grid, "radar": radar, "name": name, "title": title,
            "subject_type": subject_type, "subject_id": subject_id}  # fmt: skip


@router.get("/partnerships/{subject_type}/{subject_id}", name="partnership", dependencies=READ)
def partnership_page(request: Request, db: Db, subject_type: Partnership,
                     subject_id: SubjectId) -> Response:  # fmt: skip
    """A link's or an alliance's evaluations: the seven approaches on the three objects,
    over time."""
    context = partnership_context(db, subject_type, subject_id, request_lang(request))
    return render(request, "partnership.html", context)


@router.get("/partnerships/{subject_type}/{subject_id}/evaluate", name="partnership_evaluate",
            dependencies=EVALUATE)  # fmt: skip
def partnership_evaluate(request: Request, db: Db, subject_type: Partnership,
                         subject_id: SubjectId) -> Response:  # fmt: skip
    return _form(request, db, subject_type, subject_id)


@router.post("/partnerships/{subject_type}/{subject_id}/evaluate",
             name="partnership_evaluate_post", dependencies=EVALUATE)  # fmt: skip
async def partnership_evaluate_post(request: Request, db: Db, identity: IdentityDep,
                                    subject_type: Partnership, subject_id: SubjectId) -> Response:  # fmt: skip
    done = url_for(request, "partnership", subject_type=subject_type, subject_id=subject_id)
    return await _submit(request, db, identity, subject_type, subject_id, done)


# --- the API ----------------------------------------------------------------------------


class AnswerIn(BaseModel):
    value: str = Field(max_length=40, description="yes / no / na, a level 0-3, a measurement")
    evidence_kind: str = Field(max_length=20, description="document, url, measurement or map")
    evidence: str | None = Field(None, max_length=2000)
    evidence_url: str | None = Field(None, max_length=1000)
    confidence: Literal["low", "medium", "high"] = "medium"


class EvaluationIn(BaseModel):
    subject_type: Literal["solution", "link", "alliance"]
    subject_id: int = Field(ge=1, le=MAX_ID)
    answers: dict[str, AnswerIn] = Field(max_length=200, description="criterion code -> answer")
    note: str | None = Field(None, max_length=5000)


def _evaluation_out(e: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "subject_type", "subject_id", "grid", "grid_version", "date", "evaluator",
            "aggregates", "answers")  # fmt: skip
    return {k: e.get(k) for k in keys}


@api_router.post("/evaluations", name="api_evaluation_submit", status_code=201,
                 dependencies=EVALUATE)  # fmt: skip
def api_evaluation_submit(db: Db, identity: IdentityDep, body: EvaluationIn) -> Any:
    """Submit an evaluation on the latest version of the subject's grid (evaluators)."""
    answers = {k: Answer(**a.model_dump()) for k, a in body.answers.items()}
    made = evaluation.submit_evaluation(
        db=db, subject_type=body.subject_type, subject_id=body.subject_id, answers=answers,
        evaluator_id=identity.account_id, evaluator=identity.name or identity.email,
        note=body.note, user=identity.audit_user,
    )  # fmt: skip
    return _evaluation_out(made)


@api_router.get("/evaluations/{subject_type}/{subject_id}", name="api_evaluations",
                dependencies=READ)  # fmt: skip
def api_evaluations(db: Db, subject_type: Literal["solution", "link", "alliance"],
                    subject_id: SubjectId) -> Any:  # fmt: skip
    """A subject's evaluations over time, the means across its evaluators' latest ones
    and the criteria they disagree on."""
    evaluation.subject_name(db=db, subject_type=subject_type, subject_id=subject_id)
    s = evaluation.summary(db=db, subject_type=subject_type, subject_id=subject_id)
    return {
        "grid": s["grid"].code, "grid_version": s["grid"].version,
        "dimensions": s["dimensions"], "axes": s["axes"], "cells": s["cells"],
        "disagreements": [{"criterion": c["code"], "spread": c["spread"],
                           "values": [a["value"] for a in c["answers"]]}
                          for c in s["disagreements"]],
        "history": [_evaluation_out(e) for e in s["history"]],
    }  # fmt: skip
