"""REFI-QDA 1.0 exchange: codebooks (``.qdc``) and projects (``.qdpx``), read and written.

What is read: the users, the code tree (names, descriptions, colours), the text sources
(inline ``PlainTextContent`` or a ``plainTextPath`` inside the archive), their
``PlainTextSelection`` with each ``Coding`` (code, user, date, notes) and the notes
(memos). PDF, picture, audio and video sources, cases, variables, sets, links and graphs
are skipped with a warning.

- XML is parsed with :mod:`defusedxml` (no DTD, no entity expansion); an archive member
  is read only up to :data:`MEMBER_LIMIT` bytes.
- Every document is checked against the REFI-QDA 1.0 schemas shipped in
  ``maillage/data/schemas`` (:func:`schema_errors`, with :mod:`xmlschema`). Reading is
  lenient: a document that does not validate is read as far as it is understood, each
  schema error becoming a warning (:attr:`Project.issues`). A file that is not a zip,
  has no ``project.qde``, is not well-formed XML or is not a REFI-QDA document is
  refused with :class:`~maillage.io.unreadable.UnreadableFile`.
- Offsets: REFI-QDA counts characters, but Windows tools (NVivo, ATLAS.ti, MAXQDA)
  write UTF-16 code units; their offsets are converted to code points (Python's and
  the database's characters) when the origin names one of them. What we write counts
  code points, origin ``maillage``.
"""

from __future__ import annotations

import bisect
import io
import uuid
import xml.etree.ElementTree as ET  # writing only; reading goes through defusedxml
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from maillage.io.unreadable import UnreadableFile

__all__ = [
    "Code",
    "Coding",
    "Issue",
    "Note",
    "Project",
    "Selection",
    "Source",
    "iter_codes",
    "read_codebook",
    "read_project",
    "schema_errors",
    "write_codebook",
    "write_project",
]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = "maillage"
MEMBER_LIMIT = 200 * 1024 * 1024  # bytes read from one archive member
UTF16_ORIGINS = ("nvivo", "atlas", "maxqda")
SKIPPED = ("PDFSource", "PictureSource", "AudioSource", "VideoSource")
SKIPPED_PARTS = ("Variables", "Cases", "Links", "Sets", "Graphs")


@dataclass(slots=True)
class Issue:
    """A warning met while reading: where (an element path), what (French, English)."""

    where: str
    message_fr: str
    message_en: str


@dataclass(slots=True)
class Code:
    guid: str
    name: str
    description: str | None = None
    color: str | None = None
    codable: bool = True
    children: list[Code] = field(default_factory=list)
    note_guids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Coding:
    guid: str
    code_guid: str
    user_guid: str | None = None
    created: str | None = None
    note_guids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Selection:
    guid: str
    start: int
    end: int
    name: str | None = None
    description: str | None = None
    user_guid: str | None = None
    created: str | None = None
    codings: list[Coding] = field(default_factory=list)


@dataclass(slots=True)
class Source:
    guid: str
    name: str
    text: str
    description: str | None = None
    selections: list[Selection] = field(default_factory=list)
    note_guids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Note:
    guid: str
    name: str
    text: str
    user_guid: str | None = None
    created: str | None = None


@dataclass(slots=True)
class Project:
    name: str
    origin: str | None = None
    users: dict[str, str] = field(default_factory=dict)  # guid -> name
    codes: list[Code] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    note_guids: list[str] = field(default_factory=list)  # notes on the project itself
    issues: list[Issue] = field(default_factory=list)


def new_guid() -> str:
    return str(uuid.uuid4())


def iter_codes(codes: Iterable[Code]) -> Iterator[tuple[Code, Code | None]]:
    """Every code of a tree with its parent, parents first."""
    stack: list[tuple[Code, Code | None]] = [(c, None) for c in reversed(list(codes))]
    while stack:
        code, parent = stack.pop()
        yield code, parent
        stack.extend((c, code) for c in reversed(code.children))


