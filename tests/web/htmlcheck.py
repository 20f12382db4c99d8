"""Small HTML checks on server-rendered pages (standard library parser only)."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects the elements of a page: tags with their attributes, and the text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append(" ".join(data.split()))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """Elements ``tag`` whose attributes include ``attrs`` (``class_`` for ``class``)."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k) == v for k, v in wanted.items())
        ]

    @property
    def text(self) -> str:
        return " ".join(self.texts)

    def unlabelled_controls(self) -> list[str]:
        """Ids (or names) of form controls with neither a <label for> nor an aria-label."""
        labelled = {a.get("for") for t, a in self.elements if t == "label"}
        missing = []
        for tag, attrs in self.elements:
            if tag not in ("input", "select", "textarea") or attrs.get("type") in (
                "hidden",
                "submit",
            ):
                continue
            if attrs.get("id") not in labelled and not attrs.get("aria-label"):
                missing.append(attrs.get("id") or attrs.get("name") or tag)
        return missing
