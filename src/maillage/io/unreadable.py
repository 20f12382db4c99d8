"""Files that cannot be read at all: one clear error naming the file and the place.

A parser reports bad *values* as :class:`~maillage.model.records.ImportIssue` rows; a
file that is not what its name says (not JSON, not UTF-8, not a workbook, a quote
never closed) is refused as a whole with :class:`UnreadableFile`, an
:class:`~maillage.model.errors.InvalidInput` that the command line prints as one line
and the web answers with a 422. Nothing is written.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal, cast

from maillage.model import numbers
from maillage.model.errors import InvalidInput, MaillageError

__all__ = [
    "CELL_LIMIT",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "PART_LIMIT",
    "RATIO_LIMIT",
    "TEXT_RUN_LIMIT",
    "WHOLE_PART_LIMIT",
    "UnreadableFile",
    "cell_too_long",
    "data_suffix",
    "json_objects",
    "load_json",
    "open_workbook",
    "parse_json_bytes",
    "part_limit",
    "read_data",
    "sheet_rows",
]

CELL_LIMIT = 1 << 20
"""The most characters a cell may hold (1 MiB), in a CSV file or a workbook: a file with
a longer one is refused."""
PART_LIMIT = 256 << 20
"""The most bytes one part of a workbook (a sheet, the shared strings) may hold once
decompressed (256 MiB, about a million rows of ten columns)."""
RATIO_LIMIT = 100
"""The most a part of a workbook over 1 MiB may grow when decompressed (real sheets grow
5 to 20 times; a zip bomb about 1,000 times)."""
MAX_ROWS, MAX_COLUMNS = 1 << 20, 1 << 14
"""The rows and columns a sheet may have (those of Excel): a sheet naming a row or a
column beyond is refused (a few bytes would otherwise make a million empty rows)."""
WHOLE_PART_LIMIT = 16 << 20
"""The most bytes a part parsed whole (styles, the workbook's list of sheets, relations)
may hold once decompressed (16 MiB): its XML tree is built in memory."""
TEXT_RUN_LIMIT = 4 * CELL_LIMIT
"""The most bytes of XML text without a tag a workbook part may hold: a cell of
:data:`CELL_LIMIT` characters takes at most 4 bytes a character in UTF-8. Stops a
huge shared string before the XML parser builds it in memory."""


class UnreadableFile(InvalidInput):
    """A file refused as a whole: ``file``, where (a line and column, a byte or an
    element of a JSON array, when known) and what is wrong."""

    def __init__(
        self,
        file: str,
        problem: str,
        problem_en: str | None = None,
        line: int | None = None,
        column: int | None = None,
        byte: int | None = None,
        element: int | None = None,
    ) -> None:
        self._init_args = (file, problem, problem_en, line, column, byte, element)  # type: ignore[assignment]
        self.field, self.value, self.rule = "file", file, problem
        self.rule_en = problem_en if problem_en is not None else problem
        places = (("ligne", "line", line), ("colonne", "column", column),
                  ("octet", "byte", byte), ("élément", "element", element))  # fmt: skip
        where = "".join(f", {fr} {n}" for fr, _, n in places if n is not None)
        where_en = "".join(f", {en} {n}" for _, en, n in places if n is not None)
        MaillageError.__init__(
            self,
            f"Fichier illisible « {file} »{where} : {problem}",
            f"Unreadable file '{file}'{where_en}: {self.rule_en}",
        )


def parse_json_bytes(data: bytes, file: str) -> Any:
    """Decode a JSON document (UTF-8, a BOM is allowed) or raise :class:`UnreadableFile`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            file, "pas en UTF-8 (JSON doit être en UTF-8)", "not UTF-8 (JSON must be UTF-8)",
            byte=error.start + 1,
        ) from None  # fmt: skip
    if not text.strip():
        raise UnreadableFile(file, "fichier vide, document JSON attendu", "empty, JSON expected")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(
            file, f"JSON invalide ({error.msg})", f"invalid JSON ({error.msg})",
            line=error.lineno, column=error.colno,
        ) from None  # fmt: skip
    except RecursionError:
        raise UnreadableFile(
            file, "JSON trop profondément imbriqué", "JSON nested too deeply"
        ) from None


