"""Serving behind a reverse proxy: the root path, the public address, the trusted hosts.

One table, :data:`ENVIRONMENT`, names the environment variable of each setting; ``maillage
serve`` reads the same variables through its options, and :func:`from_environment` builds
the settings of each worker of ``uvicorn --factory``. :func:`checked` normalises and
validates the settings once, when the application is created, with one clear message.

Pages never build an absolute URL from the request's ``Host`` header (a client chooses
it): links are relative to the root path, or absolute under ``public_url`` when set.

The map's background: none by default (the shipped outlines and commune names, nothing
leaves the server), or a raster tile server, :data:`IGN_PLAN_TILE_URL` (``ign``) being the
documented one for a deployment (:data:`TILE_SERVERS`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maillage.model.errors import InvalidInput
from maillage.settings import LOG_FORMATS, Settings

ENVIRONMENT: dict[str, str] = {
    "language": "MAILLAGE_LANGUAGE",
    "tile_url": "MAILLAGE_TILE_URL",
    "host": "MAILLAGE_HOST",
    "root_path": "MAILLAGE_ROOT_PATH",
    "public_url": "MAILLAGE_PUBLIC_URL",
    "trusted_hosts": "MAILLAGE_TRUSTED_HOSTS",
    "log_format": "MAILLAGE_LOG_FORMAT",
    "export_max_rows": "MAILLAGE_EXPORT_MAX_ROWS",
    "export_rate_limit": "MAILLAGE_EXPORT_RATE_LIMIT",
    "source_url": "MAILLAGE_SOURCE_URL",
    "geocoder_url": "MAILLAGE_GEOCODER_URL",
    # Accounts (maillage.web.security, maillage.services.accounts)
    "secret_key": "MAILLAGE_SECRET_KEY",
    "session_max_age": "MAILLAGE_SESSION_MAX_AGE",
    "login_rate_limit": "MAILLAGE_LOGIN_RATE_LIMIT",
    "contribution_rate_limit": "MAILLAGE_CONTRIBUTION_RATE_LIMIT",
    "mail_rate_limit": "MAILLAGE_MAIL_RATE_LIMIT",
    "ecoindex_rate_limit": "MAILLAGE_ECOINDEX_RATE_LIMIT",
    "login_max_failures": "MAILLAGE_LOGIN_MAX_FAILURES",
    "login_lockout_minutes": "MAILLAGE_LOGIN_LOCKOUT_MINUTES",
    "smtp_host": "MAILLAGE_SMTP_HOST",
    "smtp_port": "MAILLAGE_SMTP_PORT",
    "smtp_user": "MAILLAGE_SMTP_USER",
    "smtp_password": "MAILLAGE_SMTP_PASSWORD",
    "smtp_from": "MAILLAGE_SMTP_FROM",
    "smtp_security": "MAILLAGE_SMTP_SECURITY",
    "verify_token_hours": "MAILLAGE_VERIFY_TOKEN_HOURS",
    "reset_token_minutes": "MAILLAGE_RESET_TOKEN_MINUTES",
    "unverified_account_days": "MAILLAGE_UNVERIFIED_ACCOUNT_DAYS",
    "token_retention_days": "MAILLAGE_TOKEN_RETENTION_DAYS",
    "log_retention_days": "MAILLAGE_LOG_RETENTION_DAYS",
    # Contributions (maillage.services.proposals, maillage.services.votes)
    "vote_threshold": "MAILLAGE_VOTE_THRESHOLD",
    "evidence_max_bytes": "MAILLAGE_EVIDENCE_MAX_BYTES",
}
# IGN Géoplateforme's "Plan IGN v2" raster tiles in Web Mercator (WMTS GetTile, free, no
# key; Licence Ouverte 2.0): https://geoservices.ign.fr/services-geoplateforme-diffusion
IGN_PLAN_TILE_URL = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&FORMAT=image/png"
)


@dataclasses.dataclass(frozen=True, slots=True)
class TileServer:
    """A raster tile server the map knows by name: its URL and the credit it requires."""

    url: str
    attribution: str
    max_zoom: int = 19


# ``--tile-url ign`` (or ``MAILLAGE_TILE_URL=ign``) stands for the server's URL.
TILE_SERVERS: dict[str, TileServer] = {
    "ign": TileServer(IGN_PLAN_TILE_URL, "© IGN / Géoplateforme"),
}
# The settings read as whole numbers (the others are text).
WHOLE_NUMBERS = frozenset(
    {
        "export_max_rows",
        "session_max_age",
        "login_max_failures",
        "login_lockout_minutes",
        "smtp_port",
        "verify_token_hours",
        "reset_token_minutes",
        "unverified_account_days",
        "token_retention_days",
        "log_retention_days",
        "vote_threshold",
        "evidence_max_bytes",
    }
)
RATES = (
    "export_rate_limit",
    "login_rate_limit",
    "contribution_rate_limit",
    "mail_rate_limit",
    "ecoindex_rate_limit",
)  # "" : no limit
SMTP_SECURITY = ("starttls", "ssl", "none")
# The machine's own names: a container's health probe, a local check (never reflected:
# pages build no URL from Host), so they stay trusted whatever the setting.
ALWAYS_TRUSTED = ("localhost", "127.0.0.1", "[::1]")
_ANY_ADDRESS = ("0.0.0.0", "::", "")  # listening everywhere names no host


def split_hosts(value: str) -> tuple[str, ...]:
    """``"a.example, b.example"`` -> ``("a.example", "b.example")``."""
    return tuple(h.strip().lower() for h in value.split(",") if h.strip())


def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``MAILLAGE_*`` variables (those of :data:`ENVIRONMENT` and
    ``MAILLAGE_DATABASE_URL``); unset ones keep their defaults."""
    env = os.environ if environ is None else environ
    given: dict[str, object] = {}
    for name, variable in ENVIRONMENT.items():
        value = env.get(variable)
        if value is None or (value == "" and name not in RATES):
            continue
        if name == "trusted_hosts":
            given[name] = split_hosts(value)
        elif name in WHOLE_NUMBERS:
            given[name] = _whole_number(variable, value)
        else:
            given[name] = value
    return Settings(**given)  # type: ignore[arg-type]


