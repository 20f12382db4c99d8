"""Benchmark of the inter-coder agreement (``services.coding.agreement``) on a long
interview coded twice, next to the same libraries on every character.

Builds a fresh SQLite database holding one resource of ``--chars`` characters, a
codebook of ``--codes`` codes and two coders: the first codes ``--passages`` passages
per code, the second re-codes each with its ends moved by up to 20 characters and,
one time in five, with another code. Then, in the same process, times:

* ``agreement()`` through the service (pieces of text, kappa weighted by length,
  Krippendorff's units grouped where the coders agree);
* the reference: ``sklearn.metrics.cohen_kappa_score`` and ``krippendorff.alpha`` on
  one unit per character, for the same codes;

and prints both times, their ratio, and the largest difference between the values.

    .venv/bin/python bench/coding.py                    # 600,000 characters, 76 codes
    .venv/bin/python bench/coding.py --chars 50000 --codes 20
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import krippendorff
import numpy as np
import sqlalchemy as sa
from sklearn.metrics import cohen_kappa_score

from maillage.services import coding
from maillage.storage.audit import utcnow
from maillage.storage.engine import make_engine, transaction
from maillage.storage.migrate import upgrade
from maillage.storage.tables import coding as coding_table


def build(db: sa.Engine, chars: int, codes: int, passages: int, seed: int) -> None:
    rng = random.Random(seed)
    words = ["numérique", "territoire", "association", "lieu", "réseau", "besoin", "😀"]
    text = " ".join(rng.choice(words) for _ in range(chars // 4))[:chars]
    with transaction(db) as conn:
        rid = coding.create_resource(conn, title="Entretien long", body=text, by="bench")
    ids = [coding.add_code(db=db, name=f"Code {i}", by="bench")["id"] for i in range(codes)]
    now = utcnow()
    rows = []
    for code_id in ids:
        for _ in range(passages):
            lo = rng.randrange(0, chars - 2000)
            hi = lo + rng.randrange(50, 2000)
            other = code_id if rng.random() > 0.2 else rng.choice(ids)
            shift = rng.randrange(-20, 21)
            for coder, code, a, b in (("Ana", code_id, lo, hi),
                                      ("Ben", other, max(0, lo + shift), hi + shift)):  # fmt: skip
                rows.append({"guid": str(uuid.uuid4()), "selection_guid": str(uuid.uuid4()),
                             "resource_id": rid, "start": a, "end": b, "quote": text[a:b],
                             "code_id": code, "coder": coder, "created_at": now,
                             "updated_at": now})  # fmt: skip
    with transaction(db) as conn:
        conn.execute(sa.insert(coding_table), rows)


def reference(db: sa.Engine) -> dict[int, tuple[float, float]]:
    """Kappa and alpha per code on one unit per character."""
    with db.connect() as conn:
        size = conn.execute(sa.text("SELECT length(body) FROM resource")).scalar_one()
        rows = conn.execute(sa.select(coding_table)).all()
    out = {}
    for code_id in sorted({r.code_id for r in rows}):
        data = np.zeros((2, size))
        for r in rows:
            if r.code_id == code_id:
                data[0 if r.coder == "Ana" else 1, r.start : r.end] = 1
        kappa = float(cohen_kappa_score(data[0], data[1]))
        alpha = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
        out[code_id] = (kappa, alpha)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=600_000)
    parser.add_argument("--codes", type=int, default=76)
    parser.add_argument("--passages", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        db = make_engine(url)
        upgrade(db)
        build(db, args.chars, args.codes, args.passages, args.seed)
        coding.codebook(db=db)  # seeded once, outside the timings
        started = time.perf_counter()
        result = coding.agreement(db=db)
        service = time.perf_counter() - started
        started = time.perf_counter()
        ref = reference(db)
        bare = time.perf_counter() - started
        worst = 0.0
        for item in result["codes"]:
            kappa, alpha = ref[item["code_id"]]
            for mine, theirs in ((item["pairs"][0]["kappa"], kappa), (item["alpha"], alpha)):
                if mine is not None and not np.isnan(theirs):
                    worst = max(worst, abs(mine - theirs))
        db.dispose()
    print(f"{args.chars:,} characters, {len(result['codes'])} codes, 2 coders")
    print(f"agreement() through the service: {service:.2f} s")
    print(f"libraries on every character:    {bare:.2f} s")
    print(f"ratio service / per character:   {service / bare:.3f}")
    print(f"largest difference (values rounded to 4 places): {worst:.5f}")


if __name__ == "__main__":
    main()
