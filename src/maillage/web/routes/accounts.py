"""Account pages: sign up, sign in and out, confirm the address, reset the password,
my account (profile, password, export, deletion, API tokens), privacy; ``/api/account``.

Each route declares its permission (:class:`maillage.web.security.Require`); the forms
carry the CSRF token (checked for every unsafe request by ``security.identify``);
sign-in is rate-limited per address (``login``), e-mails asked for too (``mail``).
Links sent by e-mail open a page with a button: the one-time secret is spent by a POST,
never by a GET that a mail scanner could follow.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from maillage.model import permissions, taxonomy
from maillage.model.errors import MaillageError, NotFound
from maillage.services import accounts, mail, notifications, tokens
from maillage.settings import Settings
from maillage.web.deployment import public_base
from maillage.web.errors import status_of
from maillage.web.i18n import N_, Gettext
from maillage.web.params import Db
from maillage.web.security import (
    IdentityDep,
    identity_of,
    require,
    sign_in,
    sign_out,
    throttle,
)
from maillage.web.templating import Templates, request_lang, url_for, url_path

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["account"])

READ = [require("read")]
ACCOUNT = [require("account")]
Email = Annotated[str, Form(max_length=300)]
Password = Annotated[str, Form(max_length=accounts.MAX_PASSWORD)]
Secret = Annotated[str, Form(max_length=200)]
LinkSecret = Annotated[str, Query(max_length=200)]
Name = Annotated[str, Form(max_length=200)]


def _settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Templates = request.app.state.templates
    response = templates.render(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # forms and personal pages
    return response


def _say(request: Request, error: MaillageError) -> str:
    return error.message_en if request_lang(request) == "en" else error.message_fr


def _text(request: Request, message: str, **values: Any) -> str:
    return Gettext(request_lang(request)).gettext(message, **values)


def _message(
    request: Request, heading: str, message: str, link: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    """A page saying what happened (``link``: where to go next, as (route, text))."""
    context = {
        "heading": _text(request, heading),
        "message": message,
        "link": {"url": url_for(request, link[0]), "text": _text(request, link[1])}
        if link
        else None,
    }
    return _render(request, "account_message.html", context, status)


def _back(request: Request, target: str | None) -> str:
    """Where to go after signing in: ``next`` when it is a path of this portal."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for(request, "account")
    return url_for(request, "home").rstrip("/") + target


# --- e-mails ------------------------------------------------------------------------

MAILS = {
    "verify": (
        N_("Confirm your address on maillage"),
        N_(
            "Hello,\n\nTo confirm the address of your maillage account, open this link "
            "(valid %(hours)s hours) and press the button:\n\n%(link)s\n\nIf you did not "
            "create this account, ignore this message: without confirmation it is deleted."
        ),
        "verify_email",
    ),
    "reset": (
        N_("Choose a new password on maillage"),
        N_(
            "Hello,\n\nTo choose a new password for your maillage account, open this link "
            "(valid %(minutes)s minutes):\n\n%(link)s\n\nIf you did not ask for it, ignore "
            "this message: your password stays as it is."
        ),
        "reset_password",
    ),
}


def absolute_url(request: Request, name: str, query: dict[str, str]) -> str:
    """The address of route ``name`` for an e-mail: under the public URL, else the
    server's own address (never the request's ``Host``, which the client chooses)."""
    return public_base(_settings(request)) + url_path(request, name, {}) + "?" + urlencode(query)