# --- schemas --------------------------------------------------------------------------


@cache
def _schema(kind: str) -> Any:
    import xmlschema  # noqa: PLC0415 - 0.15 s to build; only when a REFI file is met

    name = {"project": "refi-qda-1.0-Project.xsd", "codebook": "refi-qda-1.0-Codebook.xsd"}[kind]
    with resources.as_file(resources.files("maillage.data.schemas") / name) as path:
        return xmlschema.XMLSchema(str(path))


def schema_errors(xml: bytes | str, kind: str = "project", limit: int = 50) -> list[Issue]:
    """The first ``limit`` differences between ``xml`` and the REFI-QDA schema of
    ``kind`` (``project`` or ``codebook``); empty when it validates."""
    data = xml.decode("utf-8-sig") if isinstance(xml, bytes) else xml
    root = _parse(data.encode("utf-8"), "schema")
    out = []
    for error in _schema(kind).iter_errors(root):
        reason = _bare(str(error.reason or error.message).strip())
        where = _bare(str(error.path or "/"))
        out.append(Issue(where, f"non conforme au schéma REFI-QDA : {reason}",
                         f"does not follow the REFI-QDA schema: {reason}"))  # fmt: skip
        if len(out) >= limit:
            break
    return out


def _bare(text: str) -> str:
    """``text`` without the REFI-QDA namespaces spelled out in braces."""
    return text.replace(f"{{{PROJECT_NS}}}", "").replace(f"{{{CODEBOOK_NS}}}", "")


# --- reading --------------------------------------------------------------------------


def _parse(data: bytes, file: str) -> ET.Element:
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise UnreadableFile(
            file, "XML avec DTD ou entités, refusé par sécurité",
            "XML with a DTD or entities, refused for safety",
        ) from None  # fmt: skip
    except ET.ParseError as error:
        line, column = error.position
        raise UnreadableFile(
            file, f"XML mal formé ({error.msg})", f"malformed XML ({error.msg})",
            line=line, column=column + 1,
        ) from None  # fmt: skip
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: ET.Element, name: str) -> str | None:
    found = _child(element, name)
    return found.text if found is not None and found.text else None


def _note_refs(element: ET.Element) -> list[str]:
    return [r.get("targetGUID", "") for r in _children(element, "NoteRef") if r.get("targetGUID")]


def _codes(parent: ET.Element, issues: list[Issue], path: str) -> list[Code]:
    out = []
    for i, element in enumerate(_children(parent, "Code"), start=1):
        where = f"{path}/Code[{i}]"
        guid, name = element.get("guid"), element.get("name")
        if not guid or not name:
            issues.append(Issue(where, "code sans guid ou sans nom, ignoré",
                                "code without guid or name, skipped"))  # fmt: skip
            continue
        out.append(Code(
            guid=guid, name=name, description=_text(element, "Description"),
            color=element.get("color"), codable=element.get("isCodable", "true") != "false",
            children=_codes(element, issues, where), note_guids=_note_refs(element),
        ))  # fmt: skip
    return out


def _code_list(root: ET.Element, issues: list[Issue], path: str) -> list[Code]:
    codes = _child(root, "Codes")
    return _codes(codes, issues, f"{path}/Codes") if codes is not None else []


class _Offsets:
    """Converts offsets counted in UTF-16 code units to code points."""

    def __init__(self, text: str, utf16: bool) -> None:
        self.units: list[int] | None = None
        if utf16 and any(ord(ch) > 0xFFFF for ch in text):
            units, total = [0], 0
            for ch in text:
                total += 2 if ord(ch) > 0xFFFF else 1
                units.append(total)
            self.units = units

    def __call__(self, offset: int) -> int:
        if self.units is None:
            return offset
        return bisect.bisect_left(self.units, offset)


