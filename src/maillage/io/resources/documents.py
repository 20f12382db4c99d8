"""Documents: Markdown with YAML front matter, HTML, PDF, DOCX and ODT.

Text is extracted by well-kept libraries: PyYAML (front matter), pypdf, python-docx,
odfpy; HTML through the standard library's parser (script and style dropped, block
elements ending a paragraph). A document's metadata (front matter, PDF info, DOCX
core properties, ODT Dublin Core, HTML ``<title>``/``<meta>``) gives its title,
authors and date; its file name is the title when it names none.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from maillage.io.resources.model import TYPES, ResourceFileError, ResourceRecord, Turn

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
TURN = re.compile(r"^\s*(?:\*\*)?([^:*\n]{1,60}?)(?:\*\*)?\s*:\s+(.+)$")
TRANSCRIPT_HEADING = re.compile(r"^#{1,6}\s*(transcription|transcript)\s*$", re.I | re.M)


def parse_date(value: Any, path: str, field: str = "date") -> dt.date | None:
    """A date from ``2020-01-31``, ``31/01/2020``, ``2020-01``, ``2020`` or a date value."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern, order in (
        (r"(\d{4})-(\d{2})-(\d{2})", "ymd"),
        (r"(\d{2})/(\d{2})/(\d{4})", "dmy"),
        (r"^(\d{4})-(\d{2})$", "ym"),
        (r"^(\d{4})$", "y"),
    ):
        match = re.search(pattern, text)
        if match:
            parts = dict(zip(order, map(int, match.groups()), strict=True))
            try:
                return dt.date(parts["y"], parts.get("m", 1), parts.get("d", 1))
            except ValueError:
                break
    raise ResourceFileError(path, None, field, f"date illisible : {text!r}",
                            f"unreadable date: {text!r}")  # fmt: skip


def _strings(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()] if ";" in value else [value]
    if isinstance(value, list):
        return [str(v).strip() for v in value if v not in (None, "")]
    return [str(value)]