def load_json(path: str | Path, member: str | None = None) -> Any:
    """Read a JSON file (UTF-8, a BOM is allowed; compressed or not, see
    :func:`read_data`) or raise :class:`UnreadableFile`."""
    return parse_json_bytes(*read_data(path, member))


_ARCHIVES = (".gz", ".zip")
_SKIPPED_MEMBERS = ("__MACOSX/", ".")
# What an archive holds beside its data: documentation, never read as data.
_DOCUMENTS = (".md", ".pdf", ".html", ".htm", ".rtf", ".doc", ".docx", ".odt")
_DOCUMENT_NAMES = ("readme", "lisezmoi", "licence", "license", "notice")


def _documentation(name: str) -> bool:
    path = Path(name)
    return path.suffix.lower() in _DOCUMENTS or path.stem.lower() in _DOCUMENT_NAMES


def read_data(path: str | Path, member: str | None = None) -> tuple[bytes, str]:
    """The bytes of a data file and the name messages give it: the file itself, or
    the file a ``.gz`` compresses (``lieux.json.gz``), or the one data file a ``.zip``
    holds (``member`` names it among several; ``export.zip/lieux.csv``).

    Decompression is bounded as a workbook's parts are: no more than
    :data:`PART_LIMIT` bytes, and no more than :data:`RATIO_LIMIT` times the
    compressed size past 1 MiB (a zip bomb); a damaged archive is refused."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _ARCHIVES:
        return path.read_bytes(), path.name
    data = path.read_bytes()
    if suffix == ".gz":
        return _gunzip(data, path.name), path.name
    return _unzip(data, path.name, member)


def data_suffix(path: str | Path, member: str | None = None) -> str:
    """The suffix (lower case) of the data :func:`read_data` reads: ``.json`` for
    ``lieux.json.gz``, the suffix of the file a ``.zip`` holds, else the path's own."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return Path(path.stem).suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                return Path(_member(archive, path.name, member).filename).suffix.lower()
        except (zipfile.BadZipFile, OSError):
            return suffix  # refused with its reason when read
    return suffix


def _bound(compressed: int) -> int:
    """The most bytes an archive of ``compressed`` bytes may give decompressed."""
    return min(PART_LIMIT, max(1 << 20, RATIO_LIMIT * compressed))


def _archive_too_big(file: str, compressed: int) -> UnreadableFile:
    limit = _bound(compressed)
    fr, en = numbers.number(limit, "fr"), numbers.number(limit, "en")
    return UnreadableFile(
        file, f"plus de {fr} octets une fois décompressé (limite : {RATIO_LIMIT} fois la "
        "taille compressée, au plus 256 Mio ; une bombe zip ?)",
        f"over {en} bytes decompressed (limit: {RATIO_LIMIT} times the compressed size, "
        "256 MiB at most; a zip bomb?)",
    )  # fmt: skip


def _gunzip(data: bytes, file: str) -> bytes:
    """The content of a gzip file (its members one after the other), bounded."""
    limit, parts, total = _bound(len(data)), [], 0
    rest = data
    try:
        while rest:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            part = inflater.decompress(rest, limit - total + 1)
            total += len(part)
            if total > limit or inflater.unconsumed_tail:
                raise _archive_too_big(file, len(data))
            if not inflater.eof:
                raise zlib.error("fin de fichier inattendue")
            parts.append(part)
            rest = inflater.unused_data.lstrip(b"\0")
    except zlib.error as error:
        raise UnreadableFile(file, f"fichier gzip endommagé ({error})",
                             f"damaged gzip file ({error})") from None  # fmt: skip
    return b"".join(parts)


