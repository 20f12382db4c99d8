"""The French catalogue covers every message of the portal, placeholders intact."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from maillage.web.i18n import Gettext, as_lang, catalogue_path

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