def _first(meta: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if meta.get(key) not in (None, "", []):
            return meta[key]
    return None


def _sdgs(value: Any, path: str) -> list[int]:
    found = []
    for item in _strings(value):
        digits = re.sub(r"\D", "", item)
        if not digits or not 1 <= int(digits) <= 17:
            raise ResourceFileError(path, None, "sdgs", f"ODD inconnu : {item!r} (1 à 17)",
                                    f"unknown SDG: {item!r} (1 to 17)")  # fmt: skip
        found.append(int(digits))
    return sorted(set(found))


def _type(value: Any, path: str, default: str) -> str:
    if value in (None, ""):
        return default
    code = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    code = {"retour_d'experience": "experience_feedback", "etude": "study", "entretien":
            "interview", "webinaire": "webinar", "outil": "tool", "data_set": "dataset",
            "jeu_de_donnees": "dataset"}.get(code, code)  # fmt: skip
    if code not in TYPES:
        raise ResourceFileError(path, None, "type", f"type inconnu : {value!r} ({', '.join(TYPES)})",
                                f"unknown type: {value!r} ({', '.join(TYPES)})")  # fmt: skip
    return code


def split_turns(text: str) -> list[Turn]:
    """Speaker turns from lines ``Speaker: text`` (a line without a speaker continues
    the turn before, or opens one with no speaker)."""
    turns: list[Turn] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = TURN.match(line)
        if match:
            turns.append(Turn(match[1].strip(), match[2].strip()))
        elif turns:
            turns[-1] = Turn(turns[-1].speaker, f"{turns[-1].text} {line.strip()}")
        else:
            turns.append(Turn(None, line.strip()))
    return turns


def record_from_meta(meta: dict[str, Any], body: str, path: str, default_type: str,
                     fallback_title: str) -> ResourceRecord:  # fmt: skip
    """A record from a document's metadata (front matter keys, French or English)."""
    transcript: list[Turn] = []
    heading = TRANSCRIPT_HEADING.search(body)
    if heading:
        transcript = split_turns(body[heading.end() :])
        body = body[: heading.start()].rstrip()
    known = {"title", "titre", "type", "summary", "resume", "description", "date", "authors",
             "auteurs", "author", "licence", "license", "url", "link", "replay", "replay_url",
             "speakers", "intervenants", "themes", "thematiques", "territories", "territoires",
             "sdgs", "odd", "actors", "acteurs", "sponsors", "source", "source_ref", "id",
             "contact"}  # fmt: skip
    title = _first(meta, "title", "titre") or fallback_title
    return ResourceRecord(
        type=_type(meta.get("type"), path, default_type),
        title=str(title).strip(),
        summary=_first(meta, "summary", "resume", "description"),
        body=body.strip() or None,
        date=parse_date(meta.get("date"), path),
        authors=_strings(_first(meta, "authors", "auteurs", "author")),
        licence=_first(meta, "licence", "license"),
        url=_first(meta, "url", "link"),
        replay_url=_first(meta, "replay_url", "replay"),
        speakers=_strings(_first(meta, "speakers", "intervenants")),
        transcript=transcript,
        themes=_strings(_first(meta, "themes", "thematiques")),
        territories=_strings(_first(meta, "territories", "territoires")),
        sdgs=_sdgs(_first(meta, "sdgs", "odd"), path),
        organisations=_strings(_first(meta, "actors", "acteurs", "sponsors")),
        source=meta.get("source"),
        source_ref=(ref := _first(meta, "source_ref", "id")) and str(ref),
        extra={k: v for k, v in meta.items() if k not in known and _plain(v)},
    )


def _plain(value: Any) -> bool:
    """A value that JSON keeps as it is (front matter dates become text)."""
    return isinstance(value, (str, int, float, bool, list, dict)) or value is None


def front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter of a Markdown text (``{}`` when none) and its body."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.load(match[1], Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"ligne {mark.line + 2}" if mark else None
        raise ResourceFileError(path, line, None, f"en-tête YAML illisible : {exc}",
                                f"unreadable YAML front matter: {exc}") from None  # fmt: skip
    if not isinstance(meta, dict):
        raise ResourceFileError(path, "ligne 2", None, "l'en-tête YAML doit être un dictionnaire",
                                "the YAML front matter must be a mapping")  # fmt: skip
    return {str(k): _dated(v) for k, v in meta.items()}, text[match.end() :]


def _dated(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_dated(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dated(v) for k, v in value.items()}
    return value


def read_markdown(path: Path, default_type: str) -> ResourceRecord:
    meta, body = front_matter(_read_text(path), str(path))
    return record_from_meta(meta, body, str(path), default_type, path.stem)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResourceFileError(str(path), f"octet {exc.start}", None,
                                "le texte n'est pas en UTF-8",
                                "the text is not UTF-8") from None  # fmt: skip


class _HTMLText(HTMLParser):
    BLOCKS = frozenset(["p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dd", "dt"])  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = dict(attrs)
            name = (values.get("name") or values.get("property") or "").lower()
            if name and values.get("content"):
                self.meta[name] = str(values["content"])
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title.append(data)
        else:
            self.parts.append(data)


def _paragraphs(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def read_html(path: Path, default_type: str) -> ResourceRecord:
    parser = _HTMLText()
    parser.feed(_read_text(path))
    parser.close()
    meta: dict[str, Any] = {
        "title": " ".join("".join(parser.title).split()) or parser.meta.get("og:title"),
        "description": parser.meta.get("description"),
        "authors": parser.meta.get("author"),
        "date": parser.meta.get("date") or parser.meta.get("dc.date"),
        "licence": parser.meta.get("license") or parser.meta.get("dc.rights"),
    }
    return record_from_meta(meta, _paragraphs("".join(parser.parts)), str(path), default_type,
                            path.stem)  # fmt: skip


def read_pdf(path: Path, default_type: str) -> ResourceRecord:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Any = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ResourceFileError(str(path), None, None, f"PDF illisible : {exc}",
                                f"unreadable PDF: {exc}") from None  # fmt: skip
    date = info.get("/CreationDate")
    meta = {
        "title": info.get("/Title"),
        "authors": info.get("/Author"),
        "date": f"{date[2:6]}-{date[6:8]}-{date[8:10]}" if date and len(date) >= 10 else None,
        "description": info.get("/Subject"),
    }
    body = "\n\n".join(_paragraphs(text) for text in pages if text.strip())
    return record_from_meta(meta, body, str(path), default_type, path.stem)


def read_docx(path: Path, default_type: str) -> ResourceRecord:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ResourceFileError(str(path), None, None, f"DOCX illisible : {exc}",
                                f"unreadable DOCX: {exc}") from None  # fmt: skip
    props = document.core_properties
    paragraphs = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" | ".join(cell.text for cell in row.cells))
    meta = {
        "title": props.title,
        "authors": props.author,
        "date": props.created.date().isoformat() if props.created else None,
        "description": props.subject,
    }
    return record_from_meta(meta, "\n\n".join(paragraphs), str(path), default_type, path.stem)


def read_odt(path: Path, default_type: str) -> ResourceRecord:
    from odf import dc, teletype
    from odf import meta as odf_meta
    from odf.opendocument import load

    try:
        document = load(str(path))
    except Exception as exc:  # odfpy raises zipfile, XML and KeyError alike
        raise ResourceFileError(str(path), None, None, f"ODT illisible : {exc}",
                                f"unreadable ODT: {exc}") from None  # fmt: skip
    paragraphs = list(_odt_blocks(document.text, teletype))

    def dublin(kind: Any) -> str | None:
        found = document.meta.getElementsByType(kind)
        return teletype.extractText(found[0]) if found else None

    meta = {
        "title": dublin(dc.Title),
        "authors": dublin(dc.Creator) or dublin(odf_meta.InitialCreator),
        "date": dublin(dc.Date) or dublin(odf_meta.CreationDate),
        "description": dublin(dc.Description),
    }
    body = "\n\n".join(p for p in paragraphs if p.strip())
    return record_from_meta(meta, body, str(path), default_type, path.stem)


def _odt_blocks(node: Any, teletype: Any) -> Any:
    """The text of an ODT's paragraphs and headings, in document order."""
    from odf.namespaces import TEXTNS

    for child in node.childNodes:
        if getattr(child, "qname", None) in ((TEXTNS, "p"), (TEXTNS, "h")):
            yield teletype.extractText(child)
        elif getattr(child, "childNodes", None):
            yield from _odt_blocks(child, teletype)