def send_link(request: Request, account: accounts.Account, purpose: str) -> Response | None:
    """Send account ``account`` a one-time link for ``purpose``; None when sent, else the
    page saying why it could not be."""
    settings = _settings(request)
    valid = (
        dt.timedelta(hours=settings.verify_token_hours)
        if purpose == "verify"
        else dt.timedelta(minutes=settings.reset_token_minutes)
    )
    secret = accounts.issue_link(
        db=request.app.state.engine, user_id=account.id, purpose=purpose, valid_for=valid
    )
    subject, body, route = MAILS[purpose]
    text = _text(
        request, body, link=absolute_url(request, route, {"token": secret}),
        hours=settings.verify_token_hours, minutes=settings.reset_token_minutes,
    )  # fmt: skip
    try:
        sent = mail.send(settings, mail.Mail(account.email, _text(request, subject), text))
    except mail.MailNotSent as error:
        return _message(request, N_("E-mail not sent"), _say(request, error), status=502)
    if not sent:
        return _message(
            request, N_("E-mail not sent"),
            _text(request, N_("This portal has no mail server: ask its team to confirm your address or set your password.")),  # noqa: E501
            status=503,
        )  # fmt: skip
    return None


# --- signing up, in and out ---------------------------------------------------------


@router.get("/account/signup", name="signup", dependencies=READ)
def signup_page(request: Request, sent: Annotated[str, Query(max_length=1)] = "") -> Response:
    address = request.session.get("signed_up")
    if sent and isinstance(address, str):  # after the form (post/redirect/get): a reload
        return _message(  # shows this again, never sends the form twice
            request, N_("Check your mailbox"),
            _text(request, N_("We sent a link to %(email)s: open it to confirm your address, then sign in."), email=address),  # noqa: E501
        )  # fmt: skip
    return _render(request, "signup.html", {"values": {}, "error": None})


@router.post("/account/signup", name="signup_post", dependencies=[*READ, throttle("mail")])
def signup(request: Request, db: Db, email: Email, password: Password, name: Name = "") -> Response:
    try:
        account = accounts.create_account(db=db, email=email, password=password, name=name)
    except MaillageError as error:
        context = {"values": {"email": email, "name": name}, "error": _say(request, error)}
        return _render(request, "signup.html", context, status_of(error))
    failed = send_link(request, account, "verify")
    if failed:
        return failed
    request.session["signed_up"] = account.email  # the address the next page names
    return RedirectResponse(url_for(request, "signup", {"sent": "1"}), status_code=303)


@router.get("/account/signin", name="signin", dependencies=READ)
def signin_page(request: Request, next: Annotated[str, Query(max_length=2000)] = "") -> Response:
    if identity_of(request).signed_in:
        return RedirectResponse(_back(request, next), status_code=303)
    return _render(request, "signin.html", {"values": {}, "next": next, "error": None})


