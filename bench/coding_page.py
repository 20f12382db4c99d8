"""The coding page of a long source (issue 22's user trial: 1–1.5 s and 2.1 MB of HTML
for a 600 KB transcript) against the plain page of the same resource, in the same run.

Builds a fresh SQLite database holding one resource of about ``--chars`` characters of
French speech (the ParisStories and Rhapsodie transcripts shipped in
``tests/data/resources``, repeated) with CR LF line ends, and ``--codings`` codings spread
over it (some overlapping, some across line ends). Then, through the application (a
signed-in editor, the permission ``code``), times ``--runs`` GETs of:

* the coding page, ``/resources/{id}/coding``;
* the reference: the resource's own page, ``/resources/{id}`` (the same text, shown);

and prints the median time of each, their ratio, and each page's HTML size against the
text's size.

    PYTHONPATH=src python bench/coding_page.py                  # 600,000 characters, 200 codings
    PYTHONPATH=src python bench/coding_page.py --chars 100000 --codings 50 --runs 5
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from maillage.services import accounts, coding, database
from maillage.settings import Settings
from maillage.storage.audit import utcnow
from maillage.storage.engine import make_engine, transaction
from maillage.storage.tables import coding as coding_table
from maillage.web.app import create_app

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "resources"
PASSWORD = "correct horse battery"


def source_text(chars: int) -> str:
    """French speech, one utterance a line, CR LF line ends, about ``chars`` long."""
    lines = []
    for path in sorted((DATA / "parisstories").glob("*.txt")) + sorted(
        (DATA / "rhapsodie").glob("*.txt")
    ):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                lines.append(line.strip())
    out: list[str] = []
    size = 0
    while size < chars:
        for line in lines:
            out.append(line)
            size += len(line) + 2
            if size >= chars:
                break
    return "\r\n".join(out)


def build(db: sa.Engine, chars: int, codings: int, seed: int) -> int:
    rng = random.Random(seed)
    text = source_text(chars)
    with transaction(db) as conn:
        rid = coding.create_resource(conn, title="Entretien long", body=text, by="bench")
    codes = [c["id"] for c in coding.codebook(db=db)][:20]
    now = utcnow()
    rows = []
    for _ in range(codings):
        lo = rng.randrange(0, len(text) - 1000)
        hi = lo + rng.randrange(20, 1000)
        rows.append({"guid": str(uuid.uuid4()), "selection_guid": str(uuid.uuid4()),
                     "resource_id": rid, "start": lo, "end": hi, "quote": text[lo:hi],
                     "code_id": rng.choice(codes), "coder": rng.choice(["Ana", "Ben"]),
                     "created_at": now, "updated_at": now})  # fmt: skip
    with transaction(db) as conn:
        conn.execute(sa.insert(coding_table), rows)
    return rid


def signed_in_client(db: sa.Engine) -> TestClient:
    url = db.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="k" * 48, login_rate_limit="",
                        mail_rate_limit="", export_rate_limit="")  # fmt: skip
    client = TestClient(create_app(settings, engine=db), base_url="http://localhost")
    accounts.create_account(db=db, email="editor@example.org", password=PASSWORD,
                            role="editor", verified=True, name="Editor")  # fmt: skip
    page = client.get("/account/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post("/account/signin", follow_redirects=False, data={
        "email": "editor@example.org", "password": PASSWORD, "csrf_token": token.group(1)})  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def timed(client: TestClient, path: str, runs: int) -> tuple[float, int]:
    """The median time of ``runs`` GETs of ``path`` (after one untimed) and the size of
    its HTML in bytes."""
    first = client.get(path)
    assert first.status_code == 200, first.text[:500]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200
    return statistics.median(times), len(first.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=600_000)
    parser.add_argument("--codings", type=int, default=200)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        database.upgrade(db=db)
        rid = build(db, args.chars, args.codings, args.seed)
        with db.connect() as conn:
            body = conn.execute(sa.text("SELECT body FROM resource WHERE id = :i"),
                                {"i": rid}).scalar_one()  # fmt: skip
        text_bytes = len(body.encode("utf-8"))
        client = signed_in_client(db)
        page, page_size = timed(client, f"/resources/{rid}/coding", args.runs)
        ref, ref_size = timed(client, f"/resources/{rid}", args.runs)
        client.close()
        db.dispose()
    print(f"text: {len(body):,} characters, {text_bytes:,} bytes in UTF-8, "
          f"{body.count(chr(13) + chr(10)):,} CR LF; {args.codings} codings; "
          f"median of {args.runs} GETs")  # fmt: skip
    print(f"coding page   /resources/{rid}/coding: {page * 1000:8.1f} ms, "
          f"{page_size:>10,} bytes of HTML ({page_size / text_bytes:.2f}x the text)")  # fmt: skip
    print(f"resource page /resources/{rid}:        {ref * 1000:8.1f} ms, "
          f"{ref_size:>10,} bytes of HTML ({ref_size / text_bytes:.2f}x the text)")  # fmt: skip
    print(f"ratio coding / resource page: time {page / ref:.2f}x, HTML {page_size / ref_size:.2f}x")


if __name__ == "__main__":
    main()
