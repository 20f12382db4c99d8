"""Who is asking and what they may do: sessions, API tokens, CSRF, permissions, rate limits.

One place for every route and every form of the portal:

- **Sessions** live in a signed cookie (Starlette's ``SessionMiddleware``, signed with
  ``MAILLAGE_SECRET_KEY``): ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the public
  URL is https. A session holds the account id, when it was opened (a password change
  or a disable closes the older ones) and the CSRF token.
- **API tokens** come as ``Authorization: Bearer mlg_…``; a request carrying one is
  exempt from CSRF (no browser sends it on its own).
- **CSRF**: every unsafe request (POST, PUT, PATCH, DELETE) without a bearer token must
  carry the session's token, as the form field ``csrf_token`` (:func:`csrf_field` in
  templates) or the ``X-CSRF-Token`` header (htmx); else 403.
- **Permissions**: each route declares one ``Depends(Require("read"))`` (a line of
  :mod:`maillage.model.permissions`). A visitor asking for more is sent to sign in
  (pages) or gets 401 (API); a signed-in person without the permission gets 403.
- **Rate limits** (:class:`Throttle`): ``login``, ``contribution`` and ``mail``, through
  :mod:`maillage.web.rate_limit`, the mechanism of the export limit.

:func:`identify` runs first on every route (a dependency of the application).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI
from limits.storage import MemoryStorage
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from maillage.model import permissions
from maillage.model.permissions import Identity
from maillage.services import accounts, tokens
from maillage.settings import Settings
from maillage.web.deployment import route_path
from maillage.web.errors import Refused, on_refused, wants_json
from maillage.web.rate_limit import RateLimit
from maillage.web.templating import url_for

log = logging.getLogger(__name__)

SESSION_COOKIE = "maillage_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def install(app: FastAPI, settings: Settings) -> None:
    """Register the session middleware, the rate limits and the sign-in redirect on
    ``app`` (call before the outer middlewares are added)."""
    secret = settings.secret_key
    if not secret:
        log.warning(
            "no MAILLAGE_SECRET_KEY: sessions are signed with a key of this process only "
            "(they end when it stops, and are not shared between workers)"
        )
        secret = secrets.token_urlsafe(48)
    https = bool(settings.public_url and settings.public_url.startswith("https://"))
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age,
        path=settings.root_path or "/",
        same_site="lax",
        https_only=https,
    )
    storage = MemoryStorage()
    app.state.rate_limits = {
        name: RateLimit(
            name, getattr(settings, f"{name}_rate_limit"), f"{name}_rate_limit", storage
        )
        for name in ("login", "contribution", "mail", "ecoindex")
    }
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.state.templates.env.globals["csrf_field"] = csrf_field
    app.state.templates.env.globals["csrf_token"] = csrf_token  # htmx: hx-headers
    app.state.templates.env.globals["identity_of"] = identity_of


# --- who is asking ------------------------------------------------------------------


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, else None."""
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _unauthorised(message: str, message_en: str) -> Refused:
    return Refused(401, "Unauthorized", message, message_en, {"WWW-Authenticate": "Bearer"})


async def identify(request: Request) -> Identity:
    """The identity of the request (set on ``request.state.identity``), and the CSRF
    check of unsafe methods. Raises Refused (401 for a bad token, 403 for CSRF)."""
    db = request.app.state.engine
    token = bearer(request)
    identity = Identity()
    if token is not None:
        try:
            account, found = await run_in_threadpool(tokens.authenticate_token, db=db, secret=token)
        except accounts.AccountRefused as error:
            raise _unauthorised(error.message_fr, error.message_en) from None
        identity = _identity(account, scope=found.scope, token_id=found.id)
    elif "uid" in request.session:
        identity = await _session_identity(request, db)
    request.state.identity = identity
    if request.method not in SAFE_METHODS and token is None:
        await check_csrf(request)
    return identity


async def _session_identity(request: Request, db: Any) -> Identity:
    session = request.session
    try:
        user_id, opened = int(session["uid"]), float(session.get("at", 0))
    except (TypeError, ValueError):
        user_id, opened = 0, 0.0
    issued = dt.datetime.fromtimestamp(opened, dt.UTC)
    account = await run_in_threadpool(
        accounts.session_account, db=db, user_id=user_id, issued_at=issued
    )
    if account is None:  # deleted, disabled, or signed out everywhere since
        sign_out(request)
        return Identity()
    return _identity(account)


