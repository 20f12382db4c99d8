"""Request parameters shared by pages and API routes: the engine, the language, filters."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from maillage.model import taxonomy
from maillage.model.records import FIRST_YEAR, LAST_YEAR
from maillage.services import portal
from maillage.services.filters import Filters
from maillage.web.i18n import Lang
from maillage.web.templating import request_lang

SAFE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
MAX_ID = 2**31 - 1


def whole_number(text: str | None, digits: int = 10) -> int | None:
    """``text`` as a whole number when it is written in ASCII digits only, at most
    ``digits`` of them; else None (``str.isdigit`` also accepts « ² », which ``int``
    refuses: a form field holding it gave the server's error page)."""
    if text and len(text) <= digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Year = Annotated[
    Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)] | None, BeforeValidator(_blank_to_none)
]


class FilterParams(BaseModel):
    """The filters of a view, as URL query parameters (all optional)."""

    model_config = ConfigDict(extra="ignore")

    territory: str | None = Field(
        None,
        max_length=60,
        pattern=SAFE_TEXT,
        description="Territory: code (DEP:59, REG:32, EPCI:200093201, COM:59350), postcode or name",
    )
    world: str | None = Field(
        None,
        max_length=100,
        pattern=SAFE_TEXT,
        description="World: " + ", ".join(t.code for t in taxonomy.load("worlds")),
    )
    pair: str | None = Field(
        None,
        max_length=200,
        pattern=SAFE_TEXT,
        description="Pair of worlds: two world codes separated by a comma "
        "(associative,economic): the links between them and the actors holding one",
    )
    category: str | None = Field(
        None, max_length=100, pattern=SAFE_TEXT, description="Actor category code"
    )
    theme: str | None = Field(None, max_length=100, pattern=SAFE_TEXT, description="Theme code")
    kind: str | None = Field(None, max_length=100, pattern=SAFE_TEXT, description="Link kind code")
    year_from: Year = Field(
        None, description="Links active from this year; not after `year_to` (else 422)"
    )
    year_to: Year = Field(
        None,
        description="Links active until this year; not before `year_from` "
        "(a period ending before it starts is refused: 422, `field: year_to`)",
    )
    year: Year = Field(None, description="Timeline: links active during this year")
    q: str | None = Field(
        None, max_length=200, pattern=SAFE_TEXT, description="French full-text query"
    )


def get_db(request: Request) -> sa.Engine:
    """The application's engine."""
    engine: sa.Engine = request.app.state.engine
    return engine


def get_lang(
    request: Request,
    lang: Annotated[
        Lang | None,
        Query(description="Language of labels and messages: fr (default) or en; kept in a cookie"),
    ] = None,
) -> Lang:
    """The language of the request (``?lang=``, then the ``lang`` cookie, then the default)."""
    return lang or request_lang(request)


def get_filters(
    params: Annotated[FilterParams, Query()], db: Annotated[sa.Engine, Depends(get_db)]
) -> Filters:
    """Validated filters (territory resolved to its code). Raises InvalidInput."""
    return portal.read_filters(db=db, raw=params.model_dump())


Db = Annotated[sa.Engine, Depends(get_db)]
LangDep = Annotated[Lang, Depends(get_lang)]
FiltersDep = Annotated[Filters, Depends(get_filters)]


Coordinate = Annotated[float | None, BeforeValidator(_blank_to_none)]


class PlacesParams(BaseModel):
    """Where to look for the nearest places: a territory, or a position."""

    model_config = ConfigDict(extra="ignore")

    near: str | None = Field(
        None,
        max_length=200,
        pattern=SAFE_TEXT,
        description="Postcode (59000), commune name (Lille), INSEE code (2A004) or, with a"
        " geocoder, street address (10 rue de Paris, 59000 Lille)",
    )
    lat: Coordinate = Field(None, ge=-90, le=90, description="Latitude (WGS84), with `lon`")
    lon: Coordinate = Field(None, ge=-180, le=180, description="Longitude (WGS84), with `lat`")
    limit: int = Field(10, ge=1, le=50, description="How many places, nearest first")


PlacesQuery = Annotated[PlacesParams, Query()]
