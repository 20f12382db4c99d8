"""The coding pages through HTTP: a project imported by an administrator, a passage
coded by an editor (CSRF required), a contributor refused, the codebook and project
exports valid against the REFI-QDA schemas, the hypotheses as JSON and CSV."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from typing import Any

import sqlalchemy as sa
from test_accounts import csrf, portal, signed_in

from maillage.io import refiqda
from maillage.services import coding
from maillage.storage.engine import transaction

TEXT = "Premier entretien.\nLe numérique relie les lieux et les gens du village.\n"


def _project() -> bytes:
    code = refiqda.Code(guid=refiqda.new_guid(), name="Liens")
    return refiqda.write_project(refiqda.Project(
        name="Essai", codes=[code],
        sources=[refiqda.Source(guid=refiqda.new_guid(), name="Entretien 1", text=TEXT)],
    ))  # fmt: skip


def test_import_code_export_and_the_hypotheses_over_http(db: sa.Engine) -> None:
    admin = portal(db)
    signed_in(db, admin, "admin")
    answer = admin.post("/coding/import", data={"csrf_token": csrf(admin)},
                        files={"file": ("essai.qdpx", _project(), "application/zip")})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert "Importé" in answer.text or "Imported" in answer.text
    editor = portal(db)
    signed_in(db, editor, "editor")
    listed = editor.get("/codebook").text
    assert 'href="/resources/1/coding">Entretien 1</a>' in listed
    page = editor.get("/resources/1/coding")
    assert page.status_code == 200 and "relie les lieux" in page.text
    h6 = re.search(r'<option value="(\d+)" data-hypothesis="H6">', page.text)
    assert h6 is not None
    form = {"quote": "relie les lieux", "code_id": h6.group(1), "stance": "nuances",
            "memo": "Seulement au village"}  # fmt: skip
    assert editor.post("/resources/1/codings", data=form,
                       follow_redirects=False).status_code == 403  # no CSRF token  # fmt: skip
    done = editor.post("/resources/1/codings", data={**form, "csrf_token": csrf(editor)},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and "/resources/1/coding?saved=1" in done.headers["location"]
    coded = editor.get(done.headers["location"]).text
    assert 'class="coded"' in coded and "Seulement au village" in coded
    # The stance is required under a hypothesis: the form comes back with the error.
    missing = editor.post("/resources/1/codings", data={
        "quote": "Premier", "code_id": h6.group(1), "csrf_token": csrf(editor)})  # fmt: skip
    assert missing.status_code == 422 and 'aria-invalid="true"' in missing.text
    contributor = portal(db)
    signed_in(db, contributor, "contributor")
    assert contributor.get("/resources/1/coding").status_code == 403
    # Exports validate against the REFI-QDA schemas.
    qdc = editor.get("/codebook.qdc")
    assert qdc.status_code == 200 and refiqda.schema_errors(qdc.content, "codebook") == []
    qdpx = editor.get("/coding/project.qdpx")
    qde = zipfile.ZipFile(io.BytesIO(qdpx.content)).read("project.qde")
    assert refiqda.schema_errors(qde) == []
    # The hypotheses, public: H6 has one nuancing passage, thin.
    visitor = portal(db)
    found = {h["code"]: h for h in visitor.get("/api/hypotheses").json()}
    assert found["H6"]["stances"]["nuances"] == 1 and found["H6"]["thin"]
    assert found["H6"]["evidence"][0]["quote"] == "relie les lieux"
    rows = list(csv.DictReader(io.StringIO(visitor.get("/hypotheses.csv").text)))
    assert [(r["hypothesis"], r["stance"], r["resource"]) for r in rows] == [
        ("H6", "nuances", "Entretien 1")]  # fmt: skip
    page = visitor.get("/hypotheses").text
    assert "relie les lieux" in page and "preuves minces" in page


def _coding_page(db: sa.Engine, body: str, title: str) -> tuple[Any, int, str, str]:
    """An editor on the coding page of a new resource: the client, the resource's id, the
    page and the id of the code « Thèmes »."""
    with transaction(db) as conn:
        rid = coding.create_resource(conn, title=title, body=body, by="test")
    editor = portal(db)
    signed_in(db, editor, "editor")
    page = editor.get(f"/resources/{rid}/coding").text
    theme = re.search(r'<option value="(\d+)">Thèmes</option>', page)
    assert theme is not None
    return editor, rid, page, theme.group(1)


def _error_of(page: str) -> str:
    found = re.search(r'<p class="form-error" role="alert">(.*?)</p>', page, re.S)
    assert found is not None, page
    return html.unescape(found.group(1))


def test_a_passage_not_in_the_text_is_said_in_plain_words(db: sa.Engine) -> None:
    """The coder learns that the passage is not in the text and how to select it; no
    internal field name (« quote ») reaches the page, in French or in English."""
    editor, rid, _, theme = _coding_page(db, TEXT, "Entretien 2")
    form = {"quote": "des mots absents", "code_id": theme, "csrf_token": csrf(editor)}
    answer = editor.post(f"/resources/{rid}/codings", data=form)
    assert answer.status_code == 422
    said = _error_of(answer.text)
    assert "Ce passage n'est pas dans le texte : « des mots absents »" in said
    assert "Sélectionnez-le dans le texte à la souris" in said
    assert "quote" not in said and "champ" not in said
    assert re.search(r'id="c-quote"[^>]*aria-invalid="true"', answer.text)
    assert "des mots absents</textarea>" in answer.text  # the words typed are kept
    english = editor.post(f"/resources/{rid}/codings?lang=en", data=form)
    said = _error_of(english.text)
    assert "This passage is not in the text" in said and "Select it in the text" in said
    assert "quote" not in said and "field" not in said


def test_a_stance_given_with_a_theme_is_announced_before_and_said_after(db: sa.Engine) -> None:
    """A stance is towards a hypothesis: with a theme the coding is saved (as Taguette or
    NVivo would tag the passage), the stance is not kept, and the coder is told so on
    the form before saving and in the message after."""
    with transaction(db) as conn:
        rid = coding.create_resource(conn, title="Entretien 3", body=TEXT, by="test")
    editor = portal(db)
    signed_in(db, editor, "editor")
    page = editor.get(f"/resources/{rid}/coding").text
    assert "avec un thème ou tout autre code, elle n'est pas gardée" in html.unescape(page)
    theme = re.search(r'<option value="(\d+)">Thèmes</option>', page)
    assert theme is not None
    form = {"quote": "relie les lieux", "code_id": theme.group(1), "stance": "supports",
            "csrf_token": csrf(editor)}  # fmt: skip
    done = editor.post(f"/resources/{rid}/codings", data=form)
    assert done.status_code == 200
    said = html.unescape(done.text)
    assert "Codage enregistré. La position « conforte » n'a pas été gardée" in said
    [row] = re.findall(r'<tr id="coding-\d+">(.*?)</tr>', done.text, re.S)
    assert "<td>Thèmes</td><td></td>" in row  # saved, with no stance
    # The API says which codes the stance was not kept for.
    h2 = re.search(r'<option value="(\d+)" data-hypothesis="H2">', page)
    assert h2 is not None
    body = {"code_ids": [int(h2.group(1)), int(theme.group(1))], "quote": "Premier entretien",
            "stance": "nuances"}  # fmt: skip
    answer = editor.post(f"/api/resources/{rid}/codings", json=body,
                         headers={"X-CSRF-Token": csrf(editor)})  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert answer.json()["stance_not_kept_for"] == [int(theme.group(1))]


def test_agreement_counts_and_offsets_are_written_the_french_way(db: sa.Engine) -> None:
    """Kappa and alpha with a decimal comma on French pages (a point in English), the
    offsets of a passage with French thousands separators."""
    body = "Avant-propos. " * 80 + TEXT  # the coded passages lie beyond the 1,000th character
    with transaction(db) as conn:
        rid = coding.create_resource(conn, title="Entretien 4", body=body, by="test")
    editor = portal(db)
    signed_in(db, editor, "editor")
    h6 = next(c["id"] for c in coding.codebook(db=db) if c["hypothesis"] == "H6")
    coding.add_coding(db=db, resource_id=rid, code_ids=[h6], coder="Ana",
                      quote="relie les lieux et les gens", stance="supports")  # fmt: skip
    coding.add_coding(db=db, resource_id=rid, code_ids=[h6], coder="Ben",
                      quote="les lieux et les gens du village", stance="supports")  # fmt: skip
    [code] = [a for a in coding.agreement(db=db)["codes"] if a["code_id"] == h6]
    kappa, alpha = code["pairs"][0]["kappa"], code["alpha"]
    assert 0 < kappa < 1 and 0 < alpha < 1
    row = re.search(r'<tr><th scope="row"[^>]*>[^<]*H6[^<]*</th>(.*?)</tr>',
                    editor.get("/codebook").text, re.S)  # fmt: skip
    assert row is not None
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row.group(1))
    assert cells == [f"{kappa:.2f}".replace(".", ","), f"{alpha:.2f}".replace(".", ",")]
    english = re.search(r'<tr><th scope="row"[^>]*>[^<]*H6[^<]*</th>(.*?)</tr>',
                        editor.get("/codebook?lang=en").text, re.S)  # fmt: skip
    assert english is not None and f"{kappa:.2f}" in english.group(1)
    page = editor.get(f"/resources/{rid}/coding?lang=fr").text
    start = body.index("relie les lieux")
    shown = f"({start:,}–{start + len('relie les lieux et les gens'):,})".replace(",", "\u202f")
    assert shown in page


def _as_read(raw: str) -> str:
    """Text of HTML as a browser reads it: line ends normalized by the HTML parser
    before anything else (CR LF and a lone CR read as LF), then tags dropped and
    character references read (``&#13;`` is a CR)."""
    normalized = raw.replace("\r\n", "\n").replace("\r", "\n")
    return html.unescape(re.sub(r"<[^>]*>", "", normalized))


def test_a_long_text_with_cr_lf_is_coded_across_lines_on_a_light_page(db: sa.Engine) -> None:
    """A transcript with Windows line ends (CR LF): a passage selected across a line
    break is saved with its offsets in the stored text and shown highlighted, line
    break included; the browser reads the stored text character for character (the
    offsets a selection gives are right) and the page weighs little more than the
    text (issue 22's user trial: 2.1 MB of HTML for 600 KB of text)."""
    lines = [f"L{i % 2 + 1}: alors, euh, le tiers-lieu du village, on y va le mardi ({i})."
             for i in range(1500)]  # fmt: skip
    body = "\r\n".join(lines)
    editor, rid, page, theme_id = _coding_page(db, body, "Entretien CR LF")
    start = body.index("le mardi (700).")
    end = body.index("tiers-lieu", start)
    passage = body[start:end]
    assert "\r\n" in passage
    form = {"quote": passage.replace("\r\n", "\n"), "start": str(start), "end": str(end),
            "code_id": theme_id, "csrf_token": csrf(editor)}  # fmt: skip
    done = editor.post(f"/resources/{rid}/codings", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    [saved] = coding.resource_view(db=db, resource_id=rid)["codings"]
    assert (saved["start"], saved["end"], saved["quote"]) == (start, end, passage)
    page = editor.get(done.headers["location"]).text
    text = re.search(r'<div id="coding-text"[^>]*>(.*?)</div>', page, re.S)
    assert text is not None and _as_read(text.group(1)) == body
    [coded] = re.findall(r'<span class="coded"[^>]*>(.*?)</span>', text.group(1), re.S)
    assert _as_read(coded) == passage
    assert len(page.encode()) < 1.5 * len(body.encode())


def test_a_position_in_unicode_digits_is_refused_plainly_not_an_error_page(db: sa.Engine) -> None:
    """« ² » is a digit to Python's ``str.isdigit`` but not a number ``int`` reads: a
    position written so was a server error (found in review); it is a plain refusal."""
    editor, rid, _, theme = _coding_page(db, TEXT, "Entretien 3")
    form = {"quote": "Premier entretien.", "start": "²", "end": "18", "code_id": theme,
            "csrf_token": csrf(editor)}  # fmt: skip
    answer = editor.post(f"/resources/{rid}/codings", data=form)
    assert answer.status_code == 422 and "un nombre entier" in _error_of(answer.text).lower()
