"""Errors mapped in one place: library errors and HTTP errors to HTML or JSON answers.

``NotFound`` -> 404, ``InvalidInput`` and request validation -> 422,
``PermissionDenied`` -> 403, ``Conflict`` -> 409, a client that hangs up while sending its
body -> 499 (logged as a disconnect, not as an error), anything else -> 500. Pages get an
HTML page in the request's language; ``/api/...`` and clients asking for JSON get
``{"error", "message", "message_en", ...}``. Tracebacks go to the log, never out.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from maillage.model.errors import Conflict, InvalidInput, MaillageError, NotFound, PermissionDenied
from maillage.web.access_log import request_fields
from maillage.web.deployment import route_path
from maillage.web.i18n import N_, Gettext, Lang
from maillage.web.templating import Templates, request_lang

log = logging.getLogger(__name__)

STATUS: list[tuple[type[MaillageError], int]] = [
    (NotFound, 404),
    (InvalidInput, 422),
    (PermissionDenied, 403),
    (Conflict, 409),
]


def status_of(error: MaillageError) -> int:
    """The HTTP status of a library error."""
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


class Refused(Exception):
    """A request the portal refuses for a reason of its own: ``status``, an ``error``
    name, French and English messages, answer headers (``Retry-After``)."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        message_en: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.status = status
        self.body = {"error": error, "message": message, "message_en": message_en}
        self.headers = headers or {}


def wants_json(request: Request) -> bool:
    """True for the API and for clients that ask for JSON rather than HTML; a browser
    following an export link (it asks for HTML) gets a page."""
    path = route_path(request.scope)
    accept = request.headers.get("accept", "")
    if path.startswith("/api/export/"):
        return "text/html" not in accept
    if path.startswith("/api/") or path == "/api":
        return True
    return "application/json" in accept and "text/html" not in accept


def is_fragment_request(request: Request) -> bool:
    """True when htmx asks for a part of a page (its answer replaces one element)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-request-type", "partial") != "full"
    )


def _answer(request: Request, status: int, body: dict[str, Any]) -> Response:
    if wants_json(request):
        return JSONResponse(jsonable_encoder(body), status_code=status)
    lang = request_lang(request)
    message = body.get("message_en") if lang == "en" else body.get("message")
    templates: Templates = request.app.state.templates
    context = {"status": status, "message": message, "details": body.get("details", [])}
    # A part of a page gets a short notice in place of the part, not a whole page in it.
    name = "_error.html" if is_fragment_request(request) else "error.html"
    return templates.render(request, name, context, status_code=status)


async def on_library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MaillageError)
    return _answer(request, status_of(exc), exc.to_dict())


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    details = [{"field": _field(e), "message": e.get("msg", "")} for e in errors]
    fields = ", ".join(d["field"] for d in details) or "?"
    body = {
        "error": "InvalidInput",
        "message": f"Paramètres invalides : {fields}",
        "message_en": f"Invalid parameters: {fields}",
        "details": details,
    }
    if not wants_json(request):
        # Pages explain each field in the reader's language, without pydantic's internals.
        lang = request_lang(request)
        body["details"] = [{"field": _field(e), "message": _explain(e, lang)} for e in errors]
    return _answer(request, 422, body)


def _in_lang(values: dict[str, str], lang: str) -> dict[str, str]:
    """pydantic lists allowed values as "'a', 'b' or 'c'": French says "ou"."""
    if lang == "fr" and "expected" in values:
        return {**values, "expected": values["expected"].replace(" or ", " ou ")}
    return values


def _field(error: Any) -> str:
    return ".".join(str(p) for p in error.get("loc", ())[1:])


# pydantic error types -> a sentence a reader understands (the values come from its ctx).
_EXPLAINED = {
    "greater_than_equal": N_("must be at least %(ge)s"),
    "greater_than": N_("must be more than %(gt)s"),
    "less_than_equal": N_("must be at most %(le)s"),
    "less_than": N_("must be less than %(lt)s"),
    "int_parsing": N_("must be a whole number"),
    "float_parsing": N_("must be a number"),
    "bool_parsing": N_("must be yes or no"),
    "string_too_long": N_("is too long (at most %(max_length)s characters)"),
    "string_too_short": N_("is too short (at least %(min_length)s characters)"),
    "string_pattern_mismatch": N_("holds characters that are not allowed"),
    "missing": N_("is required"),
    "literal_error": N_("must be one of: %(expected)s"),
    "enum": N_("must be one of: %(expected)s"),
}


def _explain(error: Any, lang: Lang) -> str:
    """What is wrong with one field, in ``lang``."""
    text = _EXPLAINED.get(error.get("type", ""), N_("is not valid"))
    values = _in_lang({k: str(v) for k, v in (error.get("ctx") or {}).items()}, lang)
    try:
        text % values
    except (KeyError, TypeError, ValueError):
        text = N_("is not valid")
    return Gettext(lang).gettext(text, **values)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI reading a route's Form(...)
        return await on_client_disconnect(request, exc.__cause__)
    text = Gettext("fr").gettext(_http_message(exc.status_code))
    body = {"error": "HTTPError", "message": text, "message_en": _http_message(exc.status_code)}
    response = _answer(request, exc.status_code, body)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def _http_message(status: int) -> str:
    if status == 404:
        return N_("This page does not exist.")
    if status == 405:
        return N_("This method is not allowed here.")
    return N_("The request could not be served.")


async def on_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    response = _answer(request, exc.status, exc.body)
    response.headers.update(exc.headers)
    return response


CLIENT_CLOSED = 499  # nginx's "client closed request": no one is left to read the answer


async def on_client_disconnect(request: Request, exc: Exception) -> Response:
    """The client hung up before its body was read (a form half sent): its own doing,
    logged as such, not as a server error."""
    assert isinstance(exc, ClientDisconnect)
    fields = request_fields(request.scope)
    log.info(
        "client disconnected before its request body was read: %s %s",
        fields["method"], fields["path"], extra=fields,
    )  # fmt: skip
    return Response(status_code=CLIENT_CLOSED)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    fields = request_fields(request.scope)
    log.error(
        "unexpected error on %s %s", fields["method"], fields["path"], exc_info=exc, extra=fields
    )
    body = {
        "error": "ServerError",
        "message": "Une erreur inattendue est survenue ; elle a été consignée.",
        "message_en": "An unexpected error happened; it has been logged.",
    }
    return _answer(request, 500, body)


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(MaillageError, on_library_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Refused, on_refused)
    app.add_exception_handler(ClientDisconnect, on_client_disconnect)
    app.add_exception_handler(Exception, on_unexpected)