def _identity(
    account: accounts.Account, scope: str | None = None, token_id: int | None = None
) -> Identity:
    return Identity(
        account_id=account.id, name=account.display_name, email=account.email,
        role=account.role, scope=scope, token_id=token_id,
        blocked=account.blocked_at is not None,
    )  # fmt: skip


def identity_of(request: Request) -> Identity:
    """The identity :func:`identify` found (a visitor where it did not run: a 404)."""
    found = getattr(request.state, "identity", None)
    return found if isinstance(found, Identity) else Identity()


def sign_in(request: Request, account: accounts.Account) -> None:
    """Open a session for ``account``: a new session (and CSRF token), never the one
    the visitor had before (session fixation)."""
    request.session.clear()
    request.session.update(uid=account.id, at=time.time(), csrf=secrets.token_urlsafe(32))
    request.state.identity = _identity(account)


def sign_out(request: Request) -> None:
    """Close the session of the request."""
    request.session.clear()
    request.state.identity = Identity()


# --- CSRF ---------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_field(request: Request) -> Markup:
    """The hidden form field carrying the CSRF token (templates: ``{{ csrf_field(request) }}``)."""
    return Markup(
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(request))}">'
    )


async def check_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request whose token is missing or not the session's."""
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not expected or not given or not secrets.compare_digest(str(expected), given):
        raise Refused(
            403,
            "CSRFFailed",
            "Formulaire expiré ou envoyé depuis un autre site : rechargez la page et recommencez.",
            "Form expired or sent from another site: reload the page and try again.",
        )


# --- permissions ----------------------------------------------------------------------


class SignInRequired(Exception):
    """A visitor asked for what needs an account."""


async def on_sign_in_required(request: Request, exc: Exception) -> Response:
    """Pages send the visitor to the sign-in page (and back after); the API says 401."""
    if wants_json(request) or request.method not in SAFE_METHODS:
        return await on_refused(
            request,
            _unauthorised(
                "Connectez-vous (ou donnez un jeton d'API) pour cette action.",
                "Sign in (or give an API token) for this action.",
            ),
        )
    back = route_path(request.scope)
    if request.url.query:
        back += "?" + request.url.query
    target = url_for(request, "signin") + "?" + urlencode({"next": back})
    return RedirectResponse(target, status_code=303)


class Require:
    """The dependency of a route: the permission it needs (one line of the table).
    Returns the identity."""

    def __init__(self, permission: str) -> None:
        permissions.permission(permission)  # KeyError for a permission not in the table
        self.permission = permission

    def __call__(self, request: Request) -> Identity:
        identity = identity_of(request)
        if identity.can(self.permission):
            return identity
        if not identity.signed_in:
            raise SignInRequired()
        line = permissions.permission(self.permission)
        if identity.blocked and permissions.allowed(identity.role, self.permission):
            raise Refused(
                403, "AccountBlocked",
                "Votre compte est bloqué par la modération : vous ne pouvez plus commenter "
                "ni contribuer.",
                "Your account is blocked by the moderators: you can no longer comment or "
                "contribute.",
            )  # fmt: skip
        raise Refused(
            403,
            "PermissionDenied",
            f"Votre compte ne permet pas cette action : {line.description_fr.lower()}.",
            f"Your account does not allow this: {line.description_en.lower()}.",
        )

    def __repr__(self) -> str:
        return f"Require({self.permission!r})"


def require(permission: str) -> Any:
    """``Depends(Require(permission))``: for ``dependencies=[...]`` of a route or router."""
    return Depends(Require(permission))


class Throttle:
    """The dependency of a rate-limited route: ``login`` and ``mail`` count per client
    address, ``contribution`` and ``ecoindex`` per account (per address for a visitor)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __call__(self, request: Request) -> None:
        limit: RateLimit = request.app.state.rate_limits[self.namespace]
        identity = identity_of(request)
        key = None
        if self.namespace in ("contribution", "ecoindex") and identity.signed_in:
            key = permissions.author(identity.account_id or 0)
        limit.admit(request, key)


def throttle(namespace: str) -> Any:
    """``Depends(Throttle(namespace))``."""
    return Depends(Throttle(namespace))


IdentityDep = Annotated[Identity, Depends(identity_of)]