def _member(archive: zipfile.ZipFile, file: str, member: str | None) -> zipfile.ZipInfo:
    """The data file of a zip: the one it holds, or the one ``member`` names."""
    files = [
        i for i in archive.infolist()
        if not i.is_dir() and not Path(i.filename).name.startswith(_SKIPPED_MEMBERS)
        and not i.filename.startswith(_SKIPPED_MEMBERS) and not _documentation(i.filename)
    ]  # fmt: skip
    if member is not None:
        named = [i for i in files if member in (i.filename, Path(i.filename).name)]
        if named:
            return named[0]
    if len(files) == 1:  # (a name that is none of its files may be a workbook's sheet)
        return files[0]
    listed = ", ".join(i.filename for i in files[:20]) + (" …" if len(files) > 20 else "")
    if not files:
        raise UnreadableFile(file, "archive zip vide", "empty zip archive")
    if member is not None and len(files) > 1:
        raise UnreadableFile(file, f"pas de fichier « {member} » dans l'archive (fichiers : "
                             f"{listed})", f"no file '{member}' in the archive (files: "
                             f"{listed})")  # fmt: skip
    raise UnreadableFile(
        file, f"l'archive contient {len(files)} fichiers ({listed}) : nommez celui à lire "
        "(--sheet NOM)", f"the archive holds {len(files)} files ({listed}): name the one to "
        "read (--sheet NAME)",
    )  # fmt: skip


def _unzip(data: bytes, file: str, member: str | None) -> tuple[bytes, str]:
    """The content and name of the data file of a zip archive, bounded."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = _member(archive, file, member)
            limit = _bound(max(info.compress_size, 1))
            if info.file_size > limit:
                raise _archive_too_big(f"{file}/{info.filename}", info.compress_size)
            with archive.open(info) as stream:
                content = stream.read(limit + 1)  # zipfile stops at the declared size
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise UnreadableFile(file, f"archive zip endommagée ({error})",
                             f"damaged zip archive ({error})") from None  # fmt: skip
    except RuntimeError as error:  # an encrypted member
        raise UnreadableFile(file, f"archive zip illisible ({error})",
                             f"unreadable zip archive ({error})") from None  # fmt: skip
    if len(content) > limit:
        raise _archive_too_big(f"{file}/{info.filename}", info.compress_size)
    return content, f"{file}/{info.filename}"


def json_objects(data: Any, file: str) -> list[Mapping[str, Any]]:
    """``data`` as an array of objects, or :class:`UnreadableFile` naming the element."""
    if not isinstance(data, list):
        raise UnreadableFile(
            file, f"tableau JSON d'objets attendu, pas {_json_kind(data)}",
            f"JSON array of objects expected, not {_json_kind(data, 'en')}",
        )  # fmt: skip
    for index, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            raise UnreadableFile(
                file, f"objet JSON attendu, pas {_json_kind(item)}",
                f"JSON object expected, not {_json_kind(item, 'en')}", element=index,
            )  # fmt: skip
    return data


def _json_kind(value: Any, lang: str = "fr") -> str:
    """What a JSON value is, in words of ``lang`` (``fr`` or ``en``)."""
    kinds = {
        dict: ("un objet", "an object"), list: ("un tableau", "an array"),
        str: ("un texte", "a text"), bool: ("un booléen", "a boolean"),
    }  # fmt: skip
    fr, en = (
        ("null", "null") if value is None else kinds.get(type(value), ("un nombre", "a number"))
    )
    return en if lang == "en" else fr


def cell_too_long(file: str, line: int, column: int | None = None) -> UnreadableFile:
    """The refusal of a cell longer than :data:`CELL_LIMIT` characters at ``line``, in
    ``column`` of a sheet, or in a CSV file (where it hints at a quote never closed)."""
    fr, en = numbers.number(CELL_LIMIT, "fr"), numbers.number(CELL_LIMIT, "en")
    if column is None:
        return UnreadableFile(
            file, f"cellule de plus de {fr} caractères (un guillemet jamais fermé ?)",
            f"cell longer than {en} characters (a quote never closed?)", line=line,
        )  # fmt: skip
    return UnreadableFile(file, f"cellule de plus de {fr} caractères",
                          f"cell longer than {en} characters", line=line, column=column)  # fmt: skip


def _not_a_workbook(file: str) -> UnreadableFile:
    return UnreadableFile(
        file, "pas un classeur XLSX (le contenu n'est pas un classeur zippé)",
        "not an XLSX workbook (the content is not a zipped workbook)",
    )  # fmt: skip


def _damaged(file: str, error: BaseException) -> UnreadableFile:
    """A workbook whose zip or XML breaks while it is read (the first line of the
    library's reason, cut to 200 characters)."""
    cause = error.__cause__ if isinstance(error.__cause__, BaseException) else error
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]
    return UnreadableFile(
        file, f"classeur XLSX endommagé ({reason})", f"damaged XLSX workbook ({reason})"
    )


