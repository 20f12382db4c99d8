"""Hostile workbooks built in memory, small on disk: zip bombs and their cousins.

:func:`rezip` writes a zip by hand so that a part may be a deflate stream made of one
compressed block repeated (a gibibyte of text in about a megabyte), or may declare a
size other than the one it holds.
"""

from __future__ import annotations

import io
import random
import string
import struct
import zipfile
import zlib

from maillage.io.xlsx import generate_xlsx
from maillage.model.records import ActorRecord

GIB = 1 << 30
SHARED = "xl/sharedStrings.xml"
SHEET = "xl/worksheets/sheet1.xml"


class Part:
    """A zip member given as raw deflate data with its sizes and CRC."""

    def __init__(self, packed: bytes, size: int, crc: int) -> None:
        self.packed, self.size, self.crc = packed, size, crc

    @classmethod
    def of(cls, data: bytes, *, declared: int | None = None) -> Part:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = packer.compress(data) + packer.flush()
        return cls(packed, len(data) if declared is None else declared, zlib.crc32(data))

    @classmethod
    def repeated(cls, head: bytes, block: bytes, times: int, tail: bytes) -> Part:
        """``head + block * times + tail`` compressed by repeating one compressed block
        (a full flush resets the compressor, so each copy compresses the same way). The
        CRC is computed block by block (about a second for a gibibyte)."""
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
        middle = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
        crc = zlib.crc32(head)
        for _ in range(times):
            crc = zlib.crc32(block, crc)
        last = packer.compress(tail) + packer.flush()
        return cls(first + middle * times + last, len(head) + len(block) * times + len(tail),
                   zlib.crc32(tail, crc))  # fmt: skip


def rezip(members: dict[str, bytes | Part]) -> bytes:
    """A zip archive (deflated members, no zip64) written by hand."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, content in members.items():
        part = content if isinstance(content, Part) else Part.of(content)
        encoded, offset = name.encode(), out.tell()
        fields = (20, 0, 8, 0, 0x21, part.crc, len(part.packed), part.size, len(encoded), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + part.packed)
        directory.write(
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHH", *fields)
            + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            + encoded
        )
    start, listing = out.tell(), directory.getvalue()
    out.write(listing)
    count = len(members)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(listing), start, 0))
    return out.getvalue()


def workbook_parts() -> dict[str, bytes]:
    """The parts of a small actors workbook (sheets ``actors`` and ``links``)."""
    data = generate_xlsx([ActorRecord(name="Lieu", source="s", key="1")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
SST_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>'
)


def with_shared(shared: Part) -> bytes:
    """A small actors workbook whose actor's name (cell A2) is the first shared string,
    ``shared``."""
    parts: dict[str, bytes | Part] = dict(workbook_parts())
    types = parts["[Content_Types].xml"]
    assert isinstance(types, bytes)
    parts["[Content_Types].xml"] = types.replace(b"</Types>", SST_TYPE.encode())
    sheet = parts[SHEET]
    assert isinstance(sheet, bytes)
    name = b'<c r="A2" t="inlineStr"><is><t>Lieu</t></is></c>'
    assert name in sheet
    parts[SHEET] = sheet.replace(name, b'<c r="A2" t="s"><v>0</v></c>')
    parts[SHARED] = shared
    return rezip(parts)


def shared_string_bomb(size: int = GIB) -> bytes:
    """A workbook whose first shared string is ``size`` bytes of ``a`` (about
    ``size / 1000`` bytes on disk)."""
    block = b"a" * (1 << 20)
    return with_shared(Part.repeated(SST, block, size // len(block), b"</t></si></sst>"))


def lying_bomb(size: int = GIB) -> bytes:
    """The same bomb whose zip directory declares the shared strings 1,000 bytes long."""
    bomb = Part.repeated(SST, b"a" * (1 << 20), size >> 20, b"</t></si></sst>")
    return with_shared(Part(bomb.packed, 1000, bomb.crc))


def sheet_xml(rows: str, dimension: str = "A1") -> bytes:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def with_sheet(sheet: bytes | Part, *, shared: bytes | Part | None = None) -> bytes:
    """A small actors workbook whose first sheet (``actors``) is replaced."""
    parts: dict[str, bytes | Part] = dict(workbook_parts())
    parts[SHEET] = sheet
    if shared is not None:
        parts[SHARED] = shared
    return rezip(parts)


HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'


def empty_rows_bomb(row: int = 1 << 20, column: str = "XFD") -> bytes:
    """A tiny sheet declaring a million rows by 16,384 columns, its one cell at ``row``
    and ``column``."""
    cell = f'<c r="{column}{row}" t="inlineStr"><is><t>x</t></is></c>'
    last = f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>Lieu</t></is></c>{cell}</row>'
    return with_sheet(sheet_xml(HEADER + last, "A1:XFD1048576"))


def letters(length: int) -> str:
    """``length`` letters that compress about as much as text does (not a bomb)."""
    return "".join(random.Random(length).choices(string.ascii_lowercase, k=length))


def long_cell(length: int) -> bytes:
    """A workbook whose second row holds an inline string of ``length`` letters."""
    cell = f'<row r="2"><c r="A2" t="inlineStr"><is><t>{letters(length)}</t></is></c></row>'
    return with_sheet(sheet_xml(HEADER + cell))


def long_shared_string(length: int) -> bytes:
    """A workbook whose first shared string holds ``length`` letters."""
    return with_shared(Part.of(SST + letters(length).encode() + b"</t></si></sst>"))
