"""Column-wise cleaning of imported actors: the same values and issues as record by record.

``_plan_actors`` cleans the records that have nothing to report field by field
(``clean_actor_columns``) and leaves every other record to ``clean_actor``. These
tests hold the column path to the record-by-record one on messy records, record for
record and key for key, and a whole import to the same report and stored actors.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from maillage.model import identifiers as ids
from maillage.model.errors import InvalidInput
from maillage.model.records import ActorRecord, ImportIssue
from maillage.services import importing
from maillage.services.importing import cleaning, identity, reference
from maillage.services.validation import ABSENT, clean_actor, clean_actor_columns
from maillage.storage.registry import actors


def _siret(body: str, nic: str = "0001") -> str:
    siren = body + luhn.calc_check_digit(body)
    rest = siren + nic
    return rest + luhn.calc_check_digit(rest)


GOOD = _siret("38054493")
OTHER = _siret("21590350")
SIRETS = [
    None, "", GOOD, OTHER, ids.checked_siret(GOOD), ids.checked_siret(OTHER),
    "12345678901234", f" {GOOD} ", f"{GOOD[:3]} {GOOD[3:]}",
]  # fmt: skip
SIRENS = [None, GOOD[:9], OTHER[:9], ids.checked_siren(GOOD[:9]), "123456789", " "]
COMMUNES = [
    "59350", "59350", "75056", " 59350 ", "49069",  # Lille, Paris, a former commune
    "99999", "5935", None, "",
]  # fmt: skip


class _Text(str):
    """A text of a subclass of str (never taken as clean text in bulk)."""


POOLS: dict[str, list[Any]] = {
    "name": [
        "Association A",
        "Mairie",
        " Collectif B ",
        "",
        "   ",
        "x" * 501,
        "a\x00b",
        _Text(" Collectif C "),
    ],  # fmt: skip
    "key": [None, "k1", "k2", "k3", " k4 ", "k5", 6],
    "acronym": [None, None, "AB", " CD ", 12],
    "description": [None, None, "Une description", "y" * 20001],
    "world": [None, "associative", "economic", " public ", "bogus", ""],
    "category": [None, None, None, "association", "bogus"],
    "digital_profile": ["unknown", "unknown", "native", " adopter ", "bad"],
    "siren": SIRENS,
    "siret": SIRETS,
    "rna": [None, None, "W123456789", "w123456789", "bad"],
    "legal_form": [None, "9220", " 5710 ", "92"],
    "naf": [None, "94.99Z", "z" * 11],
    "address": [None, "1 rue de la Paix", " 2 rue ", "a" * 501],
    "postcode": [None, "59000", "59 000", "bad", ""],
    "commune_code": COMMUNES,
    "commune_name": [None, "Lille", "Nulle-Part"],
    "latitude": [None, None, None, 50.63, 0.0, 91.0],
    "longitude": [None, None, None, 3.06, 0.0],
    "website": [None, "https://example.org", "example.org", "pas un site"],
    "email": [None, "contact@example.org", "pas-un-email"],
    "phone": [None, "03 20 00 00 00"],
    "themes": [[], [], ["numérique"], [" inclusion "]],
    "sdgs": [[], [], [4], [18]],
    "territories": [[], [], ["DEP:59"], ["DEP:999"]],
    "source": [None, None, "test", "autre"],
    "source_ref": [None, "r1", " r2 "],
    "classification_rule": [None, "forme juridique"],
    "extra": [{}, {}, {"date_maj": "2024-01-01"}],
}


def _record(values: dict[str, Any]) -> ActorRecord:
    """A record of the drawn values (lists and dicts copied: records own them)."""
    return ActorRecord(**{k: copy.copy(v) for k, v in values.items()})


def _drawn(count: int, seed: int, mess: float = 0.04) -> list[ActorRecord]:
    """Plain records (each its key, name and SIRET), each field drawn from the messy
    pools with probability ``mess``."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        siret = _siret(f"{10_000_000 + i:08d}")
        plain: dict[str, Any] = {k: v[0] if isinstance(v[0], list | dict) or v[0] is None else None
                 for k, v in POOLS.items()}  # fmt: skip
        plain.update(
            name=f"Association {i}", key=f"k{i}", digital_profile="unknown",
            world=rng.choice(["associative", "economic", None]),
            siret=rng.choice([siret, ids.checked_siret(siret), None]),
            commune_code=rng.choice(["59350", "75056"]), postcode=rng.choice(["59000", None]),
            address=rng.choice([f"{i} rue de la Paix", None]),
        )  # fmt: skip
        drawn = {k: rng.choice(v) if rng.random() < mess else plain[k] for k, v in POOLS.items()}
        out.append(_record(drawn))
    return out


def _row_by_row(
    record: ActorRecord, key: str, ref: Any
) -> tuple[dict[str, Any] | None, list[ImportIssue]]:
    warnings: list[ImportIssue] = []
    try:
        return cleaning._clean_actor(record, key, "test", ref, warnings.append), warnings
    except InvalidInput:
        return None, warnings


def test_column_path_matches_row_by_row(sqlite_db: sa.Engine) -> None:
    with sqlite_db.connect() as conn:
        ref = reference._Reference(conn)

        @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            count=st.integers(0, 12),
            seed=st.integers(0, 2**32),
            mess=st.sampled_from([0.01, 0.05, 0.2, 1.0]),
        )
        def check(count: int, seed: int, mess: float) -> None:
            records = _drawn(count, seed, mess)
            keys = [importing.import_key(r) for r in records]
            bulk = cleaning._clean_columnwise(records, keys, "test", ref)
            assert len(bulk) == len(records)
            for record, key, values in zip(records, keys, bulk, strict=True):
                if values is None:
                    continue  # left to the row-by-row path
                expected, warnings = _row_by_row(record, key, ref)
                assert expected is not None and not warnings, record
                assert values == expected, record
                assert list(values) == list(expected), record  # same keys, same order

        check()