def _too_big(file: str, part: str, fr: str, en: str) -> UnreadableFile:
    return UnreadableFile(file, f"partie « {part} » du classeur : {fr}",
                          f"part '{part}' of the workbook: {en}")  # fmt: skip


def part_limit(part: str) -> int:
    """The most bytes ``part`` of a workbook may hold decompressed: :data:`PART_LIMIT`
    for the parts read as a stream (sheets, shared strings), :data:`WHOLE_PART_LIMIT`
    for those parsed whole (styles, the workbook, relations...)."""
    streamed = part == "xl/sharedStrings.xml" or part.startswith("xl/worksheets/sheet")
    return PART_LIMIT if streamed else WHOLE_PART_LIMIT


def _over_limit(file: str, part: str, size: int | None = None) -> UnreadableFile:
    limit = part_limit(part)
    if size is None:
        return _too_big(file, part, f"plus de {numbers.number(limit, 'fr')} octets décompressés",
                        f"over {numbers.number(limit, 'en')} bytes decompressed")  # fmt: skip
    return _too_big(
        file, part, f"{numbers.number(size, 'fr')} octets décompressés, plus que la limite de "
        f"{numbers.number(limit, 'fr')}", f"{numbers.number(size, 'en')} bytes decompressed, "
        f"over the limit of {numbers.number(limit, 'en')}",
    )  # fmt: skip