def _member(archive: zipfile.ZipFile, name: str, file: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MEMBER_LIMIT:
        raise UnreadableFile(file, f"« {name} » dépasse {MEMBER_LIMIT // 2**20} Mo",
                             f"'{name}' is over {MEMBER_LIMIT // 2**20} MB")  # fmt: skip
    with archive.open(info) as handle:
        data = handle.read(MEMBER_LIMIT + 1)
    if len(data) > MEMBER_LIMIT:
        raise UnreadableFile(file, f"« {name} » dépasse {MEMBER_LIMIT // 2**20} Mo",
                             f"'{name}' is over {MEMBER_LIMIT // 2**20} MB")  # fmt: skip
    return data


def _decode(data: bytes, file: str) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(file, "texte ni en UTF-8 ni en UTF-16", "text neither UTF-8 nor UTF-16")


def _internal(path: str, names: dict[str, str]) -> str | None:
    """The archive member an ``internal://`` path names (in ``Sources/``, any case)."""
    if not path.startswith("internal://"):
        return None
    tail = path[len("internal://") :].lower()
    for candidate in (f"sources/{tail}", tail):
        if candidate in names:
            return names[candidate]
    return None


def read_project(data: bytes, file: str = "project.qdpx") -> Project:
    """Read a ``.qdpx`` archive (or a bare ``project.qde``). Raises UnreadableFile."""
    members: dict[str, str] = {}
    archive = None
    if data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise UnreadableFile(file, "archive zip abîmée", "damaged zip archive") from None
        members = {n.lower(): n for n in archive.namelist()}
        if "project.qde" not in members:
            raise UnreadableFile(file, "pas de project.qde dans l'archive (un .qdpx en a un)",
                                 "no project.qde in the archive (a .qdpx has one)")  # fmt: skip
        qde = _member(archive, members["project.qde"], file)
    else:
        qde = data
    root = _parse(qde, file)
    if _local(root.tag) != "Project":
        raise UnreadableFile(file, f"élément racine <{_local(root.tag)}>, <Project> attendu",
                             f"root element <{_local(root.tag)}>, <Project> expected")  # fmt: skip
    project = Project(name=root.get("name") or "", origin=root.get("origin"))
    issues = project.issues
    if root.tag != f"{{{PROJECT_NS}}}Project":
        issues.append(Issue("/Project", f"espace de noms inattendu ({root.tag})",
                            f"unexpected namespace ({root.tag})"))  # fmt: skip
    issues.extend(schema_errors(qde, "project"))
    utf16 = any(word in (project.origin or "").lower() for word in UTF16_ORIGINS)
    users = _child(root, "Users")
    for user in _children(users, "User") if users is not None else []:
        guid = user.get("guid")
        if guid:
            project.users[guid] = user.get("name") or guid
    book = _child(root, "CodeBook")
    project.codes = _code_list(book, issues, "/Project/CodeBook") if book is not None else []
    for part in SKIPPED_PARTS:
        if _child(root, part) is not None:
            issues.append(Issue(f"/Project/{part}", f"<{part}> non lu (pas encore pris en charge)",
                                f"<{part}> not read (not supported yet)"))  # fmt: skip
    sources = _child(root, "Sources")
    for i, element in enumerate(list(sources) if sources is not None else [], start=1):
        where = f"/Project/Sources/{_local(element.tag)}[{i}]"
        if _local(element.tag) != "TextSource":
            issues.append(Issue(where, "source non textuelle ignorée", "non-text source skipped"))
            continue
        source = _text_source(element, archive, members, file, where, issues, utf16)
        if source is not None:
            project.sources.append(source)
    notes = _child(root, "Notes")
    for i, element in enumerate(_children(notes, "Note") if notes is not None else [], start=1):
        where = f"/Project/Notes/Note[{i}]"
        text = _plain_text(element, archive, members, file, where, issues)
        if element.get("guid") and text is not None:
            project.notes.append(Note(
                guid=element.get("guid", ""), name=element.get("name") or "", text=text,
                user_guid=element.get("creatingUser"), created=element.get("creationDateTime"),
            ))  # fmt: skip
    project.note_guids = _note_refs(root)
    return project


def _plain_text(
    element: ET.Element, archive: zipfile.ZipFile | None, members: dict[str, str], file: str,
    where: str, issues: list[Issue],
) -> str | None:  # fmt: skip
    inline = _child(element, "PlainTextContent")
    if inline is not None:
        return inline.text or ""
    path = element.get("plainTextPath")
    name = _internal(path, members) if path and archive is not None else None
    if archive is None or name is None:
        issues.append(Issue(where, f"texte introuvable ({path or 'ni contenu ni chemin'}), ignoré",
                            f"text not found ({path or 'no content, no path'}), skipped"))  # fmt: skip
        return None
    return _decode(_member(archive, name, file), f"{file}:{name}")


def _text_source(
    element: ET.Element, archive: zipfile.ZipFile | None, members: dict[str, str], file: str,
    where: str, issues: list[Issue], utf16: bool,
) -> Source | None:  # fmt: skip
    text = _plain_text(element, archive, members, file, where, issues)
    guid = element.get("guid")
    if text is None or not guid:
        return None
    source = Source(guid=guid, name=element.get("name") or guid, text=text,
                    description=_text(element, "Description"), note_guids=_note_refs(element))  # fmt: skip
    offset = _Offsets(text, utf16)
    for j, sel in enumerate(_children(element, "PlainTextSelection"), start=1):
        here = f"{where}/PlainTextSelection[{j}]"
        try:
            start, end = (
                offset(int(sel.get("startPosition", ""))),
                offset(int(sel.get("endPosition", ""))),
            )
        except ValueError:
            issues.append(Issue(here, "positions de début ou de fin illisibles, sélection ignorée",
                                "unreadable start or end position, selection skipped"))  # fmt: skip
            continue
        if not 0 <= start < end <= len(text):
            issues.append(Issue(
                here, f"positions {start}-{end} hors du texte ({len(text)} caractères), ignorée",
                f"positions {start}-{end} outside the text ({len(text)} characters), skipped",
            ))  # fmt: skip
            continue
        selection = Selection(
            guid=sel.get("guid") or new_guid(), start=start, end=end, name=sel.get("name"),
            description=_text(sel, "Description"), user_guid=sel.get("creatingUser"),
            created=sel.get("creationDateTime"),
        )  # fmt: skip
        for coding in _children(sel, "Coding"):
            ref = _child(coding, "CodeRef")
            target = ref.get("targetGUID") if ref is not None else None
            if not target:
                issues.append(
                    Issue(here, "codage sans code, ignoré", "coding without code, skipped")
                )
                continue
            selection.codings.append(Coding(
                guid=coding.get("guid") or new_guid(), code_guid=target,
                user_guid=coding.get("creatingUser") or selection.user_guid,
                created=coding.get("creationDateTime"), note_guids=_note_refs(coding),
            ))  # fmt: skip
        source.selections.append(selection)
    return source


def read_codebook(data: bytes, file: str = "codebook.qdc") -> tuple[list[Code], list[Issue]]:
    """Read a ``.qdc`` codebook: its code tree and the warnings. Raises UnreadableFile."""
    root = _parse(data, file)
    if _local(root.tag) != "CodeBook":
        raise UnreadableFile(file, f"élément racine <{_local(root.tag)}>, <CodeBook> attendu",
                             f"root element <{_local(root.tag)}>, <CodeBook> expected")  # fmt: skip
    issues = schema_errors(data, "codebook")
    return _code_list(root, issues, "/CodeBook"), issues


# --- writing --------------------------------------------------------------------------


def _code_element(parent: ET.Element, code: Code, ns: str, notes: bool) -> None:
    attrs = {"guid": code.guid, "name": code.name, "isCodable": "true" if code.codable else "false"}
    if code.color:
        attrs["color"] = code.color
    element = ET.SubElement(parent, f"{{{ns}}}Code", attrs)
    if code.description:
        ET.SubElement(element, f"{{{ns}}}Description").text = code.description
    if notes:
        for guid in code.note_guids:
            ET.SubElement(element, f"{{{ns}}}NoteRef", {"targetGUID": guid})
    for child in code.children:
        _code_element(element, child, ns, notes)


def _serialise(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def write_codebook(codes: Iterable[Code]) -> bytes:
    """A ``.qdc`` document (valid against Codebook.xsd when there is at least one code)."""
    ns = CODEBOOK_NS
    root = ET.Element(f"{{{ns}}}CodeBook", {"origin": ORIGIN})
    holder = ET.SubElement(root, f"{{{ns}}}Codes")
    for code in codes:
        _code_element(holder, code, ns, notes=False)
    return _serialise(root, ns)


def _user_attrs(guid: str | None, created: str | None) -> dict[str, str]:
    out = {}
    if guid:
        out["creatingUser"] = guid
    if created:
        out["creationDateTime"] = created
    return out


def write_project(project: Project) -> bytes:
    """A ``.qdpx`` archive: ``project.qde`` and one ``Sources/<guid>.txt`` per source."""
    ns = PROJECT_NS
    root = ET.Element(f"{{{ns}}}Project", {"name": project.name or "maillage", "origin": ORIGIN})
    if project.users:
        users = ET.SubElement(root, f"{{{ns}}}Users")
        for guid, name in project.users.items():
            ET.SubElement(users, f"{{{ns}}}User", {"guid": guid, "name": name})
    if project.codes:
        book = ET.SubElement(ET.SubElement(root, f"{{{ns}}}CodeBook"), f"{{{ns}}}Codes")
        for code in project.codes:
            _code_element(book, code, ns, notes=True)
    files: dict[str, str] = {}
    if project.sources:
        sources = ET.SubElement(root, f"{{{ns}}}Sources")
        for source in project.sources:
            files[f"Sources/{source.guid}.txt"] = source.text
            element = ET.SubElement(sources, f"{{{ns}}}TextSource", {
                "guid": source.guid, "name": source.name,
                "plainTextPath": f"internal://{source.guid}.txt",
            })  # fmt: skip
            if source.description:
                ET.SubElement(element, f"{{{ns}}}Description").text = source.description
            for sel in source.selections:
                attrs = {"guid": sel.guid, "startPosition": str(sel.start),
                         "endPosition": str(sel.end), **_user_attrs(sel.user_guid, sel.created)}  # fmt: skip
                if sel.name:
                    attrs["name"] = sel.name
                selection = ET.SubElement(element, f"{{{ns}}}PlainTextSelection", attrs)
                if sel.description:
                    ET.SubElement(selection, f"{{{ns}}}Description").text = sel.description
                for coding in sel.codings:
                    c = ET.SubElement(selection, f"{{{ns}}}Coding", {
                        "guid": coding.guid, **_user_attrs(coding.user_guid, coding.created)})  # fmt: skip
                    ET.SubElement(c, f"{{{ns}}}CodeRef", {"targetGUID": coding.code_guid})
                    for guid in coding.note_guids:
                        ET.SubElement(c, f"{{{ns}}}NoteRef", {"targetGUID": guid})
            for guid in source.note_guids:
                ET.SubElement(element, f"{{{ns}}}NoteRef", {"targetGUID": guid})
    if project.notes:
        notes = ET.SubElement(root, f"{{{ns}}}Notes")
        for note in project.notes:
            element = ET.SubElement(notes, f"{{{ns}}}Note", {
                "guid": note.guid, "name": note.name, **_user_attrs(note.user_guid, note.created)})  # fmt: skip
            ET.SubElement(element, f"{{{ns}}}PlainTextContent").text = note.text
    for guid in project.note_guids:
        ET.SubElement(root, f"{{{ns}}}NoteRef", {"targetGUID": guid})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _serialise(root, ns))
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return out.getvalue()
