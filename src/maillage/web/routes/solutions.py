"""Digital solutions on the portal: the list by territory and theme with each one's CSR
summary and the means per theme, a solution's page (carriers, openness, resources, its
evaluations: radar, disagreements, history), the comparison of solutions, the CSV
export, a form for editors to add one; and their ``/api`` twins. The work is done by
:mod:`maillage.services.solutions` and :mod:`maillage.services.evaluation`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from maillage.model import taxonomy
from maillage.model.errors import MaillageError, NotFound
from maillage.services import evaluation, geography, solutions
from maillage.services.evaluation import Grid
from maillage.services.portal.export import generate_csv
from maillage.services.solutions import COLUMNS, KINDS
from maillage.web.errors import status_of
from maillage.web.export_guard import ExportGuard
from maillage.web.i18n import N_, Gettext, Lang
from maillage.web.params import MAX_ID, SAFE_TEXT, Db, whole_number
from maillage.web.radar import radar_svg
from maillage.web.security import IdentityDep, identity_of, require
from maillage.web.templating import Templates, request_lang, url_for

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["solutions"])

SolutionId = Annotated[int, Path(ge=1, le=MAX_ID)]
TerritoryQ = Annotated[str | None, Query(max_length=60, pattern=SAFE_TEXT)]
ThemeQ = Annotated[str | None, Query(max_length=100, pattern=SAFE_TEXT)]
PageQ = Annotated[int, Query(ge=1, le=100_000)]
PAGE_SIZE = 100  # solutions a page of the list (a keyboard crosses two controls a row)
READ = [require("read")]
EDIT = [require("edit")]
KIND_LABELS = {"platform": N_("platform"), "application": N_("application"),
               "service": N_("service"), "device": N_("device")}  # fmt: skip


def admit_export(request: Request) -> None:
    """Count a public export (CSV, PDF) for the client before any work: the export
    guard's rate limit. Raises Refused (429)."""
    guard: ExportGuard = request.app.state.export_guard
    guard.admit(request)


def page_context(request: Request) -> dict[str, Any]:
    """What every page of solutions and evaluations shows beside its own data."""
    lang = request_lang(request)
    _ = Gettext(lang).gettext
    kinds = {k: _(v) for k, v in KIND_LABELS.items()}
    confidences = {"low": _("low"), "medium": _("medium"), "high": _("high")}
    return {"kind_labels": kinds, "confidence_labels": confidences, "lang": lang,
            "me": identity_of(request)}  # fmt: skip


def render(request: Request, name: str, context: Mapping[str, Any], status: int = 200) -> Response:
    templates: Templates = request.app.state.templates
    return templates.render(request, name, {**page_context(request), **context},
                            status_code=status)  # fmt: skip


def radar_of(grid: Grid, series: Sequence[tuple[str, Mapping[str, float]]], title: str,
             lang: str) -> str:  # fmt: skip
    """The radar of ``series`` on the axes of ``grid``."""
    return radar_svg([(a.code, a.label(lang)) for a in grid.axes], series, title=title)


def _theme_means(
    found: Sequence[Mapping[str, Any]], summaries: Mapping[int, Mapping[str, Any]], lang: str
) -> list[dict[str, Any]]:
    """Per theme: how many solutions, how many evaluated, their mean per dimension."""
    by_theme: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in found:
        for theme in s["themes"] or ["—"]:
            by_theme[theme].append(summaries[s["id"]])
    out = []
    for theme, rows in sorted(by_theme.items()):
        rated = [r for r in rows if r["evaluators"]]
        dims: dict[str, list[float]] = defaultdict(list)
        for r in rated:
            for d, v in r["dimensions"].items():
                dims[d].append(v)
        out.append({"theme": theme, "label": solutions.theme_label(theme, lang),
                    "count": len(rows), "evaluated": len(rated),
                    "dimensions": {d: sum(v) / len(v) for d, v in dims.items()}})  # fmt: skip
    return out


def listing(db: sa.Engine, territory: str | None, theme: str | None, lang: str) -> dict[str, Any]:
    """The solutions of a territory (its parts included) and theme, every one, with
    their CSR summaries and the means per theme. Raises NotFound for an unknown
    territory."""
    codes = None
    if territory:
        code = geography.territory_code(db=db, key=territory)
        codes = solutions.territory_family(db=db, code=code)
    found = solutions.list_solutions(db=db, territories=codes, theme=theme)
    summaries = evaluation.solution_summaries(db=db, solution_ids=[s["id"] for s in found])
    grid = evaluation.grid_of("solution")
    return {"solutions": found, "summaries": summaries, "grid": grid,
            "themes": _theme_means(found, summaries, lang), "territory": territory,
            "theme": theme}  # fmt: skip


def theme_choices(lang: str) -> list[tuple[str, str]]:
    """The themes a solution may answer, (code, label) by label: the theme filter."""
    return sorted(((t.code, t.label("en" if lang == "en" else "fr"))
                   for t in taxonomy.load("themes")), key=lambda c: c[1].casefold())  # fmt: skip