def _check_parts(archive: zipfile.ZipFile, file: str) -> None:
    """Refuse a workbook whose directory declares a part over its :func:`part_limit`,
    or one over 1 MiB growing more than :data:`RATIO_LIMIT` times, before anything is
    decompressed. Parts that are not XML (images, macros) are never read."""
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels")):
            continue
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > part_limit(info.filename):
            raise _over_limit(file, info.filename, size)
        if size > 1 << 20 and size > RATIO_LIMIT * packed:
            ratio = numbers.number(size // packed, "fr"), numbers.number(size // packed, "en")
            raise _too_big(
                file, info.filename,
                f"se décompresse {ratio[0]} fois (limite : {RATIO_LIMIT} fois ; une bombe zip ?)",
                f"decompresses {ratio[1]} times (limit: {RATIO_LIMIT} times; a zip bomb?)",
            )  # fmt: skip


class _BoundedPart(io.RawIOBase):
    """One part of a workbook read through its limits: never more than its
    :func:`part_limit`, never a text run over :data:`TEXT_RUN_LIMIT` bytes (``zipfile``
    already stops at the size a part declares: this holds whatever the directory says)."""

    def __init__(self, stream: IO[bytes], file: str, part: str) -> None:
        self._stream, self._file, self._part = stream, file, part
        self._limit, self._total, self._run = part_limit(part), 0, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._stream.read(-1 if size is None else size)
        self._total += len(data)
        if self._total > self._limit:
            raise _over_limit(self._file, self._part)
        first = data.find(b"<")
        if first < 0:
            self._run += len(data)
        else:
            inner = _longest_run(data) if len(data) > TEXT_RUN_LIMIT else 0
            longest = max(self._run + first, inner)
            self._run = longest if longest > TEXT_RUN_LIMIT else len(data) - data.rfind(b"<") - 1
        if self._run > TEXT_RUN_LIMIT:
            limit = numbers.number(TEXT_RUN_LIMIT, "fr"), numbers.number(TEXT_RUN_LIMIT, "en")
            cell = numbers.number(CELL_LIMIT, "fr"), numbers.number(CELL_LIMIT, "en")
            raise _too_big(
                self._file, self._part,
                f"un texte de plus de {limit[0]} octets d'un seul tenant (une cellule de plus "
                f"de {cell[0]} caractères ?)",
                f"a text over {limit[1]} bytes in one piece (a cell over {cell[1]} characters?)",
            )  # fmt: skip
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _longest_run(data: bytes) -> int:
    """The longest stretch of ``data`` between two ``<`` (a text, a tag's inside)."""
    return max(map(len, data.split(b"<")), default=0)


class _BoundedZip(zipfile.ZipFile):
    """A workbook's zip whose parts are read through :class:`_BoundedPart`."""

    label = "classeur"

    def open(self, name: Any, mode: Literal["r", "w"] = "r", pwd: bytes | None = None, *,
             force_zip64: bool = False) -> IO[bytes]:  # fmt: skip
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return stream
        part = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        return cast(IO[bytes], _BoundedPart(stream, self.label, part))


def open_workbook(source: str | Path | bytes, file: str, **options: Any) -> Any:
    """An openpyxl workbook read within bounds, or :class:`UnreadableFile`.

    The zip's directory is checked first (:func:`_check_parts`), then every part is
    read through :class:`_BoundedPart` (``zipfile`` itself never decompresses more than
    a part declares). A zip or XML that breaks on the way is refused as damaged.
    """
    from openpyxl.reader.excel import ExcelReader

    data = source if isinstance(source, bytes) else read_data(source)[0]
    try:
        archive = _BoundedZip(io.BytesIO(data))
        reader = ExcelReader(io.BytesIO(data), **options)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        raise _not_a_workbook(file) from None
    reader.archive.close()
    reader.archive, reader.valid_files, archive.label = archive, archive.namelist(), file
    try:
        _check_parts(archive, file)
        reader.read()
    except MaillageError:
        archive.close()
        raise
    except Exception as error:  # openpyxl raises what its XML gives it: refused, never a traceback
        archive.close()
        if isinstance(error.__cause__, MaillageError):
            raise error.__cause__ from None
        if isinstance(error, KeyError) or "no valid workbook" in str(error):
            raise _not_a_workbook(file) from None
        raise _damaged(file, error) from None
    return reader.wb


def sheet_rows(worksheet: Any, file: str) -> Iterator[Sequence[Any]]:
    """The rows of a read-only worksheet as values, each as wide as its own last cell
    (the sheet's declared dimension is ignored: a tiny file declaring a million rows of
    16,384 columns would be read as such); a sheet whose XML breaks is refused."""
    worksheet.reset_dimensions()
    where = f"{file}#{worksheet.title}"
    try:
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS or len(row) > MAX_COLUMNS:
                fr, en = ("lignes", "rows") if number > MAX_ROWS else ("colonnes", "columns")
                limit = MAX_ROWS if number > MAX_ROWS else MAX_COLUMNS
                raise UnreadableFile(
                    where, f"plus de {numbers.number(limit, 'fr')} {fr} (limite d'une feuille)",
                    f"over {numbers.number(limit, 'en')} {en} (the limit of a sheet)",
                    line=number,
                )  # fmt: skip
            yield row
    except MaillageError:
        raise
    except Exception as error:  # noqa: BLE001 - see open_workbook
        if isinstance(error.__cause__, MaillageError):
            raise error.__cause__ from None
        raise _damaged(where, error) from None
