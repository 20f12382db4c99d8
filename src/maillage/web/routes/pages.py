"""HTML pages. Each calls the same service as its JSON twin in :mod:`routes.api`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from maillage.services import first_km, geography, portal
from maillage.services.actors import get_actor
from maillage.services.filters import Filters
from maillage.services.geocoding import Geocoder
from maillage.services.portal import geo as portal_geo
from maillage.services.portal import nearby
from maillage.services.portal import pages as portal_pages
from maillage.services.portal import table as portal_table
from maillage.services.portal import territory as portal_territory
from maillage.web import measures as catalogue
from maillage.web.cache import TTLCache
from maillage.web.i18n import Lang
from maillage.web.params import MAX_ID, SAFE_TEXT, Db, FiltersDep, LangDep, PlacesQuery
from maillage.web.providers import Providers, block
from maillage.web.routes import solutions as solution_routes
from maillage.web.templating import Templates, url_for

T = TypeVar("T")
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

ActorId = Annotated[int, Path(ge=1, le=MAX_ID)]
Page = Annotated[int, Query(ge=1, le=100_000)]


@dataclass(frozen=True)
class TablePages:
    """The page asked for of each table of a view (``actors_page``, ``links_page``)."""

    actors: int
    links: int


def table_pages(actors_page: Page = 1, links_page: Page = 1) -> TablePages:
    return TablePages(actors_page, links_page)


PagesDep = Annotated[TablePages, Depends(table_pages)]


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


@router.api_route("/", methods=["GET", "HEAD"], name="home")  # HEAD: uptime probes
def home(request: Request, db: Db, lang: LangDep) -> HTMLResponse:
    context = {"figures": figures(request, db, lang), "addresses": addresses(request)}
    return templates(request).render(request, "home.html", context)


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
        "network_query": {k: v for k, v in filters.query().items() if k != "year"},
        "territory_name": territory,
        "menus": menus(lang),
        "indicators": portal_geo.indicator_keys(db=db),
        "first_year": first or 2000,
        "last_year": last or 2025,
    }


@router.get("/explore", name="explore")
def explore(
    request: Request, db: Db, lang: LangDep, filters: FiltersDep, pages: PagesDep
) -> HTMLResponse:
    context = explore_context(request, db, lang, filters)
    context.update(results(request, db, lang, filters, (pages.actors, pages.links)))
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
    request: Request, db: Db, lang: LangDep, filters: FiltersDep, pages: PagesDep
) -> HTMLResponse:
    """The summary and tables of a view (the htmx target of the filter bar)."""
    context = results(request, db, lang, filters, (pages.actors, pages.links))
    return templates(request).render(request, "_results.html", context)


@router.get("/explore/table", name="explore_table")
def explore_table(
    request: Request, db: Db, lang: LangDep, filters: FiltersDep, pages: PagesDep
) -> HTMLResponse:
    """The view as text only: every actor and link, 100 per page."""
    context = {
        "actors": portal_table.actor_table(
            db=db, filters=filters, page=pages.actors, per_page=100, lang=lang
        ),
        "links": portal_table.link_table(
            db=db, filters=filters, page=pages.links, per_page=100, lang=lang
        ),
        "query": filters.query(),
        "filters": filters,
    }
    return templates(request).render(request, "table.html", context)


ResearchLayer = Annotated[
    bool, Query(description="Montrer la couche du réseau de recherche (ANR) / research layer")
]


def territory_context(
    request: Request, db: sa.Engine, key: str, lang: Lang, research: bool = False
) -> portal_territory.TerritoryPage:
    """A territory's page data, cached until the data change (mixing over a large
    territory reads every link inside it); the research layer off unless asked for."""
    return pages_cache(request).get(
        ("territory", key, lang, research, portal.data_version(db=db)),
        lambda: portal_territory.territory_page(
            db=db, key=key, lang=lang, index=request.app.state.territory_index,
            research=research,
        ),
    )  # fmt: skip


def pages_cache(request: Request) -> TTLCache:
    """The cache of entity pages (thousands of territories: larger than the main one)."""
    found: TTLCache = request.app.state.pages
    return found


def actor_context(request: Request, db: sa.Engine, actor_id: int, lang: Lang) -> dict[str, Any]:
    data = portal_pages.actor_page(db=db, actor_id=actor_id, lang=lang)
    data["measures"] = catalogue.explain(data["measures"], lang)
    return data


def analysis_block(
    request: Request, db: sa.Engine, kind: str, key: Any, lang: Lang
) -> dict[str, Any]:
    """Measures and recommendations of the providers for an actor or a territory, with
    their state and age (:func:`maillage.web.providers.block`)."""
    hooks: Providers = request.app.state.providers
    wanted: tuple[Any, Any]
    if kind == "actor":
        get_actor(db=db, actor_id=key)  # an unknown or deleted actor: NotFound (404)
        wanted = (hooks.actor_measures, hooks.actor_recommendations)
    else:
        wanted = (hooks.territory_measures, hooks.territory_recommendations)
    found = block(wanted, db, key, lang)
    measures, recommendations = found.pop("rows")
    return {
        **found,
        "measures": catalogue.explain(list(measures), lang),
        "recommendations": list(recommendations),
    }


def analysis_url(request: Request, kind: str, name: str, **path: Any) -> str | None:
    """URL of the analysis block when providers are plugged in, else None."""
    hooks: Providers = request.app.state.providers
    wanted = hooks.any_actor() if kind == "actor" else hooks.any_territory()
    return url_for(request, name, **path) if wanted else None


@router.get("/actors/{actor_id}", name="actor")
def actor(request: Request, db: Db, lang: LangDep, actor_id: ActorId) -> HTMLResponse:
    data = actor_context(request, db, actor_id, lang)
    more = analysis_url(request, "actor", "actor_analysis", actor_id=actor_id)
    return templates(request).render(request, "actor.html", {"actor": data, "analysis_url": more})


@router.get("/actors/{actor_id}/analysis", name="actor_analysis")
def actor_analysis(request: Request, db: Db, lang: LangDep, actor_id: ActorId) -> HTMLResponse:
    """The actor's measures from the analysis and its recommended partners (an HTML
    fragment fetched after the page; it asks again while they are being computed)."""
    data = analysis_block(request, db, "actor", actor_id, lang)
    again = url_for(request, "actor_analysis", actor_id=actor_id)
    context = {"analysis": data, "kind": "actor", "again": again}
    return templates(request).render(request, "_analysis.html", context)


@router.get("/actors/{actor_id}/card", name="actor_card")
def actor_card(request: Request, db: Db, lang: LangDep, actor_id: ActorId) -> HTMLResponse:
    """The actor's card on the explore page (an HTML fragment)."""
    data = portal_pages.actor_card(db=db, actor_id=actor_id, lang=lang)
    return templates(request).render(request, "_card.html", {"actor": data})


