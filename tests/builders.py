"""Builders for test data: ``make_actor(**overrides)``."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from stdnum import luhn

from maillage.storage.engine import transaction
from maillage.storage.tables import need

_seq = itertools.count(1)
ANR = "networks/anr-partenariats"  # the shipped ANR network, under data_dir


def valid_siret(n: int) -> str:
    """A Luhn-valid SIRET derived from ``n`` (SIREN valid too)."""
    base = f"{100000000 + n * 7919 % 89999999:09d}"[:8]
    siren = base + luhn.calc_check_digit(base)
    nic = f"{n % 9999:04d}"
    body = siren + nic
    return body + luhn.calc_check_digit(body)


def make_actor(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Association test {n}",
        "world": "associative",
        "commune_code": "59350",
        "themes": ["inclusion-numerique"],
    }
    values.update(overrides)
    return values


def make_link(source_id: int, target_id: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"source_id": source_id, "target_id": target_id, "kind": "partnership"}
    values.update(overrides)
    return values


def file_needs(db: sa.Engine, *rows: tuple[str, str, int]) -> None:
    """Record needs ``(territory_code, theme, severity)`` as an observatory would."""
    now = dt.datetime.now(dt.UTC)
    values = [
        {
            "territory_code": code,
            "theme": theme,
            "publics": ["habitants"],
            "description": f"Besoin {theme} {code}",
            "severity": severity,
            "status": "observed",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for code, theme, severity in rows
    ]
    with transaction(db) as conn:
        conn.execute(sa.insert(need), values)


def anr_sample(data_dir: Path, target: Path, actors: int = 400) -> Path:
    """The first ``actors`` actors of the shipped ANR network (``data_dir``: the fixture)
    and the links between them, as a network folder under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ANR / "actors.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[: actors + 1]
    kept = {r[0] for r in rows[1:]}
    with open(target / "actors.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    with open(data_dir / ANR / "links.csv", encoding="utf-8", newline="") as f:
        links = list(csv.reader(f))
    with open(target / "links.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([links[0], *(r for r in links[1:] if {r[0], r[1]} <= kept)])
    return target
