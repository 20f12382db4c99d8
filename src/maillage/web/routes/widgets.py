"""Data of the map and network widgets, exports of a view, and the embeddable views."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from maillage.services import portal
from maillage.services.filters import Filters
from maillage.services.portal import export as portal_export
from maillage.services.portal import geo as portal_geo
from maillage.web.cache import TTLCache
from maillage.web.export_guard import ExportGuard
from maillage.web.params import SAFE_TEXT, Db, FiltersDep, LangDep
from maillage.web.routes.pages import cache, cached, explore_context, templates
from maillage.web.schemas import TOO_LARGE, FeatureCollection, NodeLink, Shading, error_answers

T = TypeVar("T")
router = APIRouter(responses=error_answers(422))
EXPORT_ERRORS = error_answers(422, 429, more=TOO_LARGE)

GEOJSON = "application/geo+json"


def encoded(data: Any) -> bytes:
    """Compact UTF-8 JSON, ready to send again from the cache (orjson: a megabyte of
    node-link JSON in milliseconds)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


@dataclass(frozen=True, slots=True)
class Body:
    """An answer kept in the cache as sent: plain, and compressed once (gzip of two
    megabytes costs some 50 ms, which every request would pay in the middleware)."""

    plain: bytes
    gzipped: bytes

    @classmethod
    def of(cls, data: Any) -> Body:
        plain = encoded(data)
        return cls(plain, gzip.compress(plain, compresslevel=6, mtime=0))

    def response(self, request: Request, media_type: str) -> Response:
        """The compressed body when the client takes gzip (the middleware then leaves
        it as it is), else the plain one."""
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return Response(self.gzipped, media_type=media_type, headers=headers)
        return Response(self.plain, media_type=media_type, headers={"Vary": "Accept-Encoding"})


def view_key(filters: Filters) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(filters.query().items()))


