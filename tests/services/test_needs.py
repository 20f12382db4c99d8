"""Needs and indicators: table imports on both engines, and the computed distance rule."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.io.reading import parse_csv_text
from maillage.model.records import ActorRecord
from maillage.services import history, importing
from maillage.services.needs import (
    DistanceRule,
    compute_distance_needs,
    import_indicators,
    import_needs,
    nearest_distances_km,
)
from maillage.services.portal.territory import territory_page

NEEDS_CSV = (
    "Territoire;Thème;Publics;Description;Gravité;Statut;Date\n"
    "59;Inclusion numérique;seniors|jeunes;Démarches en ligne difficiles;3;observé;12/03/2024\n"
    "59350;emploi-insertion;;Peu d'offres d'insertion;2;qualified;2024-01-01\n"
    "DEP:62;inclusion-numerique;;Zones blanches mobiles;5;;\n"
    "99999;inclusion-numerique;;Commune inconnue;;;\n"
)
WIDE_CSV = (
    ",CODE_INSEE,LIBCOM,DEP,COUVERTURE_MOBILE,TX_POVERTY\n"
    '0,59350,Lille,59,"0,9",21.5\n'
    "1,62041,Arras,62,1.0,\n"
    "2,59350,Lille,59,0.9,21.5\n"
)
LONG_CSV = (
    "territoire,indicateur,valeur,année,unité\n"
    "REG:32,population_couverte,0.97,2023,part\n"
    "DEP:59,population_couverte,0.98,2023,part\n"
    "DEP:59,population_couverte,0.99,2024,part\n"
)


def _rows(db: sa.Engine, table: str) -> list[tuple[object, ...]]:
    with db.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            f"SELECT territory_code, {'theme, severity, status' if table == 'need' else 'key, value, year'}"
            f" FROM {table} WHERE deleted_at IS NULL ORDER BY id")]  # fmt: skip


def test_needs_table_all_or_nothing_then_partial_and_reimport(db: sa.Engine) -> None:
    table = parse_csv_text(NEEDS_CSV, file="besoins.csv")
    failed = import_needs(db=db, table=table, source="atelier")
    assert (failed.status, failed.rejected, failed.not_written) == ("failed", 4, 2)
    assert _rows(db, "need") == []
    assert sorted((i.row, i.field) for i in failed.issues) == [(4, "Gravité"), (5, "Territoire")]
    done = import_needs(db=db, table=table, source="atelier", partial=True)
    assert (done.status, done.created, done.rejected) == ("done", 2, 2)
    assert _rows(db, "need") == [("DEP:59", "inclusion-numerique", 3, "observed"),
                                 ("COM:59350", "emploi-insertion", 2, "qualified")]  # fmt: skip
    again = import_needs(db=db, table=table, source="atelier", partial=True)
    assert (again.created, again.unchanged, again.batch_id) == (0, 2, None)
    assert done.batch_id is not None
    history.undo_batch(db=db, batch_id=done.batch_id)
    assert _rows(db, "need") == []


def test_wide_and_long_indicator_tables(db: sa.Engine) -> None:
    wide = import_indicators(db=db, table=parse_csv_text(WIDE_CSV, file="w.csv"),
                             source="batch8", year=2020)  # fmt: skip
    assert (wide.status, wide.created, wide.unchanged) == ("done", 3, 2)  # row 4 repeats row 2
    assert sorted(_rows(db, "indicator")) == [
        ("COM:59350", "couverture_mobile", 0.9, 2020), ("COM:59350", "tx_poverty", 21.5, 2020),
        ("COM:62041", "couverture_mobile", 1.0, 2020)]  # fmt: skip
    long = import_indicators(db=db, table=parse_csv_text(LONG_CSV, file="l.csv"), source="arcep")
    assert (long.created, long.rejected) == (3, 0)
    changed = LONG_CSV.replace("0.99,2024", "0.995,2024")
    again = import_indicators(db=db, table=parse_csv_text(changed, file="l.csv"), source="arcep")
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(41, 51), st.floats(-5, 9)), min_size=1, max_size=15),
    st.lists(st.tuples(st.floats(41, 51), st.floats(-5, 9)), min_size=1, max_size=15),
)
def test_nearest_distance_is_the_brute_force_minimum(
    points: list[tuple[float, float]], places: list[tuple[float, float]]
) -> None:
    found = nearest_distances_km(([p[0] for p in points], [p[1] for p in points]),
                                 ([p[0] for p in places], [p[1] for p in places]))  # fmt: skip
    expected = [min(_haversine(*p, *q) for q in places) for p in points]
    assert np.allclose(found, expected, atol=1e-6)


def test_rule_severity_bands() -> None:
    rule = DistanceRule(distance_km=10)
    assert [rule.severity(d) for d in (11, 15, 16, 20, 35)] == [1, 1, 2, 2, 3]
    assert rule.as_json()["parameters"]["distance_km"] == 10


@pytest.mark.parametrize("distance", [25.0])
def test_computed_needs_follow_the_places(db: sa.Engine, distance: float) -> None:
    cities = {
        "lille": (50.63, 3.06),
        "paris": (48.86, 2.35),
        "lyon": (45.76, 4.84),
        "marseille": (43.30, 5.37),
        "bordeaux": (44.84, -0.58),
        "toulouse": (43.60, 1.44),
        "rennes": (48.11, -1.68),
        "strasbourg": (48.58, 7.75),
        "clermont": (45.78, 3.08),
    }
    places = [ActorRecord(name=f"EPN {k}", key=k, latitude=lat, longitude=lon)
              for k, (lat, lon) in cities.items()]  # fmt: skip
    places[0].commune_code = "59350"
    importing.import_records(db=db, kind="lieux", source="cartographie-nationale",
                           actor_records=places)  # fmt: skip
    rule = DistanceRule(distance_km=distance)
    first = compute_distance_needs(db=db, rule=rule)
    assert first["places"] == 9 and first["needs"] == first["created"] > 25000
    with db.connect() as conn:
        near = conn.exec_driver_sql(
            "SELECT count(*) FROM need WHERE territory_code IN ('COM:59350', 'COM:59512')"
        ).scalar_one()
        stored = conn.exec_driver_sql(
            "SELECT rule, source, status, theme FROM need WHERE territory_code = 'COM:29019'"
        ).one()
    assert near == 0  # Lille and Roubaix are within 25 km of the place
    rule_json = stored[0] if isinstance(stored[0], dict) else json.loads(stored[0])
    assert rule_json["parameters"]["distance_km"] == distance
    assert tuple(stored[1:]) == ("computed", "observed", "inclusion-numerique")
    # Brest's need, written from the facts measured, in the page's language
    french, english = (
        territory_page(db=db, key="COM:29019", lang=lang)["needs"][0]["description"]
        for lang in ("fr", "en")
    )
    measured = rule_json["measured"]
    assert measured["commune"] == "Brest" and measured["population"] > 100_000
    assert re.fullmatch(
        r"Brest : [\d\u202f]+ habitants à \d+,\d km du lieu de médiation "
        r"numérique ou France Services le plus proche \(seuil 25 km\)\.",
        french,
    )
    assert re.fullmatch(
        r"Brest: [\d,]+ inhabitants \d+\.\d km from the nearest digital "
        r"mediation place or France Services \(threshold 25 km\)\.",
        english,
    )
    again = compute_distance_needs(db=db, rule=rule)
    assert (again["created"], again["updated"], again["deleted"], again["batch_id"]) == (
        0,
        0,
        0,
        None,
    )
    # A place in Corsica (its communes' nearest place changes, few others'): the needs
    # within reach of it go, the others of the island are measured from it
    ajaccio = [ActorRecord(name="France services Ajaccio", key="ajaccio", latitude=41.93,
                           longitude=8.74)]  # fmt: skip
    importing.import_records(db=db, kind="lieux", source="france-services", actor_records=ajaccio)
    third = compute_distance_needs(db=db, rule=rule)
    assert third["places"] == 10 and third["created"] == 0
    assert 20 < third["deleted"] < 300 and 0 < third["updated"] < 2500
    with db.connect() as conn:
        corsica = dict(conn.exec_driver_sql(
            "SELECT territory_code, rule FROM need WHERE deleted_at IS NULL"
            " AND territory_code IN ('COM:2A004', 'COM:2B033')").all())  # fmt: skip
    assert list(corsica) == ["COM:2B033"]  # Ajaccio covered; Bastia, 100 km away, not
    bastia = corsica["COM:2B033"]
    bastia = bastia if isinstance(bastia, dict) else json.loads(bastia)
    assert 50 < bastia["measured"]["distance_km"] < 150  # from Ajaccio, not Marseille
    history.undo_batch(db=db, batch_id=third["batch_id"])
    with db.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM need WHERE deleted_at IS NULL").scalar_one()
            == first["needs"]
        )
