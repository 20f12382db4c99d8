"""A territory's brokers and the proposals for its white zones: the page, the fragment it
asks again while the analysis is computed, and the JSON twin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from maillage.services import portal
from maillage.services.portal import brokers as portal_brokers
from maillage.services.portal import territory as portal_territory
from maillage.web.i18n import Lang
from maillage.web.params import SAFE_TEXT, Db, LangDep
from maillage.web.providers import Providers
from maillage.web.routes.pages import pages_cache, templates
from maillage.web.schemas import error_answers
from maillage.web.templating import url_for

router = APIRouter(responses=error_answers(422))
TerritoryKey = Annotated[str, Path(max_length=60, pattern=SAFE_TEXT)]
Theme = Annotated[
    str | None,
    Query(
        max_length=100, pattern=SAFE_TEXT, description="Thème (code de l'arbre des thèmes) / theme"
    ),
]


def brokers_context(
    request: Request, db: Any, lang: Lang, code: str, theme: str | None
) -> dict[str, Any]:
    """The territory, its brokers (of ``theme``) and the proposals for its white zones
    (its needs cached until the data change, apart from its page: the brokers need
    none of the page's counts)."""
    page = pages_cache(request).get(
        ("territory-needs", code, lang, portal.data_version(db=db)),
        lambda: portal_territory.territory_needs(db=db, key=code, lang=lang),
    )
    hooks: Providers = request.app.state.providers
    theme = theme or None
    return {
        "territory": {"code": page["code"], "name": page["name"], "level": page["level"]},
        "brokers": portal_brokers.territory_brokers(
            analysis=hooks.analysis, db=db, code=page["code"], lang=lang, theme=theme
        ),
        "proposals": portal_brokers.white_zone_proposals(
            analysis=hooks.analysis,
            db=db,
            code=page["code"],
            white_zones=page["white_zones"],
            lang=lang,
        ),
    }


def _render(
    request: Request, name: str, context: dict[str, Any], theme: str | None, lang: Lang
) -> HTMLResponse:
    code = context["territory"]["code"]
    context["again"] = url_for(request, "territory_brokers_part", {"theme": theme}, code=code)
    context["themes"] = portal.terms("themes", lang)
    return templates(request).render(request, name, context)


@router.get(
    "/territories/{code}/brokers",
    name="territory_brokers",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def brokers_page(
    request: Request, db: Db, lang: LangDep, code: TerritoryKey, theme: Theme = None
) -> HTMLResponse:
    """Who bridges the territory's worlds, and who could cover each of its white zones."""
    context = brokers_context(request, db, lang, code, theme)
    return _render(request, "territory_brokers.html", context, theme, lang)


@router.get(
    "/territories/{code}/brokers/part",
    name="territory_brokers_part",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def brokers_part(
    request: Request, db: Db, lang: LangDep, code: TerritoryKey, theme: Theme = None
) -> HTMLResponse:
    """The tables of the brokers page (an HTML fragment asked again while pending)."""
    context = brokers_context(request, db, lang, code, theme)
    return _render(request, "_brokers.html", context, theme, lang)


@router.get(
    "/api/territories/{code}/brokers",
    name="api_territory_brokers",
    tags=["pages"],
    responses=error_answers(404),
)
def brokers_api(
    request: Request, db: Db, lang: LangDep, code: TerritoryKey, theme: Theme = None
) -> dict[str, Any]:
    """A territory's brokers (betweenness, Burt's constraint, Gould-Fernandez roles, each
    explained), for the actors of ``theme`` when given, and for each white zone the
    nearest places, the carriers and funders active in the territory and cross-world
    alliances with their reasons (``status: pending`` while they are being computed)."""
    return brokers_context(request, db, lang, code, theme)
