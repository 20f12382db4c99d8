"""Behind a reverse proxy: the portal under a path prefix, the Host header it trusts,
URLs that never repeat a forged Host, the health probe, the language cookie."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from demo import Demo
from fastapi.testclient import TestClient
from portal_support import make_client

from maillage.model.errors import InvalidInput
from maillage.settings import Settings
from maillage.web import deployment
from maillage.web.app import create_app

PREFIX = "/maillage"
# Every attribute of a page that holds a URL of the portal (links, assets, widget data).
URL_ATTRIBUTE = re.compile(
    r'\s(?:href|src|action|hx-get|data-src|data-[a-z-]*url)="([^"]*)"', re.IGNORECASE
)


# the demo's evidence links, and the directions to a place (a map site, the phone's maps)
OTHER_SITES = ("https://example.org/", "https://www.openstreetmap.org/directions?", "geo:")


def urls_of(html: str) -> list[str]:
    """The URLs of a page that lead to this server (not fragments, not data or blobs,
    not the links to other sites that the data hold)."""
    found = [u for u in URL_ATTRIBUTE.findall(html) if u and not u.startswith("#")]
    return [
        u for u in found if not u.startswith(("data:", "blob:", "mailto:", "tel:", *OTHER_SITES))
    ]


def pages_of(demo_map: Demo) -> list[str]:
    actor = demo_map.named["emmaus"]
    return [
        "/",
        "/explore?territory=DEP:59",
        f"/actors/{actor}",
        "/territories/DEP:59",
        f"/links/{demo_map.link_ids[0]}",
        "/search?q=emmaus",
        "/measures",
        "/developers",
        "/embed/map?world=public",
        "/embed/network",
        "/explore/table",
        "/nowhere",  # the error page has links too
    ]


@pytest.fixture
def prefixed(db: sa.Engine, demo_map: Demo) -> Iterator[TestClient]:
    """The portal served under /maillage, as configured for a reverse proxy."""
    with make_client(db, root_path=PREFIX) as client:
        yield client


def test_under_a_root_path_every_link_asset_and_widget_url_starts_with_it(
    prefixed: TestClient, demo_map: Demo
) -> None:
    for path in pages_of(demo_map):
        answer = prefixed.get(PREFIX + path)
        assert answer.status_code == (404 if path == "/nowhere" else 200), path
        urls = urls_of(answer.text)
        assert urls, path
        outside = [u for u in urls if not u.startswith(PREFIX + "/")]
        assert outside == [], path
    # The assets and the widgets' data answer at the URLs the pages give.
    explore = prefixed.get(PREFIX + "/explore").text
    for url in sorted(set(urls_of(explore))):
        if "/static/" in url or "/api/" in url:
            url = url.replace("&amp;", "&")
            assert prefixed.get(url).status_code == 200, url
    embed_code = re.search(r'id="embed-code"[^>]*value=\'<iframe src="([^"]+)"', explore)
    assert embed_code and embed_code.group(1).startswith(PREFIX + "/embed/map")


def test_under_a_root_path_the_api_gives_urls_under_it(prefixed: TestClient) -> None:
    urls = prefixed.get(PREFIX + "/api/explore?world=public").json()["urls"]
    assert urls and all(u.startswith(PREFIX + "/") for u in urls.values())
    assert prefixed.get(urls["export_actors_csv"]).status_code == 200
    home_links = prefixed.get(PREFIX + "/api/home").json()["links"]
    assert all(u.startswith(PREFIX + "/api/") for u in home_links.values())
    schema = prefixed.get(PREFIX + "/api/openapi.json").json()
    assert schema["servers"] == [{"url": PREFIX}]


def test_a_proxy_that_strips_the_prefix_is_served_too(prefixed: TestClient) -> None:
    """nginx's ``proxy_pass http://app/;`` drops the prefix: links keep it."""
    explore = prefixed.get("/explore")
    assert explore.status_code == 200
    assert f'href="{PREFIX}/static/' in explore.text or f'src="{PREFIX}/static/' in explore.text
    assert prefixed.get("/static/favicon.svg").status_code == 200


def test_health_probe_and_head_answer_with_or_without_the_prefix(prefixed: TestClient) -> None:
    for path in (PREFIX + "/healthz", "/healthz"):
        answer = prefixed.get(path)
        assert answer.status_code == 200 and answer.json()["status"] == "ok", path
        assert prefixed.head(path).status_code == 200, path
    assert prefixed.head(PREFIX + "/").status_code == 200


def test_the_language_cookie_is_kept_under_the_prefix(prefixed: TestClient) -> None:
    answer = prefixed.get(PREFIX + "/?lang=en")
    assert f"Path={PREFIX};" in answer.headers["set-cookie"]
    assert '<html lang="en">' in answer.text
    switch = re.search(r'href="([^"]*lang=fr[^"]*)"', answer.text)
    assert switch and switch.group(1).startswith(PREFIX + "/")