TerritoryKey = Annotated[str, Path(max_length=60, pattern=SAFE_TEXT)]


def territory_code(request: Request, db: sa.Engine, key: str) -> str:
    """The code of a territory given by code, postcode or name. Raises NotFound."""
    return cache(request).get(
        ("territory_code", key), lambda: geography.territory_code(db=db, key=key)
    )


@router.get("/territories/{code}", name="territory")
def territory(
    request: Request, db: Db, lang: LangDep, code: TerritoryKey, research: ResearchLayer = False
) -> HTMLResponse:
    data = territory_context(request, db, code, lang, research)
    more = analysis_url(request, "territory", "territory_analysis", code=data["code"])
    answering = solution_routes.for_uncovered_needs(db, data["needs"], data["code"], lang)
    observed = first_km.observed_needs(db=db, code=data["code"], lang=lang)
    context = {"territory": data, "analysis_url": more, "answering": answering,
               "observed": observed}  # fmt: skip
    return templates(request).render(request, "territory.html", context)


@router.get("/territories/{code}/analysis", name="territory_analysis")
def territory_analysis(request: Request, db: Db, lang: LangDep, code: TerritoryKey) -> HTMLResponse:
    """The territory's measures from the analysis, its missing links and the solutions
    to replicate (an HTML fragment fetched after the page)."""
    found = territory_code(request, db, code)
    data = analysis_block(request, db, "territory", found, lang)
    again = url_for(request, "territory_analysis", code=found)
    context = {"analysis": data, "kind": "territory", "again": again}
    return templates(request).render(request, "_analysis.html", context)


