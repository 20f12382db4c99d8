"""JSON twins of the pages, under ``/api/``: the same services, the same filters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from maillage.services.portal import nearby
from maillage.services.portal import pages as portal_pages
from maillage.services.portal import table as portal_table
from maillage.services.portal import territory as portal_territory
from maillage.web import measures as catalogue
from maillage.web.i18n import N_, Gettext
from maillage.web.params import MAX_ID, SAFE_TEXT, Db, FiltersDep, LangDep, PlacesQuery
from maillage.web.routes.pages import (
    GeocoderDep,
    ResearchLayer,
    actor_context,
    analysis_block,
    analysis_url,
    figures,
    results,
    territory_code,
    territory_context,
)
from maillage.web.schemas import (
    ActorPage,
    Analysis,
    Explore,
    Home,
    LinkPage,
    Measure,
    PlacesNear,
    SearchResults,
    TablePage,
    TerritoryPage,
    error_answers,
)
from maillage.web.templating import url_for

router = APIRouter(prefix="/api", responses=error_answers(422))
NOT_FOUND = error_answers(404)


class TerritoryAnswer(portal_territory.TerritoryPage):
    """A territory page and where to find its analysis (``None``: no provider)."""

    analysis_url: str | None


Page = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=500)]

HOW_TO = [
    N_("Filter the view by territory, world, category, theme, link kind, period or text."),
    N_(
        "Select an actor on the map or in the network: it is highlighted in both and its card opens."
    ),
    N_("Move the timeline to replay the links year by year."),
    N_("Share the address of the view, embed it, or download it as GeoJSON or CSV."),
]


@router.get("/home", name="api_home", tags=["pages"], response_model=Home)
def home(request: Request, db: Db, lang: LangDep) -> dict[str, Any]:
    """What the map holds (key figures) and how to use it."""
    say = Gettext(lang).gettext
    links = {
        name: url_for(request, name)
        for name in ("api_explore", "map_geojson", "network_json", "api_search")
    }
    return {
        "figures": figures(request, db, lang),
        "how_to": [say(s) for s in HOW_TO],
        "links": links,
    }


def _urls(request: Request, query: dict[str, str]) -> dict[str, str]:
    names = (
        "explore",
        "map_geojson",
        "network_json",
        "export_geojson",
        "export_actors_csv",
        "export_links_csv",
        "embed_map",
        "embed_network",
        "explore_table",
    )
    return {name: url_for(request, name, query) for name in names}


@router.get("/explore", name="api_explore", tags=["pages"], response_model=Explore)
def explore(request: Request, db: Db, lang: LangDep, filters: FiltersDep) -> dict[str, Any]:
    """A filtered view: its first table pages and the URLs of its widgets and exports."""
    tables = results(request, db, lang, filters)
    return {
        "filters": filters.query(),
        "actors": tables["actors"],
        "links": tables["links"],
        "urls": _urls(request, filters.query()),
    }


@router.get("/actors", name="api_actors", tags=["tables"], response_model=TablePage)
def actors(
    db: Db, lang: LangDep, filters: FiltersDep, page: Page = 1, per_page: PerPage = 25
) -> dict[str, Any]:
    """The actors of a view, by name, one page at a time."""
    return portal_table.actor_table(db=db, filters=filters, page=page, per_page=per_page, lang=lang)


@router.get("/links", name="api_links", tags=["tables"], response_model=TablePage)
def links(
    db: Db, lang: LangDep, filters: FiltersDep, page: Page = 1, per_page: PerPage = 25
) -> dict[str, Any]:
    """The links of a view, newest first, one page at a time."""
    return portal_table.link_table(db=db, filters=filters, page=page, per_page=per_page, lang=lang)


@router.get(
    "/actors/{actor_id}",
    responses=NOT_FOUND,
    name="api_actor",
    tags=["pages"],
    response_model=ActorPage,
)
def actor(
    request: Request, db: Db, lang: LangDep, actor_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    """An actor: identity, places, links with evidence, measures; ``analysis_url`` gives
    its measures from the network analysis and its recommended partners."""
    data = actor_context(request, db, actor_id, lang)
    data["analysis_url"] = analysis_url(request, "actor", "api_actor_analysis", actor_id=actor_id)
    return data


@router.get(
    "/actors/{actor_id}/analysis",
    responses=NOT_FOUND,
    name="api_actor_analysis",
    tags=["pages"],
    response_model=Analysis,
)
def actor_analysis(
    request: Request, db: Db, lang: LangDep, actor_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    """An actor's betweenness, constraint and brokerage roles, and its recommended
    partners with their reasons (``status: pending`` while they are being computed)."""
    return analysis_block(request, db, "actor", actor_id, lang)


@router.get(
    "/territories/{code}",
    responses=NOT_FOUND,
    name="api_territory",
    tags=["pages"],
    response_model=TerritoryPage,
)
def territory(
    request: Request,
    db: Db,
    lang: LangDep,
    code: Annotated[str, Path(max_length=60, pattern=SAFE_TEXT)],
    research: ResearchLayer = False,
) -> TerritoryAnswer:
    """A territory (code, postcode or name): indicators, needs, actors by world, mixing
    (the research layer with ``research=true``); ``analysis_url`` gives its measures and
    recommendations from the analysis."""
    page = territory_context(request, db, code, lang, research)
    url = analysis_url(request, "territory", "api_territory_analysis", code=page["code"])
    return {**page, "analysis_url": url}


@router.get(
    "/territories/{code}/analysis",
    responses=NOT_FOUND,
    name="api_territory_analysis",
    tags=["pages"],
    response_model=Analysis,
)
def territory_analysis(
    request: Request,
    db: Db,
    lang: LangDep,
    code: Annotated[str, Path(max_length=60, pattern=SAFE_TEXT)],
) -> dict[str, Any]:
    """A territory's mixing measures and communities, its most valuable missing links
    and the solutions to replicate (``status: pending`` while they are being computed)."""
    found = territory_code(request, db, code)
    return analysis_block(request, db, "territory", found, lang)


@router.get(
    "/links/{link_id}",
    responses=NOT_FOUND,
    name="api_link",
    tags=["pages"],
    response_model=LinkPage,
)
def link(db: Db, lang: LangDep, link_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> dict[str, Any]:
    """A link: kind, both ends, dates, evidence."""
    return portal_pages.link_page(db=db, link_id=link_id, lang=lang)


@router.get("/search", name="api_search", tags=["pages"], response_model=SearchResults)
def search(
    db: Db,
    lang: LangDep,
    geocoder: GeocoderDep,
    q: Annotated[str, Query(max_length=200, pattern=SAFE_TEXT)] = "",
) -> dict[str, Any]:
    """Actors matching a French full-text query (best first) and territories by name,
    postcode or INSEE code (every reading of an ambiguous code); the places nearest to a
    street address (through the geocoder when one is configured; ``address`` says how it
    was searched) or to the first territory when it is a commune (``near``)."""
    if not q.strip():
        return {"query": "", "actors": [], "territories": [], "near": None, "address": None}
    return nearby.search(db=db, query=q, lang=lang, geocoder=geocoder)


@router.get(
    "/places", name="api_places", tags=["pages"], responses=NOT_FOUND, response_model=PlacesNear
)
def places(db: Db, lang: LangDep, near: PlacesQuery, geocoder: GeocoderDep) -> dict[str, Any]:
    """The places nearest to a territory (``near``: postcode, commune name or INSEE code;
    an ambiguous code's other readings in ``readings``), to a street address (``near``,
    through the geocoder when one is configured; ``address`` says how it was searched)
    or to a position (``lat`` and ``lon``, e.g. from the browser's geolocation), nearest
    first, with distance, opening hours, phone, e-mail, services, accessibility and
    directions."""
    return nearby.places_near(
        db=db, key=near.near, latitude=near.lat, longitude=near.lon, limit=near.limit,
        lang=lang, geocoder=geocoder,
    )  # fmt: skip


@router.get("/measures", name="api_measures", tags=["pages"], response_model=list[Measure])
def measures(lang: LangDep) -> list[dict[str, Any]]:
    """Every measure shown by the portal, explained in plain words."""
    return catalogue.measures(lang)


@router.get(
    "/measures/{code}",
    responses=NOT_FOUND,
    name="api_measure",
    tags=["pages"],
    response_model=Measure,
)
def measure(
    lang: LangDep, code: Annotated[str, Path(max_length=60, pattern=SAFE_TEXT)]
) -> dict[str, Any]:
    """One measure explained: what it says, how it is computed, how to read it."""
    return catalogue.measure(code, lang)
