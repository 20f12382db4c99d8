"""An actor's place: its own coordinates, else its commune's centre, marked approximate
(services.places), on real rows of the shipped ANR network and France Services list."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import anr_sample
from maillage.services.importing import import_file
from maillage.services.places import place_columns, place_counts, placed_from
from maillage.services.portal.map import map_geojson
from maillage.storage.tables import actor


@pytest.fixture
def anr(db: sa.Engine, data_dir: Path, tmp_path: Path) -> sa.Engine:
    report = import_file(
        db=db, fmt="network", path=anr_sample(data_dir, tmp_path / "anr"), source="anr-partenariats"
    )
    assert report.status == "done", report.issues[:3]
    return db


def test_anr_actors_with_a_commune_are_placed_at_its_centre_marked_approximate(
    anr: sa.Engine,
) -> None:
    with anr.connect() as conn:
        counts = place_counts(conn)
        stored = conn.execute(
            sa.select(sa.func.count()).where(actor.c.latitude.is_not(None))
        ).scalar_one()
        toulouse = conn.execute(
            sa.select(actor.c.name, *place_columns())
            .select_from(placed_from())
            .where(actor.c.commune_code == "31555")
            .order_by(actor.c.name)
        ).first()
    # ANR gives a city, never coordinates: every actor whose city is a French commune
    # is placed, at that commune's centre, and none of them has a point stored
    assert stored == 0
    assert (counts.addressed, counts.placed, counts.approximate) == (193, 193, 193)
    assert toulouse is not None and toulouse.approximate
    assert (round(toulouse.latitude, 1), round(toulouse.longitude, 1)) == (43.6, 1.4)


def test_the_map_draws_approximate_places_as_one_group_per_commune(anr: sa.Engine) -> None:
    answer = map_geojson(db=anr, filters={"territory": "75"})
    groups = [f for f in answer["features"] if f["properties"].get("approximate")]
    meta = answer["meta"]
    # 36 ANR actors in Paris, 30 of them with the commune (the others give no city)
    assert (meta["total"], meta["approximate"], meta["unplaced"]) == (36, 30, 6)
    assert [(g["properties"]["name"], g["properties"]["count"]) for g in groups] == [("Paris", 30)]
    assert len(groups[0]["properties"]["members"]) == 30
    assert len(answer["features"]) == 1  # one point at the centre, none of our own making


def test_france_services_keep_their_own_points(db: sa.Engine, data_dir: Path) -> None:
    import_file(
        db=db,
        fmt="france-services",
        path=data_dir / "france-services" / "liste-fs-20240801.csv",
        source="france-services",
    )
    with db.connect() as conn:
        counts = place_counts(conn)
    # the 2,845 France Services at their own points, and the 5 communes the import draws as
    # their carriers (services.relations), placed at their commune's centre
    assert (counts.addressed, counts.placed, counts.approximate) == (2850, 2850, 5)