@router.get("/links/{link_id}", name="link")
def link(
    request: Request, db: Db, lang: LangDep, link_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> HTMLResponse:
    data = portal_pages.link_page(db=db, link_id=link_id, lang=lang)
    return templates(request).render(request, "link.html", {"link": data})


def address_geocoder(request: Request) -> Geocoder | None:
    """The deployment's address geocoder (``geocoder_url``), made on first use and kept
    with its cache; None without one (addresses are then not searched)."""
    state = request.app.state
    if not state.settings.geocoder_url:
        return None
    found: Geocoder | None = getattr(state, "geocoder", None)
    if found is None:
        found = state.geocoder = Geocoder(state.settings.geocoder_url)
    return found


GeocoderDep = Annotated[Geocoder | None, Depends(address_geocoder)]


def addresses(request: Request) -> bool:
    """Whether street addresses are searched (a geocoder is configured): the forms say so."""
    return bool(request.app.state.settings.geocoder_url)


@router.get("/search", name="search")
def search(
    request: Request,
    db: Db,
    lang: LangDep,
    geocoder: GeocoderDep,
    q: Annotated[str, Query(max_length=200, pattern=SAFE_TEXT)] = "",
) -> HTMLResponse:
    found = nearby.search(db=db, query=q, lang=lang, geocoder=geocoder) if q.strip() else None
    name = "_search_results.html" if request.headers.get("hx-request") else "search.html"
    context = {"q": q, "found": found, "addresses": geocoder is not None}
    return templates(request).render(request, name, context)


@router.get("/places", name="places")
def places(
    request: Request, db: Db, lang: LangDep, near: PlacesQuery, geocoder: GeocoderDep
) -> HTMLResponse:
    """The places nearest to a territory, a street address (with a geocoder) or the
    visitor's position ("around me")."""
    found = None
    if near.near or (near.lat is not None and near.lon is not None):
        found = nearby.places_near(
            db=db, key=near.near, latitude=near.lat, longitude=near.lon, limit=near.limit,
            lang=lang, geocoder=geocoder,
        )  # fmt: skip
    context = {"query": near, "found": found, "addresses": geocoder is not None}
    return templates(request).render(request, "places.html", context)


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


def summary_parts(description: str) -> list[tuple[str, bool]]:
    """The first paragraph of a route's description, its lines joined, as ``(text, is
    code)`` pieces: reST literals (between double backquotes) are code, the rest plain text."""
    paragraph = description.strip().split("\n\n", 1)[0]
    text = " ".join(line.strip() for line in paragraph.splitlines())
    pieces = text.split("``")  # odd indexes: the literals
    return [(piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece]


def api_routes(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The documented routes: method, path, first paragraph of the description (see
    :func:`summary_parts`), parameters."""
    rows = []
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            params = [p["name"] for p in op.get("parameters", [])]
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": summary_parts(op.get("description") or op.get("summary") or ""),
                    "params": params,
                }
            )
    return rows


@router.get("/developers", name="developers")
def developers(request: Request) -> HTMLResponse:
    """The JSON API at a glance, from the OpenAPI schema."""
    routes = api_routes(request.app.openapi())
    return templates(request).render(request, "developers.html", {"routes": routes})
