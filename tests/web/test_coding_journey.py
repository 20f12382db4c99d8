"""The coding journey in a real browser (one server, one browser): a researcher codes a
passage of an interview by selecting it with the mouse; a second researcher codes the
same passage with the keyboard only (typed words, code list and stance by keys); the
codebook shows their agreement (Cohen's kappa « 1,00 » on that code); the public hypotheses
page shows the passage under its hypothesis, updated after a third coding that
contradicts it. Screenshots go to ``test-artifacts/``; axe-core checks the coding page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser
import pytest
import sqlalchemy as sa
from browser import Watch, check_axe, live_server, screenshot

from maillage.services import accounts, coding
from maillage.storage.engine import make_engine, transaction

PASSWORD = "correct horse battery"
PASSAGE = "sans lieu de proximité, les démarches en ligne restent hors de portée"
TEXT = (
    "Entretien avec une association d'un village de l'Aveyron.\r\n"
    f"Ici, {PASSAGE}.\r\n"
    "Le réseau social local 😀 a remplacé le bulletin municipal en deux ans.\r\n"
)


@pytest.fixture(scope="module")
def coding_portal(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, sa.Engine, int]]:
    path = tmp_path_factory.mktemp("coding") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine: sa.Engine = make_engine(f"sqlite:///{path}")
    with transaction(engine) as conn:
        rid = coding.create_resource(conn, title="Entretien Aveyron", body=TEXT, by="test")
    for who in ("ana", "ben"):
        accounts.create_account(db=engine, email=f"{who}@example.org", password=PASSWORD,
                                role="editor", verified=True, name=who.title())  # fmt: skip
    with live_server(engine, secret_key="s" * 48) as url:
        yield url, engine, rid
    engine.dispose()


def coding_page(chromium: Any, watch: Watch, origin: str, who: str, rid: int) -> Any:
    """``who``'s own signed-in browser context, on the coding page of ``rid``."""
    page = browser.signed_in_page(chromium, watch, origin, f"{who}@example.org", PASSWORD,
                                  {"width": 1280, "height": 900})  # fmt: skip
    page.goto(f"{origin}/resources/{rid}/coding")
    return page


def h4_value(page: Any) -> str:
    value = page.eval_on_selector("#c-code option[data-hypothesis='H4']", "o => o.value")
    return str(value)


@pytest.mark.quality
def test_two_coders_code_by_mouse_and_keyboard_and_the_hypotheses_follow(
    chromium: Any, coding_portal: tuple[str, sa.Engine, int]
) -> None:
    origin, engine, rid = coding_portal
    watch = Watch(origin)

    # Ana selects the passage with the mouse: the form gets its words and offsets.
    page = coding_page(chromium, watch, origin, "ana", rid)
    context = page.context
    check_axe(page, origin)
    page.evaluate(
        """passage => {
            const text = document.getElementById('coding-text');
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const at = node.data.indexOf(passage);
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + passage.length);
                    window.getSelection().removeAllRanges();
                    window.getSelection().addRange(range);
                    return;
                }
            }
        }""",
        PASSAGE,
    )
    box = page.locator("#coding-text").bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.up()  # the selection is made: coding.js reads it on mouseup
    assert page.input_value("#c-quote") == PASSAGE
    start = TEXT.index(PASSAGE)
    assert (page.input_value("#c-start"), page.input_value("#c-end")) == (
        str(start), str(start + len(PASSAGE)))  # fmt: skip
    page.select_option("#c-code", h4_value(page))
    page.check("#c-stance-supports")
    page.fill("#c-memo", "La proximité d'abord")
    page.click("text=Coder ce passage")
    page.wait_for_selector("text=Codage enregistré")
    assert page.locator("#coding-text .coded").count() >= 1
    screenshot(page, "coding-mouse")

    # The hypotheses page, public, shows it under H4 (thin: one resource).
    visitor = chromium.new_context(locale="fr-FR")
    watch.attach(visitor)
    public = visitor.new_page()
    public.goto(origin + "/hypotheses")
    summary = public.text_content("[data-hypothesis='H4']") or ""
    assert "1 passage" in summary and "conforte 1" in summary and "preuves minces" in summary
    assert PASSAGE in (public.text_content("#H4 .evidence-supports") or "")

    # Ben codes the same passage with the keyboard only.
    ben = coding_page(chromium, watch, origin, "ben", rid)
    other = ben.context
    ben.focus("#c-quote")
    ben.keyboard.type(PASSAGE)
    ben.keyboard.press("Tab")  # the code list
    h4 = h4_value(ben)
    for _ in range(60):
        if ben.input_value("#c-code") == h4:
            break
        ben.keyboard.press("ArrowDown")
    assert ben.input_value("#c-code") == h4
    ben.keyboard.press("Tab")  # the stances
    ben.keyboard.press("Space")
    assert ben.is_checked("#c-stance-supports")
    ben.focus("#coding-form button[type=submit]")
    ben.keyboard.press("Enter")
    ben.wait_for_selector("text=Codage enregistré")
    codings = ben.text_content("#codings") or ""
    assert "Ana" in codings and "Ben" in codings
    screenshot(ben, "coding-keyboard")

    # Their agreement on H4: both coded the same characters.
    ben.goto(origin + "/codebook")
    row = ben.locator("table.agreement-table tr", has_text="Ana / Ben")
    assert "1,00" in (row.text_content() or "")  # French decimal comma
    check_axe(ben, origin)
    screenshot(ben, "coding-agreement")

    # Ben codes another passage against H4: the hypotheses page follows.
    ben.goto(f"{origin}/resources/{rid}/coding")
    ben.fill("#c-quote", "Le réseau social local")
    ben.select_option("#c-code", h4)
    ben.check("#c-stance-contradicts")
    ben.click("text=Coder ce passage")
    ben.wait_for_selector("text=Codage enregistré")
    public.reload()
    summary = public.text_content("[data-hypothesis='H4']") or ""
    assert "3 passages" in summary and "contredit 1" in summary
    assert "Le réseau social local" in (public.text_content("#H4 .evidence-contradicts") or "")
    check_axe(public, origin)
    screenshot(public, "hypotheses-page")
    assert watch.errors == [] and watch.outside == []
    for c in (context, visitor, other):
        c.close()


