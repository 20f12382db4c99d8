"""The resource centre's pages and API: search with facets and highlighted passages,
one resource with its transcript turns, its actors and the actors it names (accepted
in one click by an editor), and the exports (CSV, JSON). The work is done by
:mod:`maillage.services.resources`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from maillage.model import permissions, taxonomy
from maillage.services import resources as service
from maillage.services.portal.export import generate_csv
from maillage.web.i18n import N_
from maillage.web.params import MAX_ID, Db
from maillage.web.security import IdentityDep, require
from maillage.web.templating import request_lang, url_for

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["resources"])

ResourceId = Annotated[int, Path(ge=1, le=MAX_ID)]
ActorId = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str, Query(max_length=200)]
Values = Annotated[list[str] | None, Query(max_length=20)]
Offset = Annotated[int, Query(ge=0, le=100_000)]
Limit = Annotated[int, Query(ge=1, le=100)]
READ = [require("read")]
EDIT = [require("edit")]
FACET_LABELS = {"type": N_("Type"), "theme": N_("Theme"), "territory": N_("Territory"),
                "world": N_("World of the actors concerned"), "year": N_("Year"),
                "licence": N_("Licence")}  # fmt: skip
FACET_SHOWN = 12  # values shown per facet, the most frequent first


def _filters(type: Values, theme: Values, territory: Values, world: Values, year: Values,
             licence: Values) -> dict[str, list[str]]:  # fmt: skip
    given = {"type": type, "theme": theme, "territory": territory, "world": world,
             "year": year, "licence": licence}  # fmt: skip
    return {k: v for k, v in given.items() if v}


def _labels(lang: str) -> dict[str, dict[str, str]]:
    return {
        "type": {t.code: t.label(lang) for t in taxonomy.load("resource_types")},  # type: ignore[arg-type]
        "world": {t.code: t.label(lang) for t in taxonomy.load("worlds")},  # type: ignore[arg-type]
    }


@router.get("/resources", name="resources", dependencies=READ)
def resources_page(request: Request, db: Db, q: Text = "", type: Values = None,
                   theme: Values = None, territory: Values = None, world: Values = None,
                   year: Values = None, licence: Values = None, offset: Offset = 0,
                   ) -> Response:  # fmt: skip
    filters = _filters(type, theme, territory, world, year, licence)
    page = service.search_resources(db=db, query=q, filters=filters, offset=offset)
    labels = _labels(request_lang(request))
    shown = [v for v, _n in page.facets.get("territory", [])[:FACET_SHOWN]]
    labels["territory"] = service.territory_labels(
        db=db, codes=[*shown, *page.filters.get("territory", [])])  # fmt: skip
    templates = request.app.state.templates
    return templates.render(request, "resources.html", {  # type: ignore[no-any-return]
        "page": page, "q": q, "offset": offset, "page_size": service.PAGE,
        "facet_labels": FACET_LABELS, "value_labels": labels, "facet_shown": FACET_SHOWN,
    })  # fmt: skip


@router.get("/resources/{resource_id}", name="resource", dependencies=READ)
def resource_page(request: Request, db: Db, identity: IdentityDep,
                  resource_id: ResourceId) -> Response:  # fmt: skip
    snap = service.get_resource(db=db, resource_id=resource_id)
    can_edit = identity is not None and permissions.allowed(identity.role, "edit")
    labels = _labels(request_lang(request))
    labels["territory"] = service.territory_labels(db=db, codes=snap["territories"] or [])
    templates = request.app.state.templates
    return templates.render(request, "resource.html", {  # type: ignore[no-any-return]
        "r": snap, "can_edit": can_edit, "value_labels": labels,
    })  # fmt: skip


def _author(identity: Any) -> str:
    return permissions.author(identity.account_id) if identity.account_id else "token"


@router.post("/resources/{resource_id}/mentions/{actor_id}/accept", name="mention_accept",
             dependencies=EDIT)  # fmt: skip
async def mention_accept(request: Request, db: Db, identity: IdentityDep,
                         resource_id: ResourceId, actor_id: ActorId) -> Response:  # fmt: skip
    await run_in_threadpool(lambda: service.accept_mention(
        db=db, resource_id=resource_id, actor_id=actor_id, user=_author(identity)))  # fmt: skip
    return RedirectResponse(url_for(request, "resource", resource_id=resource_id), 303)


@router.post("/resources/{resource_id}/mentions/{actor_id}/reject", name="mention_reject",
             dependencies=EDIT)  # fmt: skip
async def mention_reject(request: Request, db: Db, identity: IdentityDep,
                         resource_id: ResourceId, actor_id: ActorId) -> Response:  # fmt: skip
    await run_in_threadpool(lambda: service.reject_mention(
        db=db, resource_id=resource_id, actor_id=actor_id, user=_author(identity)))  # fmt: skip
    return RedirectResponse(url_for(request, "resource", resource_id=resource_id), 303)


@router.get("/resources.csv", name="resources_csv", dependencies=READ)
def resources_csv(db: Db) -> Response:
    rows = service.export_resources(db=db)
    return StreamingResponse(generate_csv(rows, service.EXPORT_COLUMNS), media_type="text/csv",
                             headers={"Content-Disposition":
                                      'attachment; filename="ressources.csv"'})  # fmt: skip


@api_router.get("/resources", dependencies=READ)
def api_resources(db: Db, q: Text = "", type: Values = None, theme: Values = None,
                  territory: Values = None, world: Values = None, year: Values = None,
                  licence: Values = None, offset: Offset = 0, limit: Limit = 20,
                  ) -> dict[str, Any]:  # fmt: skip
    """Full-text search of resources with facets: hits with highlighted passages
    (``<mark>``), the total, and the count of each facet value over every match."""
    filters = _filters(type, theme, territory, world, year, licence)
    page = service.search_resources(db=db, query=q, filters=filters, offset=offset, limit=limit)
    return page.as_dict()


@api_router.get("/resources/export", dependencies=READ)
def api_resources_export(db: Db) -> list[dict[str, Any]]:
    """Every resource (JSON export, the columns of the CSV)."""
    return service.export_resources(db=db)


@api_router.get("/resources/{resource_id}", dependencies=READ)
def api_resource(db: Db, resource_id: ResourceId) -> dict[str, Any]:
    """One resource: its metadata, body, transcript turns, actors and proposed mentions."""
    snap = service.get_resource(db=db, resource_id=resource_id)
    snap["actor_names"] = {str(k): v for k, v in snap["actor_names"].items()}
    return snap