def _list_page(request: Request, db: sa.Engine, territory: str | None, theme: str | None,
               page: int, extra: Mapping[str, Any], status: int = 200) -> Response:  # fmt: skip
    """The list of solutions, ``PAGE_SIZE`` a page, with its filters; an unknown
    territory answers 404 on the same page, its message beside the filter."""
    lang = request_lang(request)
    try:
        data = listing(db, territory, theme, lang)
        territory_error = None
    except NotFound as error:
        data = {**listing(db, None, theme, lang), "territory": territory, "solutions": []}
        territory_error = error.message_en if lang == "en" else error.message_fr
        status = status_of(error)
    found = data["solutions"]
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(page, pages)
    first = (page - 1) * PAGE_SIZE
    context = {**data, "shown": found[first:first + PAGE_SIZE], "total": len(found),
               "first": first + 1, "last": min(first + PAGE_SIZE, len(found)), "page": page,
               "pages": pages, "theme_choices": theme_choices(lang),
               "territory_error": territory_error, "kinds": KINDS, "values": {}, **extra}  # fmt: skip
    return render(request, "solutions.html", context, status)


@router.get("/solutions", name="solutions", dependencies=READ)
def solutions_page(request: Request, db: Db, territory: TerritoryQ = None,
                   theme: ThemeQ = None, page: PageQ = 1) -> Response:  # fmt: skip
    return _list_page(request, db, territory or None, theme or None, page, {})


def _form_values(form: Mapping[str, Any]) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = form.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    values: dict[str, Any] = {k: text(k) for k in ("name", "description", "kind", "website",
                                                   "licence")}  # fmt: skip
    values["open_source"] = form.get("open_source") == "1"
    values["open_data"] = form.get("open_data") == "1"
    for key in ("territories", "themes"):
        values[key] = [p.strip() for p in (text(key) or "").split(",") if p.strip()]
    carriers = (text("carriers") or "").replace(",", " ").split()
    values["carriers"] = [n if (n := whole_number(c, 9)) is not None else c for c in carriers]
    url = text("resource_url")
    values["resources"] = [{"title": text("resource_title") or url, "url": url}] if url else []
    return values


@router.post("/solutions", name="solution_create", dependencies=EDIT)
async def solution_create(request: Request, db: Db, identity: IdentityDep) -> Response:
    form = await request.form()
    values = _form_values(form)
    try:
        made = await run_in_threadpool(lambda: solutions.create_solution(
            db=db, values=values, user=identity.audit_user))  # fmt: skip
    except MaillageError as error:
        lang = request_lang(request)
        said = {"values": values, "error": error.message_en if lang == "en" else error.message_fr}
        return _list_page(request, db, None, None, 1, said, status_of(error))
    return RedirectResponse(url_for(request, "solution", solution_id=made["id"]), status_code=303)


def solution_context(db: sa.Engine, solution_id: int, lang: Lang) -> dict[str, Any]:
    """A solution with its CSR summary, radar, map facts."""
    s = solutions.get_solution(db=db, solution_id=solution_id)
    summary = evaluation.summary(db=db, subject_type="solution", subject_id=solution_id)
    grid = summary["grid"]
    _ = Gettext(lang).gettext
    series = [(e["evaluator"] or _("Evaluator"), e["aggregates"].get("axes", {}))
              for e in summary["current"]]  # fmt: skip
    if len(series) > 1:
        series.append((_("Mean"), summary["axes"]))
    radar = radar_of(grid, series, _("CSR profile of %(name)s", name=s["name"]), lang)
    return {"s": s, "summary": summary, "grid": grid, "radar": radar if series else None,
            "facts": evaluation.map_facts(db=db, solution_id=solution_id)}  # fmt: skip


@router.get("/solutions/compare", name="solutions_compare", dependencies=READ)
def solutions_compare(
    request: Request,
    db: Db,
    ids: Annotated[list[int], Query(max_length=6)] = [],  # noqa: B006
) -> Response:
    """Several solutions side by side: their mean scores per axis and dimension."""
    lang = request_lang(request)
    _ = Gettext(lang).gettext
    found = solutions.list_solutions(db=db, ids=[i for i in ids if 1 <= i <= MAX_ID])
    summaries = evaluation.solution_summaries(db=db, solution_ids=[s["id"] for s in found])
    grid = evaluation.grid_of("solution")
    series = [(s["name"], summaries[s["id"]]["axes"]) for s in found]
    radar = radar_of(grid, series, _("Comparison of solutions"), lang) if series else None
    return render(
        request,
        "solutions_compare.html",
        {"solutions": found, "summaries": summaries, "grid": grid, "radar": radar},
    )


@router.get("/solutions.csv", name="solutions_csv", dependencies=READ)
def solutions_csv(request: Request, db: Db) -> Response:
    """Every solution, one row each; cells safe from spreadsheet formulas. Counted as a
    public export (rate limit per client)."""
    admit_export(request)
    rows = solutions.solution_rows(db=db)
    return StreamingResponse(
        generate_csv(rows, list(COLUMNS)), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="solutions.csv"'},
    )  # fmt: skip


