"""The French catalogue covers every message of the portal, placeholders intact; the
language of a request."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from test_accounts import portal

from maillage.web.i18n import Gettext, accepted_lang, as_lang, catalogue_path

WEB = Path(__file__).parents[2] / "src" / "maillage" / "web"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def extracted() -> set[str | tuple[str, str]]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "js_plural": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def test_every_message_has_a_french_translation_and_none_is_stale() -> None:
    with catalogue_path("fr").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {m.id: m.string for m in catalog if m.id}
    messages = extracted()
    missing = [
        m
        for m in messages
        if m not in translated
        or not all(translated[m] if isinstance(translated[m], tuple) else [translated[m]])
    ]
    assert missing == []
    assert set(translated) - messages == set(), "stale messages: update the catalogue"
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert problems == []


def test_french_plurals_numbers_and_language_choice() -> None:
    fr, en = Gettext("fr"), Gettext("en")
    assert fr.ngettext("%(num)s link", "%(num)s links", 1) == "1 lien"
    assert fr.ngettext("%(num)s link", "%(num)s links", 1500) == "1\u202f500 liens"
    assert en.ngettext("%(num)s link", "%(num)s links", 1500) == "1,500 links"
    assert fr.percent(0.25) == "25\u00a0%" and en.percent(0.25) == "25%"
    assert (as_lang("en-GB"), as_lang("FR"), as_lang("de"), as_lang(None)) == (
        "en",
        "fr",
        None,
        None,
    )


def test_open_data_values_are_shown_in_the_page_s_language() -> None:
    fr, en = Gettext("fr"), Gettext("en")
    assert [en.data_value(v) for v in ("Gratuit", "Payant", "Sur rendez-vous")] == [
        "Free",
        "Paid",
        "Sur rendez-vous",  # not in the vocabulary: as it comes
    ]
    assert fr.data_value("Gratuit sous condition") == "Gratuit sous condition"


def test_a_first_visit_gets_the_browser_s_language_until_a_choice_is_made(
    sqlite_db: sa.Engine,
) -> None:
    """No ``?lang=`` and no cookie yet: the browser's Accept-Language picks French or
    English; a choice made on the site (the cookie) wins over it."""
    assert accepted_lang("de-DE, en-GB;q=0.8, fr;q=0.5") == "en"
    assert accepted_lang("en;q=0.2, fr-CH") == "fr"
    assert [accepted_lang(h) for h in ("de, *", "en;q=0", "english", "", "fr;q=x")] == [
        None, None, None, None, None,
    ]  # fmt: skip
    visitor = portal(sqlite_db)
    english = {"Accept-Language": "en-US,en;q=0.9,fr;q=0.8"}
    first = visitor.get("/", headers=english)
    assert first.headers["content-language"] == "en" and 'lang="en"' in first.text
    assert "Accept-Language" in first.headers["vary"]
    assert portal(sqlite_db).get("/").headers["content-language"] == "fr"  # no header: default
    visitor.get("/?lang=fr")  # the language switch: kept in a cookie
    assert visitor.get("/", headers=english).headers["content-language"] == "fr"