@pytest.mark.quality
def test_after_saving_by_keyboard_the_focus_is_back_on_the_passage(
    chromium: Any, coding_portal: tuple[str, sa.Engine, int]
) -> None:
    """A keyboard user codes a passage with a theme and a stance: the form says before
    saving that the stance will not be kept, the message says so after; the focus is
    back on the passage field, ready for the next passage (not at the top of the page,
    19 Tabs away)."""
    origin, _engine, rid = coding_portal
    watch = Watch(origin)
    page = coding_page(chromium, watch, origin, "ana", rid)
    page.focus("#c-quote")
    page.keyboard.type("Le réseau social local")
    page.keyboard.press("Tab")  # the code list
    themes = str(page.eval_on_selector("#c-code option:not([data-hypothesis]):not([value=''])",
                                       "o => o.value"))  # fmt: skip
    for _ in range(60):
        if page.input_value("#c-code") == themes:
            break
        page.keyboard.press("ArrowDown")
    assert page.input_value("#c-code") == themes
    assert page.text_content("#c-stance-note") == ""
    page.keyboard.press("Tab")  # the stances
    page.keyboard.press("Space")
    assert page.is_checked("#c-stance-supports")
    note = "Ce code n'est pas une hypothèse : la position choisie ne sera pas gardée."
    assert page.text_content("#c-stance-note") == note
    page.keyboard.press("ArrowUp")  # « Sans position », the last of the group
    assert page.is_checked("#c-stance-none") and page.text_content("#c-stance-note") == ""
    page.keyboard.press("ArrowDown")  # back to « conforte »
    assert page.is_checked("#c-stance-supports")
    page.keyboard.press("Tab")  # the memo
    page.keyboard.press("Tab")  # the button
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Codage enregistré")
    assert "La position « conforte » n'a pas été gardée" in (
        page.text_content("#coding-done") or ""
    )
    assert page.evaluate("document.activeElement.id") == "c-quote"
    page.keyboard.type("Entretien avec une association")
    assert page.input_value("#c-quote") == "Entretien avec une association"
    check_axe(page, origin)
    screenshot(page, "coding-keyboard-focus")
    assert watch.errors == [] and watch.outside == []
    page.context.close()


