"""``/healthz``: whether the portal and its database can answer, for a load balancer,
an orchestrator or a monitoring probe."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from maillage.services import database
from maillage.web.params import Db

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable", "uninitialised"]
    revision: str | None
    version: str
    analysis: dict[str, Any] | None = None  # where the background analysis stands


@router.head("/healthz", include_in_schema=False)
@router.get(
    "/healthz",
    name="healthz",
    response_model=Health,
    responses={
        503: {
            "model": Health,
            "description": "The database cannot be reached or was never upgraded",
        }
    },
)
def healthz(request: Request, db: Db) -> JSONResponse:
    """The portal is up: ``status: ok`` (200) when its database answers and holds a
    schema (``revision``); otherwise 503 with ``database: unavailable`` (not reached)
    or ``uninitialised`` (run ``maillage db upgrade``); ``analysis`` says whether the
    background analysis of the latest data is done. Never cached."""
    state: dict[str, Any] = dict(database.check(db=db))
    analysis = request.app.state.providers.analysis
    if analysis is not None and state["status"] == "ok":
        state["analysis"] = analysis.about(db)
    code = 200 if state["status"] == "ok" else 503
    return JSONResponse(state, status_code=code, headers={"Cache-Control": "no-store"})
