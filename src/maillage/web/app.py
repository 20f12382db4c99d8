"""``create_app(settings)``: the public portal as one FastAPI application.

Everything is built here, from the settings, when the application is created:
the engine, the templates, the caches. Nothing happens at import time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maillage import __version__
from maillage.services.portal.providers import deadline
from maillage.services.portal.territory import TerritoryIndex
from maillage.settings import Settings
from maillage.storage.engine import make_engine
from maillage.web import deployment, errors, security
from maillage.web.access_log import AccessLog
from maillage.web.cache import TTLCache
from maillage.web.deployment import route_path
from maillage.web.export_guard import ExportGuard
from maillage.web.i18n import LanguageMiddleware, as_lang
from maillage.web.providers import Providers, analysis_providers
from maillage.web.routes import (
    accounts,
    api,
    brokers,
    coding,
    comments,
    contributions,
    evaluation,
    first_km,
    health,
    moderation,
    pages,
    solutions,
    surveys,
    widgets,
)
from maillage.web.routes import resources as resource_routes
from maillage.web.templating import Templates

log = logging.getLogger(__name__)

DESCRIPTION = """
maillage maps the actors (economic, associative, public, academic) who co-build answers
to societal needs in French territories, and the links between them.

Every page of the portal has a JSON twin under `/api/`. The map reads GeoJSON
(`/api/map.geojson`), the network reads node-link JSON (`/api/network.json`); both take
the same filters as the explore page. Add `lang=en` for English labels.
"""


def content_security_policy(tile_url: str | None) -> str:
    """Only this server (and the optional tile server) may be reached from a page."""
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        tiles = f" {parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return (
        "default-src 'self'; "
        f"img-src 'self' data: blob:{tiles}; "
        f"connect-src 'self'{tiles}; "
        "worker-src 'self' blob:; "
        "style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'"
    )


class SecurityHeaders:
    """Content-Security-Policy and friends on every answer; embeds may be framed."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.csp = csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        framable = route_path(scope).startswith("/embed/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", self.csp))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                if not framable:
                    headers.append((b"x-frame-options", b"SAMEORIGIN"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AnalysisDeadline:
    """The answers of one request wait for the analysis ``seconds`` in all, not per
    question (:func:`maillage.services.portal.providers.deadline`)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with deadline(self.seconds):
            await self.app(scope, receive, send)


def app_from_environment() -> FastAPI:
    """The portal for ``MAILLAGE_DATABASE_URL`` and the other ``MAILLAGE_*`` variables
    (:data:`maillage.web.deployment.ENVIRONMENT`): the factory for several uvicorn
    workers, ``uvicorn maillage.web.app:app_from_environment --factory --workers 4``."""
    return create_app(deployment.from_environment(), providers=analysis_providers())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up, the territory counts start building in the background (a second or
    two per 100,000 links), so that the first territory pages need not read every link,
    the templates are compiled, and the analysis of the database (measures,
    recommendations, brokers) starts, or is read back from disk, all in the background.
    At shutdown the analysis stops."""
    threading.Thread(target=app.state.templates.compile_all, daemon=True).start()
    try:
        app.state.territory_index.get(app.state.engine)
    except Exception:  # a database that cannot answer yet: pages will say so
        log.exception("territory index not started")
    analysis = app.state.providers.analysis
    if analysis is not None:
        try:
            analysis.start(app.state.engine)
        except Exception:  # a database that cannot answer yet: the first question retries
            log.exception("analysis not started")
    yield
    if analysis is not None:
        analysis.close()


def create_app(
    settings: Settings,
    *,
    engine: sa.Engine | None = None,
    providers: Providers | None = None,
) -> FastAPI:
    """The portal for ``settings`` (database URL, language, optional tile URL, root path,
    public URL, trusted hosts, export limits).

    ``engine`` replaces the one built from ``settings.database_url`` (tests);
    ``providers`` plugs in measures and recommendations from the analysis.
    Raises InvalidInput for a setting that cannot be used.
    """
    settings = deployment.checked(settings)
    app = FastAPI(
        lifespan=lifespan,
        title="maillage",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # Swagger UI loads from a CDN: /developers lists the API instead
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # The schema names the public URL when there is one, else the root path.
        servers=[{"url": settings.public_url}] if settings.public_url else None,
        root_path_in_servers=not settings.public_url,
        dependencies=[Depends(security.identify)],  # who asks; CSRF of unsafe methods
    )
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(settings.database_url)
    app.state.templates = Templates(tile_url=settings.tile_url)
    app.state.providers = providers or Providers()
    app.state.cache = TTLCache(seconds=60)
    app.state.pages = TTLCache(seconds=600, size=8192)  # entity pages, by data version
    app.state.territory_index = TerritoryIndex()
    app.state.views = TTLCache(seconds=600, size=32)  # map and network data: up to megabytes
    app.state.export_guard = ExportGuard(settings)
    errors.install(app)
    static = resources.files("maillage.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    # Every route declares its permission (maillage.model.permissions): the public
    # reads here, each account route its own.
    for router in (pages.router, brokers.router, widgets.router, api.router, health.router):
        app.include_router(router, dependencies=[security.require("read")])
    app.include_router(accounts.router)
    app.include_router(accounts.api_router)
    for router in (comments.router, comments.api_router, moderation.router, moderation.api_router):
        app.include_router(router)  # debate: each route declares its own permission
    app.include_router(contributions.router)  # proposals, moderation (issue 20 item 2)
    app.include_router(contributions.api_router)
    app.include_router(surveys.router)  # relationship surveys (issue 20 item 4)
    app.include_router(surveys.api_router)
    app.include_router(coding.router)  # qualitative coding, the hypotheses (issue 22 items 4-5)
    app.include_router(coding.api_router)
    for router in (
        solutions.router,
        solutions.api_router,
        evaluation.router,
        evaluation.api_router,
    ):
        app.include_router(router)  # solutions and their evaluation (issue 23): own permissions
    app.include_router(resource_routes.router)  # resource centre (issue 22 items 1-3)
    app.include_router(first_km.router)  # the first kilometre (issue 22 item 6): own permissions
    app.include_router(resource_routes.api_router)
    security.install(app, settings)  # sessions, rate limits: inside the middlewares below
    if app.state.providers.analysis is not None:
        app.add_middleware(AnalysisDeadline, seconds=app.state.providers.analysis.wait)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(LanguageMiddleware, default=as_lang(settings.language) or "fr")
    app.add_middleware(SecurityHeaders, csp=content_security_policy(settings.tile_url))
    app.add_middleware(deployment.RelativeRedirects, public_url=settings.public_url)
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=deployment.trusted_hosts(settings), www_redirect=False
    )
    app.add_middleware(deployment.RootPath, root_path=settings.root_path)
    app.add_middleware(AccessLog)  # outermost: every answer is logged, refusals included
    return app
