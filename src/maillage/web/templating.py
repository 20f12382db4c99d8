"""Jinja2 templates: one environment per application, rendered in the request's language.

Templates get ``_``/``ngettext``/``num``/``pct`` in the request's language, ``url`` (the
one helper that builds internal URLs, over ``request.url_for``), ``static`` and the
colours and labels of the four worlds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from maillage.services.portal import label
from maillage.web.i18n import LANGUAGES, Gettext, Lang

# Colour-blind-safe hues, each at least 3:1 against the white page and the light map.
WORLD_COLOURS = {
    "economic": "#b45309",
    "associative": "#047857",
    "public": "#1d4ed8",
    "academic": "#a21caf",
}
UNKNOWN_COLOUR = "#57534e"
KIND_COLOURS = {
    "partnership": "#57534e",
    "funding": "#b45309",
    "public_contract": "#7c3aed",
    "membership": "#0f766e",
    "governance": "#9f1239",
    "joint_project": "#2563eb",
    "research_collaboration": "#a21caf",
    "exchange_of_practice": "#4d7c0f",
    "other": "#78716c",
}


def request_lang(request: Request) -> Lang:
    """The language chosen for this request by the language middleware."""
    lang = getattr(request.state, "lang", "fr")
    return lang if lang in LANGUAGES else "fr"


def url_for(
    request: Request, name: str, query: Mapping[str, Any] | None = None, **path: Any
) -> str:
    """The URL of route ``name`` with ``path`` parameters and an optional query string.

    Empty query values are left out so that shared URLs stay short.
    """
    url = str(request.url_for(name, **{k: str(v) for k, v in path.items()}))
    pairs = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return f"{url}?{urlencode(pairs, doseq=True)}" if pairs else url


def worlds(lang: Lang) -> list[dict[str, str]]:
    """The four worlds with code, label and colour, in taxonomy order."""
    return [
        {"code": code, "label": label("worlds", code, lang) or code, "colour": colour}
        for code, colour in WORLD_COLOURS.items()
    ]


class Templates:
    """The application's Jinja2 environment and its ``render`` function."""

    def __init__(self, *, tile_url: str | None = None) -> None:
        self.env = Environment(
            loader=PackageLoader("maillage.web", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.tile_url = tile_url

    def context(self, request: Request) -> dict[str, Any]:
        lang = request_lang(request)
        other: Lang = "en" if lang == "fr" else "fr"
        return {
            "request": request,
            "lang": lang,
            "other_lang": other,
            "switch_url": str(request.url.include_query_params(lang=other)),
            "url": lambda name, query=None, **path: url_for(request, name, query, **path),
            "static": lambda path: url_for(request, "static", path=path),
            "worlds": worlds(lang),
            "world_colours": WORLD_COLOURS,
            "kind_colours": KIND_COLOURS,
            "unknown_colour": UNKNOWN_COLOUR,
            "tile_url": self.tile_url,
            **Gettext(lang).functions(),
        }

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """Render template ``name`` into an HTML response."""
        template = self.env.get_template(name)
        html = template.render({**self.context(request), **(context or {})})
        return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
