"""``maillage db backup|restore|copy`` from the command line, serving a SQLite file that
cannot be written, and no password ever printed."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from builders import make_actor
from conftest import IN_CI, _pg_engine
from maillage.cli.main import cli
from maillage.services import actors

SECRET = "s3cr3t-Pa55"


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner(env=env).invoke(cli, list(args))


def _with_password(engine: sa.Engine) -> str:
    """The URL of ``engine`` with a password (the test server trusts any)."""
    return engine.url.set(password=SECRET).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_no_password_is_ever_printed(pg_server: object, pg_template: str, tmp_path: Path) -> None:
    db = _pg_engine(pg_server, pg_template)
    url = _with_password(db)
    actors.create_actor(db=db, values=make_actor())
    missing = db.url.set(database="no_such_base", password=SECRET)
    outputs = [
        run("db", "backup", str(tmp_path / "map.dump"), "--db", url),
        run("db", "restore", str(tmp_path / "map.dump"), "--db", url),  # holds data
        run("db", "restore", str(tmp_path / "map.dump"), "--db", url, "--force"),
        run("db", "backup", str(tmp_path / "x.dump"), "--db", missing.render_as_string(False)),
    ]
    codes = [r.exit_code for r in outputs]
    assert codes == [0, 1, 0, 1], [r.output for r in outputs]
    assert "--force" in outputs[1].output and "no_such_base" in outputs[3].output
    for result in outputs:
        assert SECRET not in result.output
    assert "***" in outputs[2].output  # the URL is shown, its password hidden
    db.dispose()


def _map(tmp_path: Path, sqlite_template: Path) -> Path:
    """A SQLite map with one actor, every write in the main file (no WAL beside it)."""
    path = tmp_path / "map.sqlite"
    shutil.copy(sqlite_template, path)
    assert run("actor", "add", "--db", str(path), "--name", "Tiers-lieu du Val").exit_code == 0
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _cannot(why: str) -> None:
    """Skip where this machine cannot make a read-only mount; fail in CI, which must."""
    if IN_CI:
        pytest.fail(f"CI must run the read-only file system test: {why}")
    pytest.skip(why)


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_backup_and_restore_from_the_command_line(sqlite_template: Path, tmp_path: Path) -> None:
    source = _map(tmp_path, sqlite_template)
    backup = tmp_path / "saved.sqlite"
    done = run("db", "backup", str(backup), "--db", str(source))
    assert done.exit_code == 0 and "révision" in done.output
    target = tmp_path / "new.sqlite"
    restored = run("db", "restore", str(backup), "--db", str(target), "--json")
    assert restored.exit_code == 0, restored.output
    listed = run("actor", "list", "--db", str(target))
    assert "Tiers-lieu du Val" in listed.output
    again = run("db", "restore", str(backup), "--db", str(target))
    assert again.exit_code == 1 and "--force" in again.output


def test_serves_a_read_only_file_and_refuses_writes(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _map(tmp_path, sqlite_template)
    before = _fingerprint(path)
    env = {"MAILLAGE_READ_ONLY": "1"}
    monkeypatch.setenv("MAILLAGE_READ_ONLY", "1")
    started: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.update(app=app, **kw))

    assert run("serve", "--db", str(path), env=env).exit_code == 0
    with TestClient(started["app"], base_url="http://localhost") as client:
        pages = [client.get(u) for u in ("/", "/actors/1", "/healthz", "/api/actors/1")]
    assert [p.status_code for p in pages] == [200, 200, 200, 200]
    assert "Tiers-lieu du Val" in pages[1].text
    write = run("actor", "add", "--db", str(path), "--name", "Refusé", env=env)
    upgrade = run("db", "upgrade", "--db", str(path), env=env)  # at the latest revision

    assert write.exit_code == 1 and "lecture seule" in write.output
    assert upgrade.exit_code == 0, upgrade.output
    assert _fingerprint(path) == before
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # nothing written beside it either


def test_reads_work_on_a_read_only_file_system(sqlite_template: Path, tmp_path: Path) -> None:
    """The file lies on a read-only mount (as root, whom permissions do not stop) or in
    a folder without write permission: SQLite cannot make its WAL files beside it."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = _map(folder, sqlite_template)
    for side in ("-wal", "-shm"):  # as a file copied onto the volume: the file alone
        Path(f"{path}{side}").unlink(missing_ok=True)
    before = _fingerprint(path)
    maillage = [sys.executable, "-m", "maillage"]
    commands = [
        [*maillage, "search", "--db", str(path), "tiers-lieu"],
        [*maillage, "actor", "add", "--db", str(path), "--name", "Refusé"],
        [*maillage, "db", "backup", str(tmp_path / "copie.sqlite"), "--db", str(path)],
    ]
    if os.geteuid() == 0:
        if not shutil.which("unshare"):
            _cannot("no unshare to make a read-only mount as root")
        script = f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
        script += " ; ".join(subprocess.list2cmdline(c) + " ; echo rc=$?" for c in commands)
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, check=False
        )
        if "rc=" not in done.stdout:
            _cannot(f"no read-only mount here: {done.stderr.strip()}")
        output = done.stdout + done.stderr
    else:
        folder.chmod(0o555)
        path.chmod(0o444)
        try:
            results = [subprocess.run(c, capture_output=True, text=True) for c in commands]
        finally:
            folder.chmod(0o755)
        output = "".join(f"{r.stdout}{r.stderr}rc={r.returncode}\n" for r in results)
    assert "Tiers-lieu du Val" in output and "unable to open" not in output
    assert "lecture seule" in output and (output.count("rc=0"), output.count("rc=1")) == (2, 1)
    assert "Traceback" not in output and (tmp_path / "copie.sqlite").stat().st_size > 0
    assert _fingerprint(path) == before