@pytest.mark.quality
def test_a_mouse_selection_across_a_line_break_gives_the_stored_passage(
    chromium: Any, coding_portal: tuple[str, sa.Engine, int]
) -> None:
    """The interview has Windows line ends (CR LF, two characters in the stored text,
    one line break on screen): a passage dragged with the mouse from one line into the
    next, into a passage already coded, is saved with its offsets in the stored text
    and shown highlighted, line break included."""
    origin, engine, rid = coding_portal
    watch = Watch(origin)
    page = coding_page(chromium, watch, origin, "ana", rid)
    start = TEXT.index("l'Aveyron")
    end = TEXT.index("Ici, sans") + len("Ici, sans")
    # The screen positions of the first and last characters of the passage.
    first, last = page.evaluate(
        """([a, b]) => {
            const text = document.getElementById('coding-text');
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            const nodes = [];
            let node, at = 0;
            while ((node = walker.nextNode())) { nodes.push([node, at]); at += node.data.length; }
            const box = i => {
                const [n, from] = nodes.filter(([, from]) => from <= i).pop();
                const range = document.createRange();
                range.setStart(n, i - from);
                range.setEnd(n, i - from + 1);
                const r = range.getBoundingClientRect();
                return {x: r.left, y: r.top + r.height / 2, w: r.width};
            };
            return [box(a), box(b - 1)];
        }""",
        [start, end],  # no astral character before the passage: code points = UTF-16 units
    )
    page.mouse.move(first["x"] + 1, first["y"])
    page.mouse.down()
    page.mouse.move(last["x"] + last["w"] - 1, last["y"], steps=5)
    page.mouse.up()
    assert (page.input_value("#c-start"), page.input_value("#c-end")) == (str(start), str(end))
    assert page.input_value("#c-quote").split() == TEXT[start:end].split()
    themes = str(page.eval_on_selector("#c-code option:not([data-hypothesis]):not([value=''])",
                                       "o => o.value"))  # fmt: skip
    page.select_option("#c-code", themes)
    page.click("text=Coder ce passage")
    page.wait_for_selector("text=Codage enregistré")
    newest = max(coding.resource_view(db=engine, resource_id=rid)["codings"],
                 key=lambda c: c["id"])  # fmt: skip
    assert (newest["code_id"], newest["start"], newest["end"], newest["quote"]) == (
        int(themes), start, end, TEXT[start:end])  # fmt: skip
    shown = page.evaluate(
        """id => Array.from(document.querySelectorAll('#coding-text .coded'))
            .filter(s => s.dataset.codings.split(' ').includes(String(id)))
            .map(s => s.textContent).join('')""",
        newest["id"],
    )
    assert shown == TEXT[start:end] and "\r\n" in shown
    screenshot(page, "coding-across-lines")
    assert watch.errors == [] and watch.outside == []
    page.context.close()


# A long interview with Windows line ends: two passages far down, near character 60,000
# and 75,000 (some 20,000 px down the text box).
FAR = "la maison France services ne reçoit plus que le mardi matin"
FARTHER = "le car pour Rodez ne passe plus qu'une fois par semaine"
LONG_TEXT = "".join(
    f"Réponse {i} : on parle du quartier, des voisins, de l'école et du marché.\r\n"
    + (f"Et puis {FAR}.\r\n" if i == 830 else "")
    + (f"Alors {FARTHER}.\r\n" if i == 1000 else "")
    for i in range(1200)
)

# The screen rectangle of the characters [a, b) of the text box, its text nodes counted
# as the stored text (no astral character in LONG_TEXT: code points = UTF-16 units).
RANGE_RECT = """([a, b]) => {
    const text = document.getElementById('coding-text');
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let node, at = 0;
    while ((node = walker.nextNode())) { nodes.push([node, at]); at += node.data.length; }
    const point = i => {
        const [n, from] = nodes.filter(([, from]) => from <= i).pop();
        return [n, i - from];
    };
    const range = document.createRange();
    range.setStart(...point(a));
    range.setEnd(...point(b));
    const r = range.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
}"""
# The part of the text box on screen (inside its borders, above the bottom of the
# window: the box, 70 % of the window's height, starts below the heading) and how far
# the box is scrolled.
BOX = """() => {
    const text = document.getElementById('coding-text');
    const r = text.getBoundingClientRect();
    const bottom = r.top + text.clientTop + text.clientHeight;
    return {top: Math.max(r.top + text.clientTop, 0), bottom: Math.min(bottom, innerHeight),
            scrollTop: text.scrollTop};
}"""
# Resolves once the text box has stopped scrolling (a wheel scrolls smoothly, frame by frame).
SETTLED = """() => new Promise(done => {
    const text = document.getElementById('coding-text');
    let last = -1, still = 0;
    const look = () => {
        still = text.scrollTop === last ? still + 1 : 0;
        last = text.scrollTop;
        if (still >= 5) done(); else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
})"""


