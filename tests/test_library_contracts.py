"""What maillage relies on in SQLAlchemy, FastAPI/Starlette and pydantic beyond their
documented API, each checked by a named test, so that an upgrade that breaks one fails
here and not in production. The versions are pinned in ``pyproject.toml``; bump a pin
only with these tests green.

- SQLAlchemy: the fast SQLite insert path (``storage.bulk``) writes the stored form that
  SQLAlchemy's own insert writes (bind processors, quoted identifiers); column defaults
  keep the callable they were given (``storage.repository``); the pysqlite recipe of
  ``storage.engine`` (our BEGIN: writers take the lock up front, DDL rolls back);
  the analysis reads rows from the driver's cursor and wraps its errors as SQLAlchemy
  would (``services.analysis._fetch``).
- FastAPI/Starlette: ``web.templating`` builds URLs from the routes' ``path_format`` and
  ``param_convertors``, walking FastAPI's included routers; it must find every named
  route and build the URL Starlette would.
- pydantic: ``web.errors`` explains request errors from the ``type``, ``loc`` and ``ctx``
  of pydantic's error dicts.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from maillage.settings import Settings
from maillage.storage import bulk
from maillage.storage.engine import make_engine, transaction
from maillage.web.app import create_app
from maillage.web.routes import api, pages, widgets
from maillage.web.templating import url_path

# -- SQLAlchemy -------------------------------------------------------------------------

metadata = sa.MetaData()
# Reserved words as names: the fast path must quote them as SQLAlchemy does.
ORDER = sa.Table(
    "order",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("group", sa.String(20)),
    sa.Column("extra", sa.JSON),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("day", sa.Date),
    sa.Column("flag", sa.Boolean),
    sa.Column("score", sa.Float),
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    found = make_engine(f"sqlite:///{tmp_path / 'contracts.sqlite'}")
    metadata.create_all(found)
    yield found
    found.dispose()


ROW = {
    "group": "a'b",
    "extra": {"k": [1, "é"], "d": "2025-01-01"},
    "at": dt.datetime(2025, 2, 14, 9, 30, 5, 120, tzinfo=dt.UTC),
    "day": dt.date(2025, 2, 14),
    "flag": True,
    "score": 1.5,
}


def test_sqlalchemy_fast_insert_stores_what_sqlalchemy_insert_stores(engine: sa.Engine) -> None:
    with transaction(engine) as conn:
        conn.execute(sa.insert(ORDER), [{"id": 1, **ROW}])
        bulk.insert_rows(conn, ORDER, [{"id": 2, **ROW}])
        columns, values = zip(*((k, v) for k, v in ROW.items() if k != "flag"), strict=True)
        bulk.insert_records(conn, ORDER, ["id", *columns], [(3, *values)], {"flag": True})
        stored = conn.exec_driver_sql('SELECT * FROM "order" ORDER BY id').all()
    assert stored[0][1:] == stored[1][1:] == stored[2][1:]
    assert isinstance(stored[0][2], str) and isinstance(stored[0][3], str)  # JSON, ISO text


def test_sqlalchemy_bind_processor_is_none_for_plain_values(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert bulk.bind_processor(conn, ORDER.c.group) is None
        assert bulk.bind_processor(conn, ORDER.c.id) is None
        convert = bulk.bind_processor(conn, ORDER.c.extra)
        assert convert is not None and convert({"a": 1}) == '{"a":1}'


def test_sqlalchemy_column_defaults_keep_their_callable_and_server_text() -> None:
    # storage.repository._default reads them to fill the rows of a bulk create.
    callable_default = sa.Column("data", sa.JSON, default=dict).default
    assert callable_default is not None and getattr(callable_default, "is_callable", False)
    assert callable_default.arg(None) == {}  # type: ignore[attr-defined]
    text = sa.Column("status", sa.String, server_default="pending").server_default
    assert str(getattr(text, "arg", "")) == "pending"
    false = sa.Column("directed", sa.Boolean, server_default=sa.false()).server_default
    assert str(getattr(false, "arg", "")) in ("0", "false")


def test_sqlalchemy_sqlite_writers_begin_immediate_and_ddl_rolls_back(engine: sa.Engine) -> None:
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    with pytest.raises(RuntimeError), transaction(engine) as conn:
        conn.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
        raise RuntimeError
    assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN", "BEGIN IMMEDIATE"]
    assert "scratch" not in sa.inspect(engine).get_table_names()


def test_sqlalchemy_driver_cursor_and_error_wrapping(engine: sa.Engine) -> None:
    # services.analysis._fetch: rows from the driver's cursor, errors wrapped as usual.
    stmt = sa.select(ORDER.c.id).where(ORDER.c.group == "x")
    with engine.connect() as conn:
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        assert "'x'" in sql
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        assert conn.dialect.loaded_dbapi.Error is sqlite3.Error
        with pytest.raises(sqlite3.OperationalError) as raised:
            cursor.execute("SELECT nothing FROM nowhere")
    wrapped = sa.exc.DBAPIError.instance("SELECT", None, raised.value, sqlite3.Error)
    assert isinstance(wrapped, sa.exc.OperationalError) and wrapped.orig is raised.value


# -- FastAPI / Starlette ----------------------------------------------------------------


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(database_url="sqlite://"))


def _request(app: FastAPI) -> Request:
    scope = {"type": "http", "app": app, "method": "GET", "path": "/", "root_path": "",
             "scheme": "http", "server": ("testserver", 80), "headers": [], "query_string": b""}  # fmt: skip
    return Request(scope)


def _sample(name: str, convertor: Any) -> str:
    """A value for path parameter ``name``: digits, a file path or a territory code."""
    samples = {"IntegerConvertor": "7", "PathConvertor": "css/site.css"}
    return samples.get(type(convertor).__name__, "DEP:59" if name == "code" else "12")


def test_starlette_route_table_finds_every_named_route(app: FastAPI) -> None:
    request = _request(app)
    url_path(request, "home", {})  # builds the table from the routers' internals
    table: dict[str, Any] = request.app.state.url_table
    names = {r.name for router in (pages, widgets, api) for r in router.router.routes}
    assert names | {"static"} <= set(table)


def test_starlette_route_table_builds_the_url_starlette_builds(app: FastAPI) -> None:
    request = _request(app)
    url_path(request, "home", {})
    for name, (fmt, convertors, _mount) in request.app.state.url_table.items():
        params = {p: _sample(p, convertors[p]) for p in re.findall(r"{([^}]+)}", fmt)}
        assert url_path(request, name, params) == app.url_path_for(name, **params), name


# -- pydantic ---------------------------------------------------------------------------


def test_pydantic_errors_explain_a_field_in_the_readers_language(app: FastAPI) -> None:
    client = TestClient(app, base_url="http://localhost")  # a host trusted by default
    answer = client.get("/api/actors/0")
    assert answer.status_code == 422
    assert answer.json()["details"][0]["field"] == "actor_id"
    page = client.get("/actors/0", headers={"accept": "text/html"})
    assert page.status_code == 422
    assert "doit valoir au moins 1" in page.text
