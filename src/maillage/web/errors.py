"""Errors mapped in one place: library errors and HTTP errors to HTML or JSON answers.

``NotFound`` -> 404, ``InvalidInput`` and request validation -> 422,
``PermissionDenied`` -> 403, ``Conflict`` -> 409, anything else -> 500. Pages get an
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
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from maillage.model.errors import Conflict, InvalidInput, MaillageError, NotFound, PermissionDenied
from maillage.web.i18n import N_, Gettext
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


def wants_json(request: Request) -> bool:
    """True for the API and for clients that ask for JSON rather than HTML."""
    if request.url.path.startswith("/api/") or request.url.path == "/api":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _answer(request: Request, status: int, body: dict[str, Any]) -> Response:
    if wants_json(request):
        return JSONResponse(jsonable_encoder(body), status_code=status)
    lang = request_lang(request)
    message = body.get("message_en") if lang == "en" else body.get("message")
    templates: Templates = request.app.state.templates
    context = {"status": status, "message": message, "details": body.get("details", [])}
    return templates.render(request, "error.html", context, status_code=status)


async def on_library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MaillageError)
    return _answer(request, status_of(exc), exc.to_dict())


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
        for e in exc.errors()
    ]
    fields = ", ".join(d["field"] for d in details) or "?"
    body = {
        "error": "InvalidInput",
        "message": f"Paramètres invalides : {fields}",
        "message_en": f"Invalid parameters: {fields}",
        "details": details,
    }
    return _answer(request, 422, body)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
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


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
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
    app.add_exception_handler(Exception, on_unexpected)