def test_clean_records_are_cleaned_in_bulk(sqlite_db: sa.Engine) -> None:
    """A file of clean records takes the column path, whatever its empty cells."""
    plain = ActorRecord(name="Association A", key="k", world="associative",
                        siret=ids.checked_siret(GOOD), commune_code="59350", postcode="59000")  # fmt: skip
    records = [
        plain,
        dataclasses.replace(plain, key="k2", siret=None, address="1 rue"),
        dataclasses.replace(plain, key="k3", siren=GOOD[:9], world=None),
        dataclasses.replace(plain, key="k4", siret=OTHER, extra={"date_maj": "2024-01-01"}),
    ]
    keys = [importing.import_key(r) for r in records]
    with sqlite_db.connect() as conn:
        ref = reference._Reference(conn)
        bulk = cleaning._clean_columnwise(records, keys, "test", ref)
        assert None not in bulk
        for record, key, values in zip(records, keys, bulk, strict=True):
            assert values == _row_by_row(record, key, ref)[0]
    # the derived SIREN comes last, as clean_actor adds it; a given one keeps its place
    first, third = bulk[0] or {}, bulk[2] or {}
    assert list(first)[-2:] == ["siren", "territories"]
    assert list(third).index("siren") < list(third).index("siret")


def test_records_with_something_to_report_are_left() -> None:
    columns: dict[str, list[Any]] = {
        "name": ["A", "", "C", "D", "E"],
        "siret": [GOOD, GOOD, "12345678901234", GOOD, GOOD],
        "siren": [ABSENT, ABSENT, ABSENT, OTHER[:9], GOOD[:9]],
        "world": ["associative", "associative", "associative", "associative", "bogus"],
    }
    result = clean_actor_columns(columns)
    # a blank name, a wrong check digit, a SIRET not starting with its SIREN, a bad world
    assert result.left == {1, 2, 3, 4}
    (row, *others) = result.records()
    assert others == [None] * 4
    assert row == clean_actor({k: v[0] for k, v in columns.items() if v[0] is not ABSENT})


@pytest.mark.parametrize("field", ["latitude", "longitude", "colour"])
def test_fields_not_taken_in_bulk_are_refused(field: str) -> None:
    with pytest.raises(ValueError):
        clean_actor_columns({"name": ["A"], field: ["1"]})


def _stored(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = actors.list(conn, limit=None)
    drop = ("created_at", "updated_at")
    return [{k: v for k, v in row.items() if k not in drop} for row in rows]


def test_whole_import_is_the_same_both_ways(
    db: sa.Engine, sqlite_db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Report (counts, issues, warnings in order) and stored actors, with the column
    path and with every record cleaned on its own."""
    drawn = _drawn(150, seed=3)
    reference = sqlite_db

    def run(engine: sa.Engine) -> dict[str, Any]:
        report = importing.import_actors(
            db=engine, records=[_record(dataclasses.asdict(r)) for r in drawn],
            source="test",
            partial=True,
        )  # fmt: skip
        data = report.to_dict()
        data.pop("import_run_id", None)
        data.pop("batch_id", None)
        return data

    bulk_report = run(db)
    monkeypatch.setattr(identity, "_clean_columnwise", lambda records, *_: [None] * len(records))
    rows_report = run(reference)
    assert bulk_report == rows_report
    assert bulk_report["created"] > 0
    assert _stored(db) == _stored(reference)


@pytest.mark.parametrize(
    "columns",
    [
        {"name": ["A"], "acronym": [12]},  # a number in a text field becomes text
        {"name": [_Text(" A ")]},  # a str subclass is stripped as clean_actor does
        {"name": ["A"], "naf": [ids.checked_siret(GOOD)]},  # too long for naf
        {"name": [None]},  # no name
        {"name": ["x" * 501], "website": ["http://["]},  # a rule raising ValueError
        {"name": ["A", "B"], "sdgs": [["3"], ["x"]]},  # SDGs become numbers
        {"name": ["A", "B"], "quality": [0.5, "0,5"], "siren": [None, ABSENT]},
    ],
)
def test_odd_cells_give_what_clean_actor_gives(columns: dict[str, list[Any]]) -> None:
    """Found by review: each record is either cleaned as clean_actor cleans it, or left
    to it (also when another field would make clean_actor raise something else)."""
    result = clean_actor_columns(columns).records()
    count = len(next(iter(columns.values())))
    for i in range(count):
        values = {k: col[i] for k, col in columns.items() if col[i] is not ABSENT}
        try:
            expected: dict[str, Any] | None = clean_actor(values)
        except Exception:
            expected = None
        if expected is None:
            assert result[i] is None, values
        elif result[i] is not None:
            assert result[i] == expected and list(result[i] or ()) == list(expected), values


def test_a_key_that_is_not_text(sqlite_db: sa.Engine) -> None:
    record = ActorRecord(name="A", key=5, commune_code="59350")  # type: ignore[arg-type]
    with sqlite_db.connect() as conn:
        ref = reference._Reference(conn)
        key = importing.import_key(record)
        (values,) = cleaning._clean_columnwise([record], [key], "test", ref)
        assert values == _row_by_row(record, key, ref)[0]
        assert values is not None and values["identifiers"] == ["source:test:5"]
