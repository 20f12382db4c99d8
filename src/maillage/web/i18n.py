"""French and English for the portal: Babel catalogues and the language of each request.

Messages in the code and templates are English (``_("Explore")``); the French
catalogue ``maillage/locale/fr/LC_MESSAGES/messages.po`` translates them. Catalogues
are compiled in memory when the application starts, so there is no ``.mo`` file to
keep in sync. The language comes from ``?lang=`` (then kept in a cookie), the
``lang`` cookie, the browser's ``Accept-Language`` (a first visit), or the default of
the settings (French).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from http.cookies import SimpleCookie
from importlib import resources
from typing import Any, Literal
from urllib.parse import parse_qs

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maillage.model import numbers

Lang = Literal["fr", "en"]
LANGUAGES: tuple[Lang, ...] = ("fr", "en")
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600


def N_(message: str) -> str:  # noqa: N802 - the conventional name Babel extracts
    """Mark ``message`` for translation where it is defined; translate it where shown."""
    return message


def catalogue_path(lang: str) -> Any:
    """The packaged ``messages.po`` of ``lang``."""
    return resources.files("maillage").joinpath("locale", lang, "LC_MESSAGES", "messages.po")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Compiled translations of ``lang`` (English needs none: messages are English)."""
    path = catalogue_path(lang)
    if lang == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def as_lang(value: str | None) -> Lang | None:
    """``fr`` or ``en`` from a raw value (``en-GB`` -> ``en``), else None."""
    if not value:
        return None
    short = value.strip().lower()[:2]
    if short == "fr":
        return "fr"
    return "en" if short == "en" else None


# Values of the open data vocabularies shown as they come (the fees of a mediation place,
# lieux-mediation-numerique 1.0.2's frais_a_charge): the French value -> its English
# message, translated back to French by the catalogue.
DATA_VALUES = {
    "Gratuit": N_("Free"),
    "Gratuit sous condition": N_("Free under conditions"),
    "Payant": N_("Paid"),
}


class Gettext:
    """The translation functions handed to templates for one language."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self._t = translations(lang)

    def gettext(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": self.number(n), **values}

    def data_value(self, value: str) -> str:
        """A value of an open data vocabulary (:data:`DATA_VALUES`) in the page's
        language; any other value as it is."""
        message = DATA_VALUES.get(value.strip())
        return self.gettext(message) if message else value

    def js_plural(self, singular: str, plural: str) -> dict[str, str]:
        """The catalogue's forms of a message for the page's JavaScript, by CLDR plural
        category (``one``, ``many``, ``other``: what ``Intl.PluralRules`` names), its
        placeholders left in; the scripts pick the form by the count ``%(n)s``."""
        locale = Locale.parse(self.lang)
        forms: dict[str, str] = {}
        for n in (0, 1, 2, 3, 5, 11, 21, 101, 1_000_000):
            forms.setdefault(locale.plural_form(n), self._t.ngettext(singular, plural, n))
        return forms

    def number(self, value: float | int | None, digits: int = 0) -> str:
        return numbers.number(value, self.lang, digits)

    def percent(self, value: float | None) -> str:
        return numbers.percent(value, self.lang)

    def with_name(self, text: str, name: str) -> str:
        """``text``, a translated phrase holding ``%(name)s`` ("Places near %(name)s"),
        with the place's ``name`` put in: in French the ``de`` before it elided or
        contracted as French writes it (:func:`french_de`), in English as it is."""
        if self.lang == "fr" and "de %(name)s" in text:
            return text.replace("de %(name)s", "%(name)s") % {"name": french_de(name)}
        return text % {"name": name}

    def colon(self) -> str:
        """The colon before a value: French typography puts a no-break space before it."""
        return "\u00a0: " if self.lang == "fr" else ": "

    def functions(self) -> dict[str, Callable[..., Any]]:
        return {
            "_": self.gettext,
            "colon": self.colon,
            "data_value": self.data_value,
            "gettext": self.gettext,
            "js_plural": self.js_plural,
            "ngettext": self.ngettext,
            "num": self.number,
            "pct": self.percent,
            "with_name": self.with_name,
        }


_ELIDED = tuple("aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")


def french_de(name: str) -> str:
    """The French ``de`` and ``name``: ``d'Affoux``, ``du Havre`` (Le Havre), ``des Lilas``
    (Les Lilas), ``du 10 rue de Paris`` (an address: le 10), else ``de Lille``."""
    first, _, rest = name.partition(" ")
    if first == "Le" and rest:
        return f"du {rest}"
    if first == "Les" and rest:
        return f"des {rest}"
    if name[:1].isdigit():
        return f"du {name}"
    return f"d'{name}" if name.startswith(_ELIDED) else f"de {name}"


def asked_lang(scope: Scope) -> Lang | None:
    """The language of ``?lang=`` when it is exactly one of :data:`LANGUAGES` (the last
    one given, as the routes read it), else None: the rule of the ``lang`` parameter."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    value = (query.get("lang") or [None])[-1]
    for lang in LANGUAGES:
        if value == lang:
            return lang
    return None


def accepted_lang(header: str | None) -> Lang | None:
    """The first of :data:`LANGUAGES` in an ``Accept-Language`` header, by its weight
    (RFC 9110 section 12.5.4: ``en-GB,en;q=0.8,fr;q=0.5`` -> ``en``), ties in the order
    given; None when it names neither (``*`` names none: the portal's default then)."""
    ranked: list[tuple[float, int, Lang]] = []
    for position, item in enumerate((header or "")[:500].split(",")):
        tag, _sep, params = item.partition(";")
        lang = as_lang(tag) if tag.strip()[2:3] in ("", "-") else None
        if lang is None:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            ranked.append((-weight, position, lang))
    return min(ranked)[2] if ranked else None


class LanguageMiddleware:
    """Pick the language of each request; remember ``?lang=`` in a cookie.

    Sets ``request.state.lang`` and answers with ``Content-Language``.
    """

    def __init__(self, app: ASGIApp, default: Lang = "fr") -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = asked_lang(scope)
        lang = asked or self._cookie(scope) or self._accepted(scope) or self.default
        scope.setdefault("state", {})["lang"] = lang
        cookie_path = scope.get("root_path", "").rstrip("/") or "/"

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-language", lang.encode()))
                headers.append((b"vary", b"Cookie, Accept-Language"))
                if asked:  # a valid ?lang= only: an invalid one is refused (422), not kept
                    cookie = (
                        f"{COOKIE}={asked}; Path={cookie_path}; Max-Age={COOKIE_AGE}; SameSite=Lax"
                    )
                    headers.append((b"set-cookie", cookie.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_language)

    @staticmethod
    def _accepted(scope: Scope) -> Lang | None:
        for name, value in scope.get("headers", []):
            if name == b"accept-language":
                return accepted_lang(value.decode("latin-1"))
        return None

    @staticmethod
    def _cookie(scope: Scope) -> Lang | None:
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:  # a malformed cookie header: ignore it
                    return None
                if COOKIE in jar:
                    return as_lang(jar[COOKIE].value)
        return None
