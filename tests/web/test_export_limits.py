"""Public exports: a row cap that refuses with a clear message, a rate limit per client,
and the error answers (404, 422, 429) in the OpenAPI schema."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from demo import Demo
from fastapi.testclient import TestClient
from portal_support import make_client

EXPORTS = ("/api/export/actors.csv", "/api/export/links.csv", "/api/export/view.geojson")


def test_a_view_larger_than_the_cap_is_refused_with_its_size(db: sa.Engine, demo_map: Demo) -> None:
    with make_client(db, export_max_rows=30) as client:
        answer = client.get("/api/export/actors.csv")  # 40 actors
        assert answer.status_code == 422
        body = answer.json()
        assert body["error"] == "ExportTooLarge"
        assert "40 lignes" in body["message"] and "au plus 30" in body["message"]
        assert "40 rows" in body["message_en"] and "at most 30" in body["message_en"]
        # A narrower view fits, and holds every row: nothing is cut short.
        narrow = client.get("/api/export/actors.csv?territory=DEP:59")
        assert narrow.status_code == 200
        assert len(list(csv.DictReader(io.StringIO(narrow.text)))) == 20
        assert client.get("/api/export/links.csv").status_code == 422  # 60 links
        assert client.get("/api/export/view.geojson").status_code == 422
        # A browser following the link on the explore page gets a page that says it.
        page = client.get("/api/export/actors.csv", headers={"accept": "text/html"})
        assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
        assert "au plus 30" in page.text


def test_no_cap_when_set_to_zero(db: sa.Engine, demo_map: Demo) -> None:
    with make_client(db, export_max_rows=0) as client:
        answer = client.get("/api/export/links.csv")
        assert answer.status_code == 200
        assert len(list(csv.DictReader(io.StringIO(answer.text)))) == 60


def test_a_client_over_the_rate_limit_waits_and_others_do_not(
    db: sa.Engine, demo_map: Demo
) -> None:
    with make_client(db, export_rate_limit="3/minute") as client:
        assert [client.get(url).status_code for url in EXPORTS] == [200, 200, 200]
        refused = client.get("/api/export/actors.csv?lang=en")
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 60
        body = refused.json()
        assert body["error"] == "TooManyRequests"
        assert f"réessayez dans {wait} s" in body["message"] and "3 par minute" in body["message"]
        assert f"try again in {wait} s" in body["message_en"]
        # The rest of the portal still answers that client.
        assert client.get("/api/map.geojson").status_code == 200
        other = TestClient(client.app, base_url="http://localhost", client=("192.0.2.7", 4000))
        assert other.get("/api/export/actors.csv").status_code == 200


def test_errors_are_in_the_openapi_schema(client: TestClient, demo_map: Demo) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    error_model = "#/components/schemas/ErrorAnswer"
    for path in (
        "/api/actors/{actor_id}",
        "/api/actors/{actor_id}/analysis",
        "/api/territories/{code}",
        "/api/territories/{code}/analysis",
        "/api/links/{link_id}",
        "/api/measures/{code}",
    ):
        documented = paths[path]["get"]["responses"]
        assert documented["404"]["content"]["application/json"]["schema"]["$ref"] == error_model
        assert documented["422"]["content"]["application/json"]["schema"]["$ref"] == error_model
    answers = {
        "/api/actors/{actor_id}": client.get("/api/actors/999999"),
        "/api/territories/{code}": client.get("/api/territories/XYZ:1"),
        "/api/links/{link_id}": client.get("/api/links/999999"),
        "/api/measures/{code}": client.get("/api/measures/nothing"),
    }
    required = set(schema["components"]["schemas"]["ErrorAnswer"]["required"])
    for path, answer in answers.items():
        assert answer.status_code == 404, path
        assert required <= set(answer.json()), path
    # The year-order rule, where a reader of the schema looks for it.
    params = {p["name"]: p for p in paths["/api/map.geojson"]["get"]["parameters"]}
    assert "year_from" in params["year_to"]["description"]
    assert "422" in params["year_to"]["description"]
    backwards = client.get("/api/map.geojson?year_from=2020&year_to=2010")
    assert backwards.status_code == 422 and backwards.json()["field"] == "year_to"
    assert required <= set(backwards.json())
    for path in EXPORTS:
        documented = paths[path]["get"]["responses"]
        assert "ExportTooLarge" in documented["422"]["description"]
        assert "Retry-After" in documented["429"]["headers"]
        assert documented["429"]["content"]["application/json"]["schema"]["$ref"] == error_model