def select_far_down(page: Any, passage: str) -> tuple[int, int]:
    """Scroll the text box down to ``passage`` with the mouse wheel and drag over it;
    its offsets in the stored text."""
    start = LONG_TEXT.index(passage)
    end = start + len(passage)
    box = page.locator("#coding-text").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(200):  # the wheel, as a coder scrolls: until the passage is in the box
        rect, shown = page.evaluate(RANGE_RECT, [start, end]), page.evaluate(BOX)
        if shown["top"] + 20 < rect["top"] and rect["bottom"] < shown["bottom"] - 20:
            break
        page.mouse.wheel(0, 400)
        page.evaluate(SETTLED)
    else:
        pytest.fail(f"« {passage} » never came into the text box")
    rect = page.evaluate(RANGE_RECT, [start, end])
    middle = (rect["top"] + rect["bottom"]) / 2
    page.mouse.move(rect["left"] + 1, middle)
    page.mouse.down()
    page.mouse.move(rect["right"] - 1, middle, steps=5)
    page.mouse.up()
    assert (page.input_value("#c-start"), page.input_value("#c-end")) == (str(start), str(end))
    return start, end


def assert_in_the_box(page: Any, rect: dict[str, float]) -> None:
    shown = page.evaluate(BOX)
    assert shown["scrollTop"] > 0
    assert shown["top"] <= rect["top"] and rect["bottom"] <= shown["bottom"], (rect, shown)


@pytest.mark.quality
def test_after_saving_or_a_refusal_the_text_box_shows_the_passage_far_down(
    chromium: Any, coding_portal: tuple[str, sa.Engine, int]
) -> None:
    """A coder scrolls a long interview's text box down to a passage near character
    60,000, selects it with the mouse and saves: the page comes back with the text box
    showing the passage just coded, highlighted (not back at the top, the highlight
    20,000 px down). A refused coding (a hypothesis without a stance) keeps the passage
    in view too. The page itself stays on the form's message."""
    origin, engine, _rid = coding_portal
    with transaction(engine) as conn:
        rid = coding.create_resource(conn, title="Entretien long", body=LONG_TEXT, by="test")
    watch = Watch(origin)
    watch.expected_refusals[f"{origin}/resources/{rid}/codings"] = 422  # the refused form
    page = coding_page(chromium, watch, origin, "ana", rid)

    start, end = select_far_down(page, FAR)
    assert start > 60_000
    themes = str(page.eval_on_selector("#c-code option:not([data-hypothesis]):not([value=''])",
                                       "o => o.value"))  # fmt: skip
    page.select_option("#c-code", themes)
    page.click("text=Coder ce passage")
    page.wait_for_selector("text=Codage enregistré")
    [saved] = coding.resource_view(db=engine, resource_id=rid)["codings"]
    assert (saved["start"], saved["end"]) == (start, end)
    highlight = page.evaluate(
        """id => {
            const spans = Array.from(document.querySelectorAll('#coding-text .coded'))
                .filter(s => s.dataset.codings.split(' ').includes(String(id)));
            const r = spans[0].getBoundingClientRect();
            return {top: r.top, bottom: r.bottom};
        }""",
        saved["id"],
    )
    assert_in_the_box(page, highlight)
    assert page.locator("#coding-done").is_visible()
    done = page.eval_on_selector("#coding-done", "e => e.getBoundingClientRect().top")
    assert 0 <= done <= 900  # the message is on screen: the page did not jump away
    screenshot(page, "coding-far-down-saved")

    # Refused: a hypothesis chosen without a stance; the passage is kept, and shown.
    start, end = select_far_down(page, FARTHER)
    page.select_option("#c-code", h4_value(page))
    page.click("text=Coder ce passage")
    page.wait_for_selector(".form-error")
    assert (page.input_value("#c-start"), page.input_value("#c-end")) == (str(start), str(end))
    assert_in_the_box(page, page.evaluate(RANGE_RECT, [start, end]))
    error = page.eval_on_selector(".form-error", "e => e.getBoundingClientRect().top")
    assert 0 <= error <= 900
    assert len(coding.resource_view(db=engine, resource_id=rid)["codings"]) == 1
    screenshot(page, "coding-far-down-refused")
    assert watch.errors == [] and watch.outside == []
    page.context.close()