def test_an_invalid_language_is_refused_and_not_kept(client: TestClient) -> None:
    for url in ("/?lang=xx", "/explore?lang=english", "/api/home?lang=EN", "/api/home?lang="):
        answer = client.get(url)
        assert answer.status_code == 422, url
        assert "set-cookie" not in answer.headers, url
    assert client.cookies.get("lang") is None
    valid = client.get("/explore?lang=en")
    assert valid.status_code == 200 and "lang=en;" in valid.headers["set-cookie"]
    assert '<html lang="en">' in client.get("/").text  # kept for the next page


def test_an_untrusted_host_is_refused(client: TestClient) -> None:
    for path in ("/", "/explore", "/api/home", "/healthz"):
        answer = client.get(path, headers={"host": "evil.example"})
        assert answer.status_code == 400, path
        assert "evil.example" not in answer.text
    for host in ("localhost", "127.0.0.1:8000", "LOCALHOST:8000"):
        assert client.get("/healthz", headers={"host": host}).status_code == 200, host


def test_configured_hosts_replace_the_default(db: sa.Engine, demo_map: Demo) -> None:
    with make_client(db, trusted_hosts=("carto.example.org", "*.example.net")) as client:
        assert client.get("/", headers={"host": "carto.example.org"}).status_code == 200
        assert client.get("/", headers={"host": "a.example.net"}).status_code == 200
        assert client.get("/", headers={"host": "example.org"}).status_code == 400
        # the machine's own names stay trusted: a container's health probe asks them
        for host in ("localhost", "127.0.0.1:8000"):
            assert client.get("/healthz", headers={"host": host}).status_code == 200, host


def test_listening_everywhere_without_names_answers_any_host_and_says_so(
    db: sa.Engine, demo_map: Demo
) -> None:
    with make_client(db, host="0.0.0.0") as client:
        answer = client.get("/", headers={"host": "192.0.2.2:8000"})
        assert answer.status_code == 200 and "192.0.2.2" not in answer.text
    assert deployment.host_warning(Settings(host="0.0.0.0")) is not None
    assert deployment.host_warning(Settings(host="0.0.0.0", trusted_hosts=("a.org",))) is None
    assert deployment.host_warning(Settings(host="127.0.0.1")) is None


def test_a_forged_host_never_comes_back_even_when_every_host_is_trusted(
    db: sa.Engine, demo_map: Demo
) -> None:
    with make_client(db, trusted_hosts=("*",), root_path=PREFIX) as client:
        client.headers["host"] = "evil.example"
        paths = [*pages_of(demo_map), "/explore/", "/api/home", "/api/explore"]
        paths += [f"/api/actors/{demo_map.named['emmaus']}", "/api/openapi.json"]
        paths += ["/api/export/view.geojson", "/api/export/actors.csv", "/api/nowhere"]
        for path in paths:
            answer = client.get(PREFIX + path, follow_redirects=False)
            assert answer.status_code < 500, path
            assert "evil.example" not in answer.text, path
            assert all("evil.example" not in v for v in answer.headers.values()), path
        redirect = client.get(PREFIX + "/explore/", follow_redirects=False)
        assert redirect.status_code == 307 and redirect.headers["location"] == PREFIX + "/explore"


def test_a_public_url_gives_absolute_links_and_is_trusted(db: sa.Engine, demo_map: Demo) -> None:
    public = "https://carto.example.org/maillage"
    with make_client(db, public_url=public + "/") as client:
        client.headers["host"] = "carto.example.org"
        explore = client.get("/maillage/explore")
        assert explore.status_code == 200
        assert all(u.startswith(public + "/") for u in urls_of(explore.text))
        urls = client.get("/maillage/api/explore").json()["urls"]
        assert urls["embed_map"] == public + "/embed/map"
        schema = client.get("/maillage/api/openapi.json").json()
        assert schema["servers"] == [{"url": public}]
        # The probe inside the container asks localhost, without the prefix.
        assert client.get("/healthz", headers={"host": "localhost"}).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"root_path": "/a b"}, "root_path"),
        ({"public_url": "carto.example.org"}, "public_url"),
        ({"public_url": "https://x.example/maillage", "root_path": "/autre"}, "public_url"),
        ({"export_rate_limit": "many"}, "export_rate_limit"),
        ({"log_format": "xml"}, "log_format"),
    ],
)
def test_a_setting_that_cannot_work_is_one_clear_error(
    db: sa.Engine, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_app(Settings(database_url=str(db.url), **fields), engine=db)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_the_footer_links_to_the_source_code_when_the_organisation_gives_it(
    db: sa.Engine, demo_map: Demo
) -> None:
    # AGPL-3.0 section 13: users of a modified version are offered its source
    source = "https://git.example.org/observatoire/maillage"
    with make_client(db, source_url=source) as client:
        assert f'href="{source}"' in client.get("/").text
    with make_client(db) as client:
        assert "Code source" not in client.get("/").text
    with pytest.raises(InvalidInput, match="http"):
        deployment.checked(Settings(source_url="javascript:alert(1)"))
