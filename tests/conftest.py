"""Shared fixtures: a migrated database on SQLite and on a real PostgreSQL server, and the
real open-data files (``data_dir``, shipped in tests/data: see datafiles.py).

``db`` is parametrised over both engines. PostgreSQL comes from Debian's
``postgresql`` package, started once per test process on a free loopback port.
With ``CI=true`` a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

sys.path.insert(0, str(Path(__file__).parent))

import datafiles  # noqa: E402
from maillage.services import accounts, database  # noqa: E402
from maillage.storage.engine import make_engine  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_counter = itertools.count()


# Python's full collections walk every object a test process holds (a million, with the
# geography and the fitted models): in the portal tests, 82 of them took 40 s of the two
# workers' time. Rarer young collections leave none to run (the suite's objects are
# freed by reference counting; a process lives one run).
gc.set_threshold(50_000, 20, 20)

# Passwords are hashed with argon2id at the library's parameters (64 MiB, three passes):
# 0.16 s a hash or a sign-in, a few hundred times a run through the portal's forms.
# The tests keep argon2id at its cheapest memory and one pass; those about the
# parameters themselves (tests/services/test_accounts.py) give their own hasher.
accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.fixture(autouse=True)
def model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fitted models go to this test's own directory, never to the user's cache."""
    path = tmp_path / "model-cache"
    monkeypatch.setenv("MAILLAGE_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real open-data files, as published (shipped in tests/data: see datafiles.py)."""
    return datafiles.materialise(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    import pgserver

    try:
        server = pgserver.start_server()
    except RuntimeError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    database.upgrade(db=engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: object) -> str:
    admin = sa.create_engine(pg_server.url, isolation_level="AUTOCOMMIT")  # type: ignore[attr-defined]
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE maillage_template")
    engine = make_engine(pg_server.database_url("maillage_template"))  # type: ignore[attr-defined]
    database.upgrade(db=engine)
    engine.dispose()
    admin.dispose()
    return "maillage_template"


def _sqlite_engine(template: Path, tmp_path: Path, name: str = "maillage.sqlite") -> sa.Engine:
    target = tmp_path / name
    shutil.copy(template, target)
    return make_engine(f"sqlite:///{target}")


def _dispose(engine: sa.Engine) -> None:
    """Close ``engine``; its database goes with it (a SQLite file, a PostgreSQL database). Each test's copy of the template
    (25 MB, with the geography) would otherwise stay on disk: about 10 GB a run, written
    back by the kernel while the tests run, whose own writes then wait for the disk."""
    engine.dispose()
    if engine.dialect.name == "sqlite" and engine.url.database:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(engine.url.database + suffix).unlink(missing_ok=True)
    elif engine.dialect.name == "postgresql":  # else the server's folder holds every test's
        # database at the end of the run (GBs: removing it took 8-12 s of each worker)
        admin = sa.create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{engine.url.database}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[sa.Engine]:
    """A migrated SQLite database of its own (beside ``db``, which may be PostgreSQL)."""
    engine = _sqlite_engine(sqlite_template, tmp_path, "own.sqlite")
    yield engine
    _dispose(engine)


def _pg_engine(server: object, template: str) -> sa.Engine:
    """A database of its own, copied from ``template`` file by file: the default copy
    (PostgreSQL 15's WAL_LOG) also writes the template's 25 MB into the WAL, for each of
    the 200-odd PostgreSQL tests of a run."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")  # type: ignore[attr-defined]
    with admin.connect() as conn:
        newer = int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) >= 150000
        strategy = " STRATEGY FILE_COPY" if newer else ""
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}{strategy}")
    admin.dispose()
    return make_engine(server.database_url(name))  # type: ignore[attr-defined]


# The portal tests whose PostgreSQL run stays in `make test`: sessions, tokens, CSRF and
# writes through the forms. The other portal tests read and write through the services,
# which every services, storage and cli test runs on both engines: their PostgreSQL runs are
# marked `extended` and run in `make test-extended`, which CI leaves out to stay under its
# ten minutes (README, "Test budget").
WEB_POSTGRES_IN_CI = frozenset({"test_accounts.py", "test_pages.py", "test_contributions.py"})
# Tests whose PostgreSQL run checks nothing the engine decides, in any directory: the
# route x role matrix (who may call a route is decided above the engine; half a minute on
# PostgreSQL) and the background analysis's files on disk (their formats and repair).
POSTGRES_EXTENDED = frozenset(
    {
        "test_every_route_answers_each_role_as_the_permission_table_says",
        "test_answers_are_kept_in_safe_formats_and_a_damaged_file_is_computed_again",
        # a measurement in Chromium recorded as an answer: the answer's write is the
        # evaluation services' own, which run on both engines
        "test_a_solutions_pages_are_measured_into_the_evaluators_evaluation",
    }
)


# The command line sits above the services, which every services test runs on both
# engines: CI keeps the PostgreSQL runs of the CLI tests where the engine shows through the
# command (its URL and password, a failed import rolled back); the others are extended.
CLI_POSTGRES_IN_CI = frozenset({"test_db_ops.py"})
CLI_POSTGRES_TESTS_IN_CI = frozenset({"test_failed_import_leaves_the_database_as_before"})


def _postgres_run_extended(item: pytest.Item) -> bool:
    name, folder = getattr(item, "originalname", ""), item.path.parent.name
    if name in POSTGRES_EXTENDED:
        return True
    if folder == "web":
        return item.path.name not in WEB_POSTGRES_IN_CI
    if folder == "cli":
        return item.path.name not in CLI_POSTGRES_IN_CI and name not in CLI_POSTGRES_TESTS_IN_CI
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("postgres") is not None and _postgres_run_extended(item):
            item.add_marker(pytest.mark.extended)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A migrated database with the reference data, fresh for each test."""
    request.node.user_properties.append(("engine", request.param))
    if request.param == "sqlite":
        engine = _sqlite_engine(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        engine = _pg_engine(
            request.getfixturevalue("pg_server"), request.getfixturevalue("pg_template")
        )
    yield engine
    _dispose(engine)


@pytest.fixture
def db_url(db: sa.Engine) -> str:
    """The URL of ``db``, for CLI tests."""
    return db.url.render_as_string(hide_password=False)


@pytest.fixture
def both_engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, sa.Engine]]:
    """A fresh SQLite and a fresh PostgreSQL database, side by side."""
    request.node.user_properties += [("engine", "sqlite"), ("engine", "postgresql")]
    engines = {
        "sqlite": _sqlite_engine(request.getfixturevalue("sqlite_template"), tmp_path),
        "postgresql": _pg_engine(
            request.getfixturevalue("pg_server"), request.getfixturevalue("pg_template")
        ),
    }
    yield engines
    for engine in engines.values():
        _dispose(engine)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each engine, per test folder (storage, services, ...)."""
    runs: Counter[tuple[str, str, str]] = Counter()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            folder = report.nodeid.split("/")[1] if "/" in report.nodeid else "."
            for key, engine in getattr(report, "user_properties", ()):
                if key == "engine":
                    runs[(folder, engine, outcome)] += 1
    if not runs:
        return
    terminalreporter.section("tests per database engine")
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL (server started by this run)"}
    for folder in sorted({f for f, _, _ in runs}):
        parts = []
        for engine, name in names.items():
            done = {o: runs[(folder, engine, o)] for o in ("passed", "failed", "skipped", "error")}
            shown = ", ".join(f"{n} {o}" for o, n in done.items() if n)
            parts.append(f"{name}: {shown or 'none'}")
        terminalreporter.write_line(f"{folder:<10} " + " | ".join(parts))
