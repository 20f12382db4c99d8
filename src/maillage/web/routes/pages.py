"""HTML pages. Each calls the same service as its JSON twin in :mod:`routes.api`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from maillage.services import portal, portal_geo, portal_pages, portal_table, portal_territory
from maillage.services.portal_filters import Filters
from maillage.web import measures as catalogue
from maillage.web.cache import TTLCache
from maillage.web.i18n import Lang
from maillage.web.params import MAX_ID, SAFE_TEXT, Db, FiltersDep, LangDep
from maillage.web.providers import call
from maillage.web.templating import Templates

T = TypeVar("T")
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

ActorId = Annotated[int, Path(ge=1, le=MAX_ID)]
Page = Annotated[int, Query(ge=1, le=100_000)]


def templates(request: Request) -> Templates:
    found: Templates = request.app.state.templates
    return found


def cache(request: Request) -> TTLCache:
    """The application's cache."""
    found: TTLCache = request.app.state.cache
    return found


def cached(request: Request, db: sa.Engine, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` cached for ten minutes under ``key`` and the data version, so that
    any write to the map shows at once."""
    version = portal.data_version(db=db)
    return cache(request).get((*key, version), compute, seconds=600)


def figures(request: Request, db: sa.Engine, lang: Lang) -> dict[str, Any]:
    """Key figures of the whole map (cached)."""
    return cached(request, db, ("figures", lang), lambda: portal.key_figures(db=db, lang=lang))


@router.get("/", name="home")
def home(request: Request, db: Db, lang: LangDep) -> HTMLResponse:
    return templates(request).render(request, "home.html", {"figures": figures(request, db, lang)})


def menus(lang: Lang) -> dict[str, Any]:
    """Choices of the filter bar, from the shipped taxonomies."""
    return {
        "categories": portal.terms("categories", lang),
        "themes": portal.terms("themes", lang),
        "kinds": portal.terms("link_kinds", lang),
    }


def explore_context(
    request: Request, db: sa.Engine, lang: Lang, filters: Filters
) -> dict[str, Any]:
    """What the explore page and the embeds need: filters, menus, years, widget URLs."""
    first, last = cached(request, db, ("years",), lambda: portal.years(db=db))
    territory = None
    if filters.territory:
        territory = portal_pages.territory_names_of(db=db, codes=[filters.territory]).get(
            filters.territory
        )
    return {
        "filters": filters,
        "query": filters.query(),
        "territory_name": territory,
        "menus": menus(lang),
        "indicators": portal_geo.indicator_keys(db=db),
        "first_year": first or 2000,
        "last_year": last or 2025,
    }


@router.get("/explore", name="explore")
def explore(request: Request, db: Db, lang: LangDep, filters: FiltersDep) -> HTMLResponse:
    context = explore_context(request, db, lang, filters)
    context.update(results(request, db, lang, filters))
    return templates(request).render(request, "explore.html", context)


def results(
    request: Request, db: sa.Engine, lang: Lang, filters: Filters, pages: tuple[int, int] = (1, 1)
) -> dict[str, Any]:
    """First or given pages of the view's tables (cached: unfiltered national views sort
    and count every link)."""
    key = ("results", tuple(sorted(filters.query().items())), lang, pages)

    def compute() -> dict[str, Any]:
        actors = portal_table.actor_table(db=db, filters=filters, page=pages[0], lang=lang)
        links = portal_table.link_table(db=db, filters=filters, page=pages[1], lang=lang)
        return {"actors": actors, "links": links, "query": filters.query()}

    return cached(request, db, key, compute)


@router.get("/explore/results", name="explore_results")
def explore_results(
    request: Request,
    db: Db,
    lang: LangDep,
    filters: FiltersDep,
    actors_page: Page = 1,
    links_page: Page = 1,
) -> HTMLResponse:
    """The summary and tables of a view (the htmx target of the filter bar)."""
    context = results(request, db, lang, filters, (actors_page, links_page))
    return templates(request).render(request, "_results.html", context)


@router.get("/explore/table", name="explore_table")
def explore_table(
    request: Request,
    db: Db,
    lang: LangDep,
    filters: FiltersDep,
    actors_page: Page = 1,
    links_page: Page = 1,
) -> HTMLResponse:
    """The view as text only: every actor and link, 100 per page."""
    context = {
        "actors": portal_table.actor_table(
            db=db, filters=filters, page=actors_page, per_page=100, lang=lang
        ),
        "links": portal_table.link_table(
            db=db, filters=filters, page=links_page, per_page=100, lang=lang
        ),
        "query": filters.query(),
        "filters": filters,
    }
    return templates(request).render(request, "table.html", context)


def territory_context(request: Request, db: sa.Engine, key: str, lang: Lang) -> dict[str, Any]:
    """A territory's page data with provider blocks, cached (mixing over a large
    territory reads every link inside it)."""

    def compute() -> dict[str, Any]:
        data = portal_territory.territory_page(db=db, key=key, lang=lang)
        hooks = request.app.state.providers
        measures = call(hooks.territory_measures, db, data["code"], lang)
        data["measures"] = catalogue.explain(measures, lang)
        data["recommendations"] = call(hooks.territory_recommendations, db, data["code"], lang)
        return data

    return cached(request, db, ("territory", key, lang), compute)


def actor_context(request: Request, db: sa.Engine, actor_id: int, lang: Lang) -> dict[str, Any]:
    data = portal_pages.actor_page(db=db, actor_id=actor_id, lang=lang)
    hooks = request.app.state.providers
    data["measures"] = catalogue.explain(
        data["measures"] + call(hooks.actor_measures, db, actor_id, lang), lang
    )
    data["recommendations"] = call(hooks.actor_recommendations, db, actor_id, lang)
    return data


@router.get("/actors/{actor_id}", name="actor")
def actor(request: Request, db: Db, lang: LangDep, actor_id: ActorId) -> HTMLResponse:
    data = actor_context(request, db, actor_id, lang)
    return templates(request).render(request, "actor.html", {"actor": data})


@router.get("/actors/{actor_id}/card", name="actor_card")
def actor_card(request: Request, db: Db, lang: LangDep, actor_id: ActorId) -> HTMLResponse:
    """The actor's card on the explore page (an HTML fragment)."""
    data = portal_pages.actor_card(db=db, actor_id=actor_id, lang=lang)
    return templates(request).render(request, "_card.html", {"actor": data})


@router.get("/territories/{code}", name="territory")
def territory(
    request: Request,
    db: Db,
    lang: LangDep,
    code: Annotated[str, Path(max_length=60, pattern=SAFE_TEXT)],
) -> HTMLResponse:
    data = territory_context(request, db, code, lang)
    return templates(request).render(request, "territory.html", {"territory": data})


@router.get("/links/{link_id}", name="link")
def link(
    request: Request, db: Db, lang: LangDep, link_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> HTMLResponse:
    data = portal_pages.link_page(db=db, link_id=link_id, lang=lang)
    return templates(request).render(request, "link.html", {"link": data})


@router.get("/search", name="search")
def search(
    request: Request,
    db: Db,
    lang: LangDep,
    q: Annotated[str, Query(max_length=200, pattern=SAFE_TEXT)] = "",
) -> HTMLResponse:
    found = portal.search(db=db, query=q, lang=lang) if q.strip() else None
    name = "_search_results.html" if request.headers.get("hx-request") else "search.html"
    return templates(request).render(request, name, {"q": q, "found": found})


@router.get("/measures", name="measures")
def measures(request: Request, lang: LangDep) -> HTMLResponse:
    return templates(request).render(
        request, "measures.html", {"measures": catalogue.measures(lang)}
    )


@router.get("/measures/{code}", name="measure")
def measure(
    request: Request, lang: LangDep, code: Annotated[str, Path(max_length=60, pattern=SAFE_TEXT)]
) -> HTMLResponse:
    data = catalogue.measure(code, lang)
    return templates(request).render(request, "measure.html", {"measure": data})


def api_routes(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The documented routes: method, path, first line of the description, parameters."""
    rows = []
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            text = (op.get("description") or op.get("summary") or "").strip().splitlines()
            params = [p["name"] for p in op.get("parameters", [])]
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": text[0] if text else "",
                    "params": params,
                }
            )
    return rows


@router.get("/developers", name="developers")
def developers(request: Request) -> HTMLResponse:
    """The JSON API at a glance, from the OpenAPI schema."""
    routes = api_routes(request.app.openapi())
    return templates(request).render(request, "developers.html", {"routes": routes})
