"""Shapes of the JSON answers, for the OpenAPI schema (``/api/openapi.json``).

Entity pages declare their main fields and allow the others, so that new columns
reach the API without a schema change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Count(BaseModel):
    code: str
    label: str | None
    count: int


class KeyFigures(BaseModel):
    """What the map holds."""

    actors: int
    links: int
    by_world: list[Count]
    by_kind: list[Count]
    cross_world_links: int
    cross_world_share: float | None = Field(description="Share of links joining different worlds")
    departements: int = Field(description="Départements where at least one actor is placed")
    first_year: int | None
    last_year: int | None


class Home(BaseModel):
    figures: KeyFigures
    how_to: list[str]
    links: dict[str, str]


class MeasureValue(Open):
    code: str
    value: Any
    name: str | None = None
    summary: str | None = None


class ActorLink(Open):
    id: int
    kind: str
    kind_label: str | None
    other_id: int
    other_name: str
    start_date: str | None
    end_date: str | None


class ActorPage(Open):
    id: int
    name: str
    world: str | None
    world_label: str | None
    category_label: str | None
    places: list[dict[str, Any]]
    links: list[ActorLink]
    measures: list[MeasureValue]
    visit: dict[str, Any] = Field(
        description="How to go there: opening hours, phone, e-mail, services, accessibility, "
        "directions"
    )
    analysis_url: str | None = Field(
        description="Measures and recommended partners from the analysis (None without it)"
    )


class Mixing(BaseModel):
    pairs: list[dict[str, Any]]
    links: int
    cross_world_links: int
    cross_world_share: float | None
    ei_index: float | None


class TerritoryPage(Open):
    code: str
    name: str
    level: str
    population: int | None
    actors: int
    by_world: list[Count]
    mixing: Mixing
    research: bool
    needs: list[dict[str, Any]]
    white_zones: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    sub_territories: list[dict[str, Any]]
    analysis_url: str | None = Field(
        description="Measures and recommendations from the analysis (None without it)"
    )


class Analysis(BaseModel):
    """Measures and recommendations of the analysis for an actor or a territory."""

    status: Literal["ready", "pending", "failed"] = Field(
        description="pending: the analysis is being computed, ask again in a few seconds; "
        "failed: the analysis of the data failed"
    )
    measures: list[MeasureValue]
    recommendations: list[dict[str, Any]]
    computed_at: dt.datetime | None = Field(
        None, description="When the answers shown were computed (UTC)"
    )
    age: str | None = Field(None, description="How long ago, in words of the language")
    fresher: bool = Field(
        False, description="Answers of earlier data: those of the latest are being computed"
    )
    update_failed: bool = Field(
        False, description="The analysis of the latest data failed: earlier answers shown"
    )


class LinkEnd(BaseModel):
    id: int
    name: str | None
    world: str | None
    world_label: str | None
    live: bool


class LinkPage(Open):
    id: int
    kind: str
    kind_label: str | None
    source_actor: LinkEnd
    target_actor: LinkEnd
    start_date: str | None
    end_date: str | None
    evidence: str | None


class SearchResults(BaseModel):
    query: str
    actors: list[dict[str, Any]]
    territories: list[dict[str, Any]]
    total: int = Field(0, description="matching actors, counted up to 1,000")
    capped: bool = Field(False, description="more actors match than `total`")
    near: dict[str, Any] | None = Field(
        None,
        description="the places nearest to the address, else to the first territory when"
        " it is a commune",
    )
    address: dict[str, Any] | None = Field(
        None,
        description="how a street address was searched: `status` found, not_found,"
        " unavailable (the geocoder failed) or no_geocoder; `offers`: the communes its text"
        " names",
    )


class PlacesNear(BaseModel):
    centre: dict[str, Any] | None = Field(
        description="the point the distances are measured from (None: an address not placed)"
    )
    readings: list[dict[str, Any]] = Field(
        description="every territory the searched key can name (a code may be two)"
    )
    places: list[dict[str, Any]] = Field(description="nearest first, with `distance_km`")
    address: dict[str, Any] | None = Field(
        None, description="how a street address was searched (see /api/search)"
    )


class Measure(BaseModel):
    code: str
    scope: str
    name: str
    summary: str
    how: str
    read: str
    reference: str


class TablePage(BaseModel):
    total: int
    page: int
    pages: int
    per_page: int
    rows: list[dict[str, Any]]


class Explore(BaseModel):
    """A filtered view: its filters, first pages of its tables, its widget and export URLs."""

    filters: dict[str, str]
    actors: TablePage
    links: TablePage
    urls: dict[str, str]


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]
    bbox: list[float] | None = None
    meta: dict[str, Any] | None = None


class NodeLink(BaseModel):
    """Node-link JSON (networkx/d3 style): ``nodes`` with ``x``/``y``, ``links`` with ends."""

    directed: bool
    multigraph: bool
    nodes: list[dict[str, Any]]
    links: list[dict[str, Any]]
    meta: dict[str, Any]


class Shading(BaseModel):
    measure: str
    level: str
    values: dict[str, float]
    max: float


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorAnswer(BaseModel):
    """Every error of the API: a kind, a French ``message``, its English ``message_en``;
    an invalid value names its ``field``, a refused request lists its ``details``."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(
        description="NotFound, InvalidInput, ExportTooLarge, TooManyRequests, HTTPError…"
    )
    message: str = Field(description="For people, in French")
    message_en: str = Field(description="For people, in English")
    field: str | None = Field(None, description="The parameter at fault (InvalidInput)")
    value: Any = Field(None, description="The value given (InvalidInput)")
    rule: str | None = Field(None, description="What was expected, in French (InvalidInput)")
    details: list[ErrorDetail] | None = Field(
        None, description="One line per invalid parameter (request validation)"
    )


ERRORS: dict[int, str] = {
    404: "Not found: no such entity (or a deleted one)",
    422: "Invalid parameters: a value out of range, an unknown territory or term, "
    "a period whose end precedes its start (`year_to` < `year_from`)",
    429: "Too many exports from this address: wait for `Retry-After` seconds",
}


TOO_LARGE = (
    "; a view with more rows than a public export may hold (`ExportTooLarge`: the message "
    "gives both numbers)"
)


def error_answers(*statuses: int, more: str = "") -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, each with the :class:`ErrorAnswer` model
    (``more`` ends the description of 422)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        text = ERRORS[status] + (more if status == 422 else "")
        answer: dict[str, Any] = {"model": ErrorAnswer, "description": text}
        if status == 429:
            answer["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before the next export",
                    "schema": {"type": "integer"},
                }
            }
        out[status] = answer
    return out