def to_environment(settings: Settings) -> dict[str, str]:
    """The variables that :func:`from_environment` reads back as ``settings`` (for the
    worker processes of ``serve --workers``). The database URL is not among them."""
    out: dict[str, str] = {}
    for name, variable in ENVIRONMENT.items():
        value = getattr(settings, name)
        if value is None:
            continue
        out[variable] = ",".join(value) if isinstance(value, tuple) else str(value)
    return out


def _whole_number(field: str, value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        number = -1
    if number < 0:
        raise InvalidInput(field, value, "nombre entier positif attendu", "a whole number >= 0")
    return number


def root_path_of(value: str) -> str:
    """``"maillage/"`` or ``"/maillage/"`` -> ``"/maillage"``; ``"/"`` -> ``""``."""
    path = value.strip().strip("/")
    if any(c in path for c in "?#% \\") or "//" in path:
        raise InvalidInput(
            "root_path",
            value,
            "un chemin d'URL simple est attendu, par exemple /maillage",
            "a plain URL path is expected, for example /maillage",
        )
    return f"/{path}" if path else ""


def public_url_of(value: str) -> str:
    """An ``http(s)://host[:port][/path]`` address without query, fragment or final ``/``
    (the message has no square brackets: the CLI prints it as rich markup)."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            "public_url",
            value,
            "une adresse http(s)://hôte ou http(s)://hôte/chemin est attendue",
            "an http(s)://host or http(s)://host/path address is expected",
        )
    return value.strip().rstrip("/")


def public_base(settings: Settings) -> str:
    """Where absolute links start (e-mails, the token page's example): the public URL,
    else the server's own address; never the request's ``Host``, which the client
    chooses."""
    base = settings.public_url or f"http://{settings.host}:{settings.port}{settings.root_path}"
    return base.rstrip("/")


def rate_limits_of(value: str, field: str = "export_rate_limit") -> list[RateLimitItem]:
    """``"30/minute"`` (or ``"5/second;100/hour"``) as rate limit items; ``""``: none."""
    if not value.strip():
        return []
    try:
        return list(parse_many(value))
    except ValueError:
        raise InvalidInput(
            field,
            value,
            "un débit comme 30/minute est attendu",
            "a rate such as 30/minute is expected",
        ) from None


def tile_url_of(value: str | None) -> str | None:
    """The tile URL of a setting: a name of :data:`TILE_SERVERS` (``ign``) stands for its
    URL; an ``http(s)://`` URL with ``{z}``, ``{x}`` and ``{y}`` is kept; empty: none.
    Raises InvalidInput."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.lower() in TILE_SERVERS:
        return TILE_SERVERS[text.lower()].url
    parts = urlsplit(text.replace("{", "").replace("}", ""))
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or not all(f"{{{key}}}" in text for key in "zxy")
    ):
        names = ", ".join(TILE_SERVERS)
        raise InvalidInput(
            "tile_url",
            value,
            f"{names} ou une adresse http(s) avec {{z}}, {{x}} et {{y}}",
            f"{names} or an http(s) address with {{z}}, {{x}} and {{y}}",
        )
    return text


def tile_server(url: str | None) -> TileServer | None:
    """The tile server of a (checked) tile URL: a known one with its credit, another one
    credited by its host name; None without tiles."""
    if not url:
        return None
    for server in TILE_SERVERS.values():
        if server.url == url:
            return server
    host = urlsplit(url.replace("{", "").replace("}", "")).hostname or url
    return TileServer(url, f"© {host}")


def checked(settings: Settings) -> Settings:
    """``settings`` with the deployment fields normalised. The root path defaults to the
    path of ``public_url``; both given, they must agree. Raises InvalidInput."""
    root = root_path_of(settings.root_path)
    public = public_url_of(settings.public_url) if settings.public_url else None
    if public:
        public_path = urlsplit(public).path.rstrip("/")
        if not root:
            root = public_path
        elif root != public_path:
            raise InvalidInput(
                "public_url",
                settings.public_url,
                f"son chemin doit être le chemin racine {root}",
                f"its path must be the root path {root}",
            )
    if settings.log_format not in LOG_FORMATS:
        raise InvalidInput("log_format", settings.log_format, "text ou json", "text or json")
    if settings.export_max_rows < 0:
        raise InvalidInput(
            "export_max_rows", settings.export_max_rows, "nombre positif", "a number >= 0"
        )
    for rate in RATES:
        rate_limits_of(getattr(settings, rate), rate)
    check_account_settings(settings)
    if settings.source_url and urlsplit(settings.source_url).scheme not in ("http", "https"):
        raise InvalidInput(
            "MAILLAGE_SOURCE_URL",
            settings.source_url,
            "une adresse http(s) du code source",
            "an http(s) address of the source code",
        )
    geocoder = urlsplit(settings.geocoder_url or "")
    if settings.geocoder_url and (
        geocoder.scheme not in ("http", "https") or not geocoder.hostname
    ):
        raise InvalidInput(
            "MAILLAGE_GEOCODER_URL",
            settings.geocoder_url,
            "une adresse http(s) de géocodeur, par exemple https://api-adresse.data.gouv.fr/search/",
            "an http(s) geocoder address, for example https://api-adresse.data.gouv.fr/search/",
        )
    hosts = tuple(h.strip().lower() for h in settings.trusted_hosts if h.strip())
    return dataclasses.replace(
        settings,
        root_path=root,
        public_url=public,
        trusted_hosts=hosts,
        tile_url=tile_url_of(settings.tile_url),
    )


def check_account_settings(settings: Settings) -> None:
    """The account settings: a secret key long enough to sign sessions, a known SMTP
    security, positive periods. Raises InvalidInput."""
    if settings.secret_key is not None and len(settings.secret_key) < 32:
        raise InvalidInput(
            "MAILLAGE_SECRET_KEY",
            "***",
            "au moins 32 caractères aléatoires (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')",
            "at least 32 random characters (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')",
        )
    if settings.smtp_security not in SMTP_SECURITY:
        raise InvalidInput(
            "MAILLAGE_SMTP_SECURITY", settings.smtp_security, "starttls, ssl ou none",
            "starttls, ssl or none",
        )  # fmt: skip
    if settings.vote_threshold < 0:
        raise InvalidInput(ENVIRONMENT["vote_threshold"], settings.vote_threshold, ">= 0", ">= 0")
    for name in sorted(WHOLE_NUMBERS - {"export_max_rows", "vote_threshold"}):
        if getattr(settings, name) < 1:
            raise InvalidInput(ENVIRONMENT[name], getattr(settings, name), "au moins 1", ">= 1")


def trusted_hosts(settings: Settings) -> list[str]:
    """The ``Host`` values answered: the machine's own names (:data:`ALWAYS_TRUSTED`),
    then the configured ones; without a setting, the listening address and the host of
    the public URL. A server listening on every address (``0.0.0.0``) with neither
    setting nor public URL cannot know its names: it answers any (``"*"``), and
    :func:`host_warning` says so when it starts."""
    if settings.trusted_hosts:
        return list(dict.fromkeys([*ALWAYS_TRUSTED, *settings.trusted_hosts]))
    if host_warning(settings):
        return ["*"]
    hosts = [*ALWAYS_TRUSTED, settings.host.lower()]
    if settings.public_url:
        hosts.append(urlsplit(settings.public_url).hostname or "")
    return [h for h in dict.fromkeys(hosts) if h not in _ANY_ADDRESS]


def host_warning(settings: Settings) -> str | None:
    """What ``serve`` says when it will answer any ``Host`` (else None)."""
    if settings.trusted_hosts or settings.public_url or settings.host not in _ANY_ADDRESS:
        return None
    return (
        "écoute sur toutes les adresses sans MAILLAGE_TRUSTED_HOSTS ni MAILLAGE_PUBLIC_URL : "
        "tout nom d'hôte est accepté ; donnez les noms du serveur pour refuser les autres / "
        "listening on every address without MAILLAGE_TRUSTED_HOSTS or MAILLAGE_PUBLIC_URL: "
        "any host name is accepted; give the server's names to refuse the others"
    )


def route_path(scope: Scope) -> str:
    """The path of a request inside the portal: without the root path."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


class RootPath:
    """Serve under ``root_path`` whether or not the proxy strips the prefix: the ASGI
    ``root_path`` is set and the request path carries it (as uvicorn's ``--root-path``
    does), so routes match and ``url_for`` builds URLs under the prefix."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.root_path:
            path: str = scope.get("path", "")
            root = self.root_path
            if path != root and not path.startswith(root + "/"):
                scope = {**scope, "path": root + path}
                if isinstance(scope.get("raw_path"), bytes):
                    scope["raw_path"] = root.encode() + scope["raw_path"]
            scope = {**scope, "root_path": root}
        await self.app(scope, receive, send)


class RelativeRedirects:
    """Redirects that Starlette builds from the request (a missing or extra final slash)
    name the request's ``Host``: they go out relative to this server (or under the
    public URL's origin), so that a forged ``Host`` never comes back in a ``Location``."""

    def __init__(self, app: ASGIApp, public_url: str | None) -> None:
        self.app = app
        origin = urlsplit(public_url) if public_url else None
        self.origin = f"{origin.scheme}://{origin.netloc}" if origin else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, self._relative(value, host) if name == b"location" else value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, send_relative)

    def _relative(self, location: bytes, host: str) -> bytes:
        """``location`` without the request's own host (other sites are left alone)."""
        parts = urlsplit(location.decode("latin-1"))
        if not parts.netloc or parts.netloc.lower() != host.lower():
            return location
        path = parts.path or "/"
        kept = f"{self.origin}{path}" + (f"?{parts.query}" if parts.query else "")
        return kept.encode("latin-1")
