"""The EcoIndex measured from the grid form, on SQLite and PostgreSQL, over HTTP (no
browser journey: Chromium only measures the page): an evaluator asks for the measurement
of a solution's website, a local page of known size (loopback allowed in the portal's
settings for the test), and finds the answer on the form and in the report, equal to
the reference's score and grade; without a CSRF token, nothing; loopback under the
default policy gives the message, never a 500; Chromium missing gives the install
message; the measurements are rate limited per account."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape

import pytest
import sqlalchemy as sa
from test_accounts import csrf, portal, signed_in

from ecoindex_pages import Site, build_page, reference_ecoindex, require_chromium, serve
from maillage.services import evaluation, solutions

LOCAL = {"ecoindex_allowed_networks": ("127.0.0.0/8",)}


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as served:
        yield served


def test_an_evaluator_measures_the_ecoindex_from_the_grid_form(db: sa.Engine, site: Site) -> None:
    require_chromium()
    page = build_page(site, "home", inline=250, scripts=(60_000,), images=5)
    url = site.origin + page.path
    sid = int(solutions.create_solution(db=db, values={"name": "Carto", "website": url})["id"])
    client = portal(db, **LOCAL)
    signed_in(db, client, "editor")
    form = client.get(f"/solutions/{sid}/evaluate")
    assert "Mesurer l'EcoIndex" in unescape(form.text) and "Pas encore mesuré" in form.text
    path = f"/solutions/{sid}/ecoindex"
    assert client.post(path, data={"pages": ""}, follow_redirects=False).status_code == 403
    assert site.sent == []  # refused before any measurement
    done = client.post(path, data={"csrf_token": csrf(client), "pages": ""},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/solutions/{sid}/evaluate#ecoindex-measure"
    size_kb = site.bytes_sent(page.path)[1] / 1000
    score, grade, _ges, _water = reference_ecoindex(page.dom_nodes, page.requests, size_kb)
    (stored,) = evaluation.evaluations_of(db=db, subject_type="solution", subject_id=sid)
    (answer,) = stored["answers"]
    assert (answer["criterion"], answer["value"]) == ("ecoindex", f"{score:.2f}")
    assert answer["evidence"].startswith(f"EcoIndex {score:.2f} ({grade}), ")
    assert stored["evaluator"] == "Editor"
    shown = unescape(client.get(done.headers["location"]).text)
    assert f'name="ecoindex.value" inputmode="decimal" size="6" value="{score:.2f}"' in shown
    panel = shown.split('id="ecoindex-measure"', 1)[1].split("</section>", 1)[0]
    assert f"{score:.2f} / 100" in panel
    assert f"- {url} : {score} ({grade}) · DOM {page.dom_nodes} · {page.requests} req." in panel
    # The grid shows it again, its lines kept (a textarea): saving the grid keeps them.
    evidence = shown.split('<textarea name="ecoindex.evidence"', 1)[1].split("</textarea>")[0]
    assert evidence.split(">", 1)[1] == answer["evidence"]
    report = unescape(client.get(f"/solutions/{sid}/report").text)
    assert f"EcoIndex {score:.2f} ({grade})" in report and f"DOM {page.dom_nodes}" in report


def test_refusals_give_their_message_and_write_nothing(
    db: sa.Engine, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = build_page(site, "home", inline=3)
    url = site.origin + page.path
    sid = int(solutions.create_solution(db=db, values={"name": "Carto", "website": url})["id"])
    default = portal(db, ecoindex_allowed_networks=(), ecoindex_rate_limit="2/hour")
    signed_in(db, default, "editor")
    path = f"/solutions/{sid}/ecoindex"
    refused = default.post(path, data={"csrf_token": csrf(default)})
    assert refused.status_code == 422
    assert "adresse non publique 127.0.0.1" in refused.text and 'role="alert"' in refused.text
    assert "MAILLAGE_ECOINDEX_ALLOWED_NETWORKS" in refused.text  # how to allow it, said
    english = default.post(path + "?lang=en", data={"csrf_token": csrf(default), "pages": url})
    assert english.status_code == 422 and "non-public address 127.0.0.1" in english.text
    assert f'name="pages" rows="3">{url}</textarea>' in english.text  # kept to correct
    limited = default.post(path, data={"csrf_token": csrf(default)})
    assert limited.status_code == 429 and "Too many EcoIndex measurements" in limited.text
    # Chromium missing: the install message, not a 500.
    monkeypatch.setenv("PATH", "/nonexistent")
    local = portal(db, **LOCAL)
    signed_in(db, local, "editor", "other@example.org")
    missing = local.post(path, data={"csrf_token": csrf(local)})
    assert missing.status_code == 503 and "apt-get install chromium" in missing.text
    assert site.sent == []
    assert evaluation.evaluations_of(db=db, subject_type="solution", subject_id=sid) == []