@router.get("/solutions/{solution_id}", name="solution", dependencies=READ)
def solution_page(request: Request, db: Db, solution_id: SolutionId) -> Response:
    return render(
        request, "solution.html", solution_context(db, solution_id, request_lang(request))
    )


# --- the API ----------------------------------------------------------------------------


class ResourceIn(BaseModel):
    title: str | None = Field(None, max_length=300)
    url: str = Field(max_length=1000)


class SolutionIn(BaseModel):
    name: str = Field(max_length=500)
    description: str | None = Field(None, max_length=20000)
    kind: str | None = Field(None, description="platform, application, service or device")
    website: str | None = Field(None, max_length=1000)
    licence: str | None = Field(None, max_length=100)
    open_source: bool | None = None
    open_data: bool | None = None
    carriers: list[int] = Field(default_factory=list, max_length=100)
    territories: list[str] = Field(default_factory=list, max_length=100)
    themes: list[str] = Field(default_factory=list, max_length=50)
    needs: list[int] = Field(default_factory=list, max_length=100)
    resources: list[ResourceIn] = Field(default_factory=list, max_length=50)


def _public(s: Mapping[str, Any], summary: Mapping[str, Any] | None = None) -> dict[str, Any]:
    out = {k: s.get(k) for k in ("id", *COLUMNS[1:], "carrier_names", "updated_at")}
    if summary is not None:
        out["csr"] = summary
    return out


@api_router.get("/solutions", name="api_solutions", dependencies=READ)
def api_solutions(db: Db, territory: TerritoryQ = None, theme: ThemeQ = None) -> Any:
    """The solutions (of a territory, a theme), each with its CSR summary: mean score
    per dimension (0..1) across its evaluators' latest evaluations."""
    data = listing(db, territory, theme, "fr")  # every one: no silent cut at 500
    return [_public(s, data["summaries"][s["id"]]) for s in data["solutions"]]


@api_router.get("/solutions/{solution_id}", name="api_solution", dependencies=READ)
def api_solution(db: Db, solution_id: SolutionId) -> Any:
    """One solution, its CSR summary, the disagreements of its evaluators, the map's facts."""
    s = solutions.get_solution(db=db, solution_id=solution_id)
    summary = evaluation.summary(db=db, subject_type="solution", subject_id=solution_id)
    return {
        **_public(s), "grid_version": summary["grid"].version,
        "csr": {"dimensions": summary["dimensions"], "axes": summary["axes"],
                "evaluators": len(summary["current"])},
        "disagreements": [{"criterion": c["code"], "spread": c["spread"],
                           "values": [a["value"] for a in c["answers"]]}
                          for c in summary["disagreements"]],
        "evaluations": [{"id": e["id"], "evaluator": e["evaluator"], "date": e["date"],
                         "grid_version": e["grid_version"], "aggregates": e["aggregates"]}
                        for e in summary["history"]],
        "map": evaluation.map_facts(db=db, solution_id=solution_id),
    }  # fmt: skip


@api_router.post("/solutions", name="api_solution_create", status_code=201, dependencies=EDIT)
def api_solution_create(db: Db, identity: IdentityDep, body: SolutionIn) -> Any:
    """Add a solution (editors). Answers 422 naming the field of a refused value."""
    values = body.model_dump(exclude_none=True)
    made = solutions.create_solution(db=db, values=values, user=identity.audit_user)
    return _public(solutions.get_solution(db=db, solution_id=made["id"]))


def for_uncovered_needs(
    db: sa.Engine, needs: Sequence[Mapping[str, Any]], territory: str, lang: str
) -> dict[str, Any]:
    """The solutions answering a territory's uncovered needs (no actor of the theme
    acting there; a solution reaching the need is what this list shows): those linked to one of these needs or on its theme,
    those already running in the territory first, each with its CSR summary
    (``rows``), and the CSR grid's ``dimensions``."""
    uncovered = [n for n in needs if n.get("white_zone") or not n.get("actors_on_theme")]
    themes = {n["theme"] for n in uncovered}
    need_ids = {n.get("id") for n in uncovered}
    dimensions = evaluation.grid_of("solution").dimensions
    if not themes:
        return {"rows": [], "dimensions": dimensions}
    here = set(solutions.territory_family(db=db, code=territory))
    found = solutions.list_solutions(db=db, limit=200, themes=sorted(themes),
                                     needs=sorted(i for i in need_ids if i))  # fmt: skip
    summaries = evaluation.solution_summaries(db=db, solution_ids=[s["id"] for s in found])
    out: list[dict[str, Any]] = [{"s": s, "csr": summaries[s["id"]], "here": bool(here & set(s["territories"])) if s["territories"] else None,
            "answers": sorted(solutions.theme_label(t, lang) for t in themes & set(s["themes"]))}
           for s in found]  # fmt: skip
    rows = sorted(out, key=lambda r: (r["here"] is not True, r["s"]["name"]))
    return {"rows": rows, "dimensions": dimensions}
