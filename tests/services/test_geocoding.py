"""Reading an address geocoder's answer (the BAN's GeoJSON), telling an address from a
postcode or a commune, and the communes an address names offline."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from maillage.services.geocoding import (
    Address,
    GeocoderUnavailable,
    looks_like_address,
    parse_answer,
)
from maillage.services.geography import readings_in_text

# Trimmed from an answer of https://api-adresse.data.gouv.fr/search/?q=10+rue+de+paris+lille
# (Base Adresse Nationale, Licence Ouverte / ETALAB-2.0).
BAN = {
    "type": "FeatureCollection",
    "version": "draft",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [3.065203, 50.633912]},
            "properties": {
                "label": "10 Rue de Paris 59000 Lille",
                "score": 0.9713,
                "housenumber": "10",
                "id": "59350_6580_00010",
                "name": "10 Rue de Paris",
                "postcode": "59000",
                "citycode": "59350",
                "city": "Lille",
                "context": "59, Nord, Hauts-de-France",
                "type": "housenumber",
                "importance": 0.7,
                "street": "Rue de Paris",
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [2.8, 50.4]},
            "properties": {"label": "Rue de Paris 62300 Lens", "score": 0.61, "type": "street"},
        },
    ],
    "attribution": "BAN",
    "licence": "ETALAB-2.0",
    "query": "10 rue de paris lille",
    "limit": 5,
}


def answer(data: object) -> bytes:
    return json.dumps(data).encode()


def test_the_best_feature_of_a_ban_answer_is_the_address() -> None:
    assert parse_answer(answer(BAN)) == Address(
        label="10 Rue de Paris 59000 Lille",
        latitude=50.633912,
        longitude=3.065203,
        score=0.9713,
        kind="housenumber",
        postcode="59000",
        citycode="59350",
        city="Lille",
    )
    guess = {**BAN, "features": [{**BAN["features"][1]}]}  # type: ignore[list-item]
    guess["features"][0]["properties"] = {**guess["features"][0]["properties"], "score": 0.3}
    assert parse_answer(answer(guess)) is None  # a poor match is no address
    assert parse_answer(answer({**BAN, "features": []})) is None


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Bad gateway</html>",
        answer({"error": "q must contain between 3 and 200 chars"}),
        answer({"type": "FeatureCollection", "features": [{"geometry": None}]}),
        answer(
            {"features": [{"geometry": {"coordinates": [3, 95]}, "properties": {"label": "x"}}]}
        ),
    ],
)
def test_an_answer_that_is_no_feature_collection_of_points_is_refused(body: bytes) -> None:
    with pytest.raises(GeocoderUnavailable):
        parse_answer(body)


def test_an_address_is_a_number_then_a_street_word() -> None:
    assert looks_like_address("10 rue de Paris, 59000 Lille")
    assert looks_like_address("3 bis av. Foch") and looks_like_address("1 Lieu-dit Les Prés")
    assert looks_like_address("12, Boulevard de la Liberté")
    for text in ("59000", "69001", "2A004", "Lille", "rue de Paris", "Saint-Étienne", "France 2"):
        assert not looks_like_address(text), text


def names(db: sa.Engine, text: str) -> list[tuple[str, str]]:
    with db.connect() as conn:
        return [(r["reading"], r["name"]) for r in readings_in_text(conn, text)]


def test_the_communes_an_address_names_offline(db: sa.Engine) -> None:
    assert names(db, "10 rue de Paris, 59000 Lille") == [("postcode", "Lille")]
    assert names(db, "2 rue du Grand Chemin Roubaix") == [("name", "Roubaix")]
    assert names(db, "5 place Clemenceau, Le Havre") == [("name", "Le Havre")]
    assert names(db, "10 rue de Paris") == []  # the street's name, not the commune
    assert names(db, "1 place Bellecour 69002 Lyon")[0] == ("postcode", "Lyon 2e Arrondissement")
