"""Jinja2 templates: one environment per application, rendered in the request's language.

Templates get ``_``/``ngettext``/``num``/``pct`` in the request's language, ``url`` (the
one helper that builds internal URLs: from the root path, or under the public URL),
``static`` and the colours and labels of the four worlds and of the link kinds, read from the taxonomies
(:func:`maillage.model.taxonomy.colour`): ``colour(name, code)`` for a swatch,
``world_colours``/``kind_colours``/``unknown_colour`` for the widgets' data attributes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2 import BytecodeCache, Environment, PackageLoader, select_autoescape
from jinja2.bccache import Bucket
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount

from maillage.model import taxonomy
from maillage.web.deployment import route_path, tile_server
from maillage.web.i18n import LANGUAGES, Gettext, Lang
from maillage.web.providers import age

_PARAM = re.compile(r"{([^}]+)}")


def request_lang(request: Request) -> Lang:
    """The language chosen for this request by the language middleware."""
    lang = getattr(request.state, "lang", "fr")
    return lang if lang in LANGUAGES else "fr"


def _named_routes(routes: Any) -> Any:
    """Every route with a name, routers included by FastAPI walked through, in order."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        else:
            yield route


def _route_table(request: Request) -> dict[str, tuple[str, dict[str, Any], bool]]:
    """``{name: (path format, convertors, is a mount)}`` of the application's routes, first
    of each name (as Starlette resolves them), built once per application."""
    state = request.app.state
    table: dict[str, tuple[str, dict[str, Any], bool]] | None = getattr(state, "url_table", None)
    if table is None:
        table = {}
        for route in _named_routes(request.app.router.routes):
            name, fmt = getattr(route, "name", None), getattr(route, "path_format", None)
            convertors = getattr(route, "param_convertors", None)
            if name and fmt is not None and convertors is not None:
                is_mount = isinstance(route, Mount)
                if not is_mount or not getattr(route, "routes", None):
                    table.setdefault(name, (fmt, convertors, is_mount))
        state.url_table = table
    return table


def _base(request: Request) -> str:
    """What the portal's URLs start with: the configured public URL (root path included),
    else the root path alone. Never the request's scheme and ``Host`` header, which the
    client chooses (a forged one would otherwise end up in shared links and caches)."""
    public: str | None = request.app.state.settings.public_url
    if public:
        return public
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def url_path(request: Request, name: str, path: Mapping[str, Any]) -> str:
    """The path of route ``name`` (a dictionary look-up instead of Starlette's walk over
    every route, which raises and catches an exception per route that does not match)."""
    found = _route_table(request).get(name)
    if found is not None:
        fmt, convertors, is_mount = found
        params = {k: str(v) for k, v in path.items()}
        if is_mount and "path" in params:
            params["path"] = params["path"].lstrip("/")
        parts = _PARAM.split(fmt)
        if set(parts[1::2]) == set(params):
            for i in range(1, len(parts), 2):
                parts[i] = convertors[parts[i]].to_string(params[parts[i]])
            return "".join(parts)
    return str(request.app.url_path_for(name, **{k: str(v) for k, v in path.items()}))


def url_for(
    request: Request,
    name: str,
    query: Mapping[str, Any] | None = None,
    base: str | None = None,
    **path: Any,
) -> str:
    """The URL of route ``name`` with ``path`` parameters and an optional query string.

    Empty query values are left out so that shared URLs stay short. ``base`` is
    :func:`_base` of the request when the caller already has it.
    """
    url = (base if base is not None else _base(request)) + url_path(request, name, path)
    pairs = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return f"{url}?{urlencode(pairs, doseq=True)}" if pairs else url


def worlds(lang: Lang) -> list[dict[str, str]]:
    """The four worlds with code, label and colour, in taxonomy order."""
    return [
        {"code": t.code, "label": t.label(lang), "colour": taxonomy.colour("worlds", t.code)}
        for t in taxonomy.load("worlds")
    ]


def legend(name: str, lang: Lang) -> list[dict[str, str]]:
    """Every colour the portal draws for taxonomy ``name`` (``worlds``, ``link_kinds``):
    ``[{"code", "label", "colour"}]`` in taxonomy order, then the ``unknown`` entry (a
    record with no value), so that a legend names each colour a widget may draw."""
    unknown = taxonomy.unknown(name)
    return [
        *({"code": t.code, "label": t.label(lang), "colour": taxonomy.colour(name, t.code)}
          for t in taxonomy.load(name)),
        {"code": "unknown", "label": unknown.label(lang), "colour": taxonomy.colour(name, None)},
    ]  # fmt: skip


def world_names(lang: Lang) -> dict[str, str]:
    """Code -> label of the worlds, ``unknown`` ("Non renseigné") included."""
    names = {t.code: t.label(lang) for t in taxonomy.load("worlds")}
    return {**names, "unknown": taxonomy.unknown("worlds").label(lang)}


class _CompiledTemplates(BytecodeCache):
    """Compiled templates kept in memory for the :class:`Templates` environments of the
    process: each application compiles all its templates at start
    (:meth:`Templates.compile_all`), and a process that makes several (the tests make
    hundreds) compiles each template once. Jinja keys a template by its name and checks
    its source's checksum on load; the options that shape the compiled code (autoescape,
    trim_blocks, lstrip_blocks) are those of :class:`Templates`, the same for all, which
    alone uses this cache."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class Templates:
    """The application's Jinja2 environment and its ``render`` function."""

    def __init__(self, *, tile_url: str | None = None) -> None:
        self.env = Environment(
            loader=PackageLoader("maillage.web", "templates"),
            autoescape=select_autoescape(["html"]),
            auto_reload=False,  # packaged templates: no file check on every render
            bytecode_cache=_COMPILED,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.tile_url = tile_url
        self.tiles = tile_server(tile_url)  # its credit, shown by the map
        self.env.globals["colour"] = taxonomy.colour
        self.env.globals["age"] = age  # "il y a 3 minutes": when an analysis was computed

    def compile_all(self) -> None:
        """Compile every template now (a burst of first requests would each compile them)."""
        for name in self.env.list_templates(extensions=["html"]):
            self.env.get_template(name)

    def context(self, request: Request) -> dict[str, Any]:
        lang = request_lang(request)
        other: Lang = "en" if lang == "fr" else "fr"
        base = _base(request)
        switched = request.url.include_query_params(lang=other)
        return {
            "request": request,
            "lang": lang,
            "other_lang": other,
            "switch_url": f"{base}{route_path(request.scope)}?{switched.query}",
            "url": lambda name, query=None, **path: url_for(request, name, query, base, **path),
            "static": lambda path: url_for(request, "static", None, base, path=path),
            "worlds": worlds(lang),
            "world_names": world_names(lang),
            "legends": {name: legend(name, lang) for name in ("worlds", "link_kinds")},
            "world_colours": dict(taxonomy.colours("worlds")),
            "kind_colours": dict(taxonomy.colours("link_kinds")),
            "unknown_colour": taxonomy.colour("worlds", None),
            "unknown_kind_colour": taxonomy.colour("link_kinds", None),
            "tile_url": self.tile_url,
            "tile_attribution": self.tiles.attribution if self.tiles else "",
            "tile_max_zoom": self.tiles.max_zoom if self.tiles else "",
            "source_url": request.app.state.settings.source_url,
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