@router.post("/account/signin", name="signin_post", dependencies=[*READ, throttle("login")])
def signin(
    request: Request, db: Db, email: Email, password: Password,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    settings = _settings(request)
    try:
        account = accounts.authenticate(
            db=db, email=email, password=password, max_failures=settings.login_max_failures,
            lockout=dt.timedelta(minutes=settings.login_lockout_minutes),
        )  # fmt: skip
    except accounts.AccountRefused as error:
        context = {
            "values": {"email": email}, "next": next, "error": _say(request, error),
            "unverified": error.reason == "unverified",
        }  # fmt: skip
        return _render(request, "signin.html", context, 403)
    sign_in(request, account)
    return RedirectResponse(_back(request, next), status_code=303)


@router.post("/account/signout", name="signout", dependencies=ACCOUNT)
def signout(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse(url_for(request, "home"), status_code=303)


# --- links sent by e-mail -----------------------------------------------------------


def _pending_account(db: Any, email: str) -> accounts.Account | None:
    try:
        return accounts.find_account(db=db, email=email)
    except NotFound:
        return None


@router.post(
    "/account/verify/resend", name="resend_verification", dependencies=[*READ, throttle("mail")]
)
def resend_verification(request: Request, db: Db, email: Email) -> Response:
    account = _pending_account(db, email)
    if account is not None and account.status == "unverified":
        failed = send_link(request, account, "verify")
        if failed:
            return failed
    return _message(
        request, N_("Check your mailbox"),
        _text(request, N_("If this address has an account waiting for confirmation, a new link was sent to it.")),  # noqa: E501
    )  # fmt: skip


@router.get("/account/verify", name="verify_email", dependencies=READ)
def verify_page(
    request: Request, token: LinkSecret = "", done: Annotated[str, Query(max_length=1)] = ""
) -> Response:
    if done and request.session.get("verified"):  # after the button (post/redirect/get)
        signed_in = identity_of(request).signed_in
        return _message(
            request, N_("Address confirmed"),
            _text(request, N_("Your address is confirmed.")),
            ("account", N_("My account")) if signed_in else ("signin", N_("Sign in")),
        )  # fmt: skip
    return _render(request, "verify.html", {"token": token, "error": None})


@router.post("/account/verify", name="verify_email_post", dependencies=READ)
def verify(request: Request, db: Db, token: Secret) -> Response:
    try:
        accounts.verify_email(db=db, secret=token)
    except accounts.AccountRefused as error:
        return _render(request, "verify.html", {"token": "", "error": _say(request, error)}, 400)
    request.session["verified"] = True  # what the next page says; a reload says it again
    return RedirectResponse(url_for(request, "verify_email", {"done": "1"}), status_code=303)


@router.get("/account/forgot", name="forgot_password", dependencies=READ)
def forgot_page(request: Request) -> Response:
    return _render(request, "forgot.html", {"values": {}, "error": None, "done": None})


@router.post("/account/forgot", name="forgot_password_post", dependencies=[*READ, throttle("mail")])
def forgot(request: Request, db: Db, email: Email) -> Response:
    account = _pending_account(db, email)
    if account is not None and account.status != "disabled":
        failed = send_link(request, account, "reset")
        if failed:
            return failed
    # The same answer whether or not the address has an account.
    return _message(
        request, N_("Check your mailbox"),
        _text(request, N_("If this address has an account, a link to choose a new password was sent to it.")),  # noqa: E501
    )  # fmt: skip


@router.get("/account/reset", name="reset_password", dependencies=READ)
def reset_page(request: Request, token: LinkSecret = "") -> Response:
    return _render(request, "reset.html", {"token": token, "error": None})


@router.post("/account/reset", name="reset_password_post", dependencies=READ)
def reset(request: Request, db: Db, token: Secret, password: Password) -> Response:
    try:
        accounts.reset_password(db=db, secret=token, password=password)
    except MaillageError as error:
        context = {"token": token, "error": _say(request, error)}
        return _render(request, "reset.html", context, status_of(error))
    sign_out(request)
    return _message(
        request, N_("Password changed"),
        _text(request, N_("Your new password is saved; every session was signed out.")),
        ("signin", N_("Sign in")),
    )  # fmt: skip


# --- my account -------------------------------------------------------------------


def _account_page(
    request: Request, db: Any, identity: Any, *, error: str | None = None,
    done: str | None = None, status: int = 200,
) -> Response:  # fmt: skip
    account = accounts.get_account(db=db, user_id=identity.account_id)
    role = taxonomy.label("user_roles", account.role, request_lang(request))
    context = {"account": account, "role_label": role, "error": error, "done": done,
               "notifications_on": notifications.enabled(db=db, user_id=account.id)}  # fmt: skip
    return _render(request, "account.html", context, status)


@router.get("/account", name="account", dependencies=ACCOUNT)
def account_page(request: Request, db: Db, identity: IdentityDep) -> Response:
    return _account_page(request, db, identity)


@router.post("/account/profile", name="account_profile", dependencies=ACCOUNT)
def account_profile(
    request: Request, db: Db, identity: IdentityDep, email: Email, name: Name = "",
    password: Password = "",
) -> Response:  # fmt: skip
    try:
        account, moved = accounts.update_profile(
            db=db, user_id=identity.account_id or 0, name=name, email=email, password=password
        )
    except MaillageError as error:
        return _account_page(request, db, identity, error=_say(request, error),
                             status=status_of(error))  # fmt: skip
    if moved:
        failed = send_link(request, account, "verify")
        if failed:
            return failed
        done = _text(request, N_("Saved. Confirm the new address with the link sent to it."))
    else:
        done = _text(request, N_("Saved."))
    sign_in(request, account)  # the header shows the new name
    return _account_page(request, db, identity, done=done)


@router.post("/account/password", name="account_password", dependencies=ACCOUNT)
def account_password(
    request: Request, db: Db, identity: IdentityDep, current_password: Password,
    new_password: Password,
) -> Response:  # fmt: skip
    try:
        account = accounts.change_password(
            db=db, user_id=identity.account_id or 0, current=current_password, new=new_password
        )
    except MaillageError as error:
        return _account_page(request, db, identity, error=_say(request, error),
                             status=status_of(error))  # fmt: skip
    sign_in(request, account)  # this session goes on; the others are signed out
    done = _text(request, N_("Password changed; your other sessions are signed out."))
    return _account_page(request, db, identity, done=done)


@router.get("/account/export", name="account_export", dependencies=ACCOUNT)
def account_export(db: Db, identity: IdentityDep) -> Response:
    user_id = identity.account_id or 0
    data = accounts.export_data(db=db, user_id=user_id)
    headers = {
        "Content-Disposition": f'attachment; filename="maillage-account-{user_id}.json"',
        "Cache-Control": "no-store",
    }
    return JSONResponse(data, headers=headers)


@router.post("/account/delete", name="account_delete", dependencies=ACCOUNT)
def account_delete(request: Request, db: Db, identity: IdentityDep, password: Password) -> Response:
    try:
        accounts.delete_account(db=db, user_id=identity.account_id or 0, password=password)
    except MaillageError as error:
        return _account_page(request, db, identity, error=_say(request, error),
                             status=status_of(error))  # fmt: skip
    sign_out(request)
    return _message(
        request, N_("Account deleted"),
        _text(request, N_("Your account is deleted: your address, name and password are erased.")),
        ("home", N_("Back to the home page")),
    )  # fmt: skip


# --- my API tokens -----------------------------------------------------------------

TokenName = Annotated[str, Form(max_length=200)]
TokenScope = Annotated[str, Form(max_length=20)]
TokenDays = Annotated[int, Form(ge=0, le=3650)]  # 0: until revoked
TokenId = Annotated[int, Form(ge=1)]
FormKey = Annotated[str, Form(max_length=64)]
# The create form's one-time keys this session has used (the last few): a reload of the
# answer, which the browser offers to send again, creates no second token.
USED_FORMS = "token_forms"
TOKEN_DAYS = (30, 90, 365, 0)  # the choices of the form; 90 as the command line


# What each token scope is called on the page (its code stays beside it, as the command
# line and the API name it).
SCOPE_NAMES = {
    "read": N_("Reading"), "contribute": N_("Contribution"), "moderate": N_("Moderation"),
    "edit": N_("Editing"), "admin": N_("Administration"),
}  # fmt: skip


def token_scopes(role: str) -> list[str]:
    """The scopes a token of ``role`` may be given: those whose every permission the
    role holds (a token never does more than its account)."""
    lines = permissions.table().values()
    return [
        scope
        for scope in permissions.SCOPES
        if all(permissions.allowed(role, line.code) for line in lines if line.scope == scope)
    ]


def _tokens_page(
    request: Request, db: Any, identity: permissions.Identity, *, error: str | None = None,
    done: str | None = None, created: tuple[tokens.Token, str] | None = None,
    values: dict[str, Any] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    lang = request_lang(request)
    described = {
        scope: [
            line.description_en if lang == "en" else line.description_fr
            for line in permissions.table().values()
            if line.scope == scope
        ]
        for scope in token_scopes(identity.role)
    }
    context = {
        "tokens": list(reversed(tokens.list_tokens(db=db, user_id=identity.account_id or 0))),
        "now": dt.datetime.now(dt.UTC), "scopes": described, "days": TOKEN_DAYS,
        "created": created[0] if created else None, "secret": created[1] if created else None,
        "values": values or {"scope": "read", "days": 90}, "error": error, "done": done,
        "example_url": public_base(_settings(request)) + url_path(request, "api_account", {}),
        "form_key": secrets.token_urlsafe(16), "scope_names": SCOPE_NAMES,
    }  # fmt: skip
    return _render(request, "account_tokens.html", context, status)


@router.get("/account/tokens", name="account_tokens", dependencies=ACCOUNT)
def account_tokens(request: Request, db: Db, identity: IdentityDep) -> Response:
    return _tokens_page(request, db, identity)


@router.post("/account/tokens", name="account_token_create", dependencies=ACCOUNT)
def account_token_create(
    request: Request, db: Db, identity: IdentityDep, name: TokenName, scope: TokenScope = "read",
    days: TokenDays = 90, form_key: FormKey = "",
) -> Response:  # fmt: skip
    values = {"name": name, "scope": scope, "days": days}
    used: list[str] = list(request.session.get(USED_FORMS, []))
    if form_key and form_key in used:
        error = _text(
            request,
            N_(
                "This form has already created its token, whose secret is "
                "shown only once: to create another, fill in the form again."
            ),
        )
        return _tokens_page(request, db, identity, error=error, values=values, status=409)
    if scope not in token_scopes(identity.role):
        error = _text(request, N_("Your role does not allow a token of this scope."))
        return _tokens_page(request, db, identity, error=error, values=values, status=403)
    try:
        created = tokens.create_token(
            db=db, user_id=identity.account_id or 0, name=name, scope=scope, days=days or None,
            by=identity.audit_user,
        )  # fmt: skip
    except MaillageError as error:
        return _tokens_page(request, db, identity, error=_say(request, error), values=values,
                            status=status_of(error))  # fmt: skip
    if form_key:
        request.session[USED_FORMS] = [*used, form_key][-10:]
    # The secret is in this answer only (not stored, not in the session): never again.
    return _tokens_page(request, db, identity, created=created, status=201)


@router.post("/account/tokens/revoke", name="account_token_revoke", dependencies=ACCOUNT)
def account_token_revoke(
    request: Request, db: Db, identity: IdentityDep, token_id: TokenId
) -> Response:
    # Only a token of this account: another's is NotFound (404), as one that does not exist.
    token = tokens.revoke_token(
        db=db, token_id=token_id, user_id=identity.account_id or 0, by=identity.audit_user
    )
    done = _text(
        request, N_("Token “%(name)s” revoked: it no longer opens the API."), name=token.name
    )
    return _tokens_page(request, db, identity, done=done)


@router.get("/privacy", name="privacy", dependencies=READ)
def privacy(request: Request) -> Response:
    s = _settings(request)
    retention = {
        "session_days": max(1, s.session_max_age // 86400), "verify_hours": s.verify_token_hours,
        "reset_minutes": s.reset_token_minutes, "unverified_days": s.unverified_account_days,
        "token_days": s.token_retention_days, "log_days": s.log_retention_days,
    }  # fmt: skip
    return _render(request, "privacy.html", {"retention": retention})


@api_router.get("/account", name="api_account", dependencies=READ)
def api_account(identity: IdentityDep) -> dict[str, Any]:
    """Who the request acts as (a session or an API token) and what it may do: the
    permission codes of ``maillage.model.permissions``; a visitor gets ``signed_in:
    false``."""
    return {
        "signed_in": identity.signed_in,
        "id": identity.account_id,
        "name": identity.name,
        "role": identity.role,
        "scope": identity.scope,
        "permissions": [code for code in permissions.table() if identity.can(code)],
    }