def in_views(request: Request, db: Db, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """A widget's data cached until the data change, in the small cache of big answers."""
    views: TTLCache = request.app.state.views
    return views.get((*key, portal.data_version(db=db)), compute, seconds=600)


def _json(data: Any, media_type: str = "application/json", max_age: int = 0) -> JSONResponse:
    headers = {"Cache-Control": f"public, max-age={max_age}"} if max_age else {}
    return JSONResponse(data, media_type=media_type, headers=headers)


def _filename(filters: Filters, suffix: str) -> str:
    parts = [
        v.replace(":", "-")
        for k, v in filters.query().items()
        if k in ("territory", "world", "kind")
    ]
    stem = "-".join(["maillage", *parts])
    return "".join(c for c in stem if c.isalnum() or c in "-_") + suffix


@router.get(
    "/api/map.geojson",
    name="map_geojson",
    tags=["widgets"],
    response_model=FeatureCollection,
    responses={200: {"content": {GEOJSON: {}}}},
)
def map_geojson(request: Request, db: Db, filters: FiltersDep) -> Response:
    """Actors of the view as points coloured by world, or aggregates above 5,000 actors
    (``meta.mode``: ``actors`` or ``aggregated``; ``meta.level``: commune or departement)."""
    key = ("map", view_key(filters))
    body = in_views(request, db, key, lambda: Body.of(portal.map_geojson(db=db, filters=filters)))
    return body.response(request, GEOJSON)


@router.get("/api/network.json", name="network_json", tags=["widgets"], response_model=NodeLink)
def network_json(request: Request, db: Db, filters: FiltersDep) -> Response:
    """Node-link JSON of the view with laid-out positions (``x``, ``y``); aggregated by
    territory and world above 5,000 actors. Layouts are cached until the data change."""
    key = ("network", view_key(filters))
    body = in_views(request, db, key, lambda: Body.of(portal.network_json(db=db, filters=filters)))
    return body.response(request, "application/json")


@router.get(
    "/api/boundaries/{level}.geojson",
    name="boundaries",
    tags=["widgets"],
    response_model=FeatureCollection,
    responses={200: {"content": {GEOJSON: {}}}},
)
def boundaries(request: Request, db: Db, level: Literal["region", "departement"]) -> Response:
    """Simplified boundaries of the régions or départements (shipped open data)."""
    data = cache(request).get(
        ("boundaries", level), lambda: portal_geo.boundaries(db=db, level=level), seconds=3600
    )
    return _json(data, GEOJSON, max_age=3600)


@router.get(
    "/api/communes.geojson",
    name="communes",
    tags=["widgets"],
    response_model=FeatureCollection,
    responses={200: {"content": {GEOJSON: {}}}},
)
def communes(
    bbox: Annotated[str, Query(max_length=80, pattern=r"^[0-9eE.,+-]+$")] = "-180,-90,180,90",
) -> Response:
    """Names and centres of the communes in ``bbox`` (``west,south,east,north``, widened
    to a 0.05° grid; by default the whole world), the 300 most populated first (shipped
    open data): the map writes them at street zoom when it has no tile server."""
    return _json(portal_geo.communes_in(portal_geo.commune_box(bbox)), GEOJSON, max_age=86400)


@router.get("/api/shading.json", name="shading", tags=["widgets"], response_model=Shading)
def shading(
    request: Request,
    db: Db,
    filters: FiltersDep,
    measure: Annotated[str, Query(max_length=110, pattern=SAFE_TEXT)] = "actors",
) -> Response:
    """Values per département to shade the map: ``actors``, ``cross_world`` or ``indicator:<key>``."""
    key = ("shading", measure, view_key(filters))
    return _json(
        cached(
            request, db, key, lambda: portal_geo.shading(db=db, measure=measure, filters=filters)
        )
    )


def guard(request: Request) -> ExportGuard:
    """The application's export guard (rate limit and row cap)."""
    found: ExportGuard = request.app.state.export_guard
    return found


def admit_export(request: Request) -> None:
    """Count an export for the client, before any work. Raises Refused (429)."""
    guard(request).admit(request)


Admitted = Annotated[None, Depends(admit_export)]


def _stream(chunks: Any, media_type: str, filename: str) -> StreamingResponse:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


@router.get(
    "/api/export/view.geojson",
    name="export_geojson",
    tags=["exports"],
    responses={200: {"content": {GEOJSON: {}}}, **EXPORT_ERRORS},
)
def export_geojson(_: Admitted, request: Request, db: Db, filters: FiltersDep) -> StreamingResponse:
    """Every actor (points) and link (lines) of the view, never aggregated. At most
    ``MAILLAGE_EXPORT_MAX_ROWS`` actors and links (else 422); a limited number of
    exports per client and minute (else 429)."""
    filters, actors, links = portal_export.view_data(db=db, filters=filters)
    guard(request).check_size(len(actors) + len(links))
    chunks = portal_export.generate_geojson(filters, actors, links)
    return _stream(chunks, GEOJSON, _filename(filters, ".geojson"))


@router.get(
    "/api/export/actors.csv",
    name="export_actors_csv",
    tags=["exports"],
    responses={200: {"content": {"text/csv": {}}}, **EXPORT_ERRORS},
)
def export_actors_csv(
    _: Admitted, request: Request, db: Db, filters: FiltersDep
) -> StreamingResponse:
    """Every actor of the view as CSV (UTF-8, comma). At most ``MAILLAGE_EXPORT_MAX_ROWS``
    rows (else 422); a limited number of exports per client and minute (else 429)."""
    filters, actors, _links = portal_export.view_data(db=db, filters=filters)
    guard(request).check_size(len(actors))
    chunks = portal_export.generate_csv(actors, portal_export.ACTOR_COLUMNS)
    return _stream(chunks, "text/csv; charset=utf-8", _filename(filters, "-acteurs.csv"))


@router.get(
    "/api/export/links.csv",
    name="export_links_csv",
    tags=["exports"],
    responses={200: {"content": {"text/csv": {}}}, **EXPORT_ERRORS},
)
def export_links_csv(
    _: Admitted, request: Request, db: Db, filters: FiltersDep
) -> StreamingResponse:
    """Every link of the view as CSV (UTF-8, comma). At most ``MAILLAGE_EXPORT_MAX_ROWS``
    rows (else 422); a limited number of exports per client and minute (else 429)."""
    filters, _actors, links = portal_export.view_data(db=db, filters=filters)
    guard(request).check_size(len(links))
    chunks = portal_export.generate_csv(links, portal_export.LINK_COLUMNS)
    return _stream(chunks, "text/csv; charset=utf-8", _filename(filters, "-liens.csv"))


@router.get("/embed/map", name="embed_map", response_class=HTMLResponse, include_in_schema=False)
def embed_map(request: Request, db: Db, lang: LangDep, filters: FiltersDep) -> HTMLResponse:
    """The map of a view, alone, for an iframe."""
    context = explore_context(request, db, lang, filters)
    return templates(request).render(request, "embed.html", {**context, "widget": "map"})


@router.get(
    "/embed/network", name="embed_network", response_class=HTMLResponse, include_in_schema=False
)
def embed_network(request: Request, db: Db, lang: LangDep, filters: FiltersDep) -> HTMLResponse:
    """The network of a view, alone, for an iframe."""
    context = explore_context(request, db, lang, filters)
    return templates(request).render(request, "embed.html", {**context, "widget": "network"})
