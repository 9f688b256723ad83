"""A spreadsheet file as a header and rows of cells, refused early and in words when it is
not one: a wrong extension, too big, NUL bytes, an XLSX zip bomb, too many rows or columns,
a line of a megabyte.

CSV comes as Brazilian Excel writes it or as anything else does: UTF-8 with or without a
byte-order mark, else Windows-1252; `;`, `,` or tab between cells (the one the header line
uses most). XLSX is read by openpyxl in read-only mode after its zip directory says how
big it unpacks. Cells stay as read (text from CSV; numbers, dates and text from XLSX);
values.py makes sense of them.
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Iterator

from openpyxl.utils.escape import unescape

from . import words

MAX_COLUMNS = 200
MAX_LINE_BYTES = 1024 * 1024
#: An XLSX may unpack to this many times the upload limit, and never past this ratio per
#: member (a real sheet compresses about 10:1; a zip bomb thousands to one).
XLSX_EXPANSION, XLSX_MEMBER_RATIO = 10, 200
DELIMITERS = (";", ",", "\t")


class FileProblem(ValueError):
    """The file cannot be imported at all; the message says why, in the user's language."""


@dataclass
class Formula:
    """An XLSX cell holding a formula (refused, with the line and column)."""
    text: str


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list]]   # (line number in the file, cells)


def read(filename: str, data: bytes, max_rows: int, max_mb: int) -> Table:
    name = (filename or "").lower()
    if not name.endswith((".csv", ".xlsx")):
        raise FileProblem(str(words.NOT_A_SPREADSHEET))
    if not data:
        raise FileProblem(str(words.EMPTY_FILE))
    if len(data) > max_mb * 1024 * 1024:
        raise FileProblem(words.TOO_BIG % {"mb": max_mb})
    lines = _xlsx_lines(data, max_mb) if name.endswith(".xlsx") else _csv_lines(data)
    return _table(lines, max_rows)


def _table(lines: Iterator[tuple[int, list]], max_rows: int) -> Table:
    first = next(lines, None)
    if first is None or not any(_filled(c) for c in first[1]):
        raise FileProblem(str(words.NO_HEADER))
    headers = [str(c if c is not None else "").strip() for c in first[1]]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise FileProblem(words.TOO_MANY_COLUMNS % {"columns": MAX_COLUMNS})
    rows, same = [], _SameText()
    for line, cells in lines:
        if not any(_filled(c) for c in cells):
            continue  # blank lines (Excel leaves a few at the end)
        if len(rows) >= max_rows:
            raise FileProblem(words.TOO_MANY_ROWS % {"rows": max_rows})
        if len(cells) > MAX_COLUMNS:
            raise FileProblem(words.TOO_MANY_COLUMNS % {"columns": MAX_COLUMNS})
        rows.append((line, [same(c) for c in cells[:len(headers)]]))
    if not rows:
        raise FileProblem(str(words.NO_ROWS))
    return Table(headers, rows)


class _SameText:
    """One string object for the cells that repeat (a category, a unit, `Sim`, a city):
    a 100,000-line file holds each of them once instead of once a line. The first
    MAX_KEPT distinct texts are kept; a column of unique values stops growing it."""

    MAX_KEPT = 10_000

    def __init__(self):
        self._kept = {}

    def __call__(self, cell):
        if type(cell) is not str:
            return cell
        kept = self._kept.get(cell)
        if kept is not None:
            return kept
        if len(self._kept) < self.MAX_KEPT:
            self._kept[cell] = cell
        return cell


def _filled(cell) -> bool:
    return cell is not None and str(cell).strip() != ""


# -- CSV --------------------------------------------------------------------------------------
def encoding(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark) if the whole file is, else Windows-1252."""
    if b"\x00" in data:
        raise FileProblem(str(words.NUL_BYTES))
    for name in ("utf-8-sig", "cp1252"):
        try:
            data.decode(name)  # checked whole, then read piece by piece (_csv_lines)
        except UnicodeDecodeError:
            continue
        return name
    raise FileProblem(str(words.UNKNOWN_ENCODING))


def delimiter(header: str) -> str:
    """The separator the header line uses most (outside quotes)."""
    outside, quoted = [], False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _text_stream(data: bytes) -> io.TextIOWrapper:
    """The file as text read a piece at a time: a StringIO of the whole file costs four
    bytes a character (36 MB for a 100,000-line file, measured), on top of the rows."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding(data), newline="")


def _csv_lines(data: bytes) -> Iterator[tuple[int, list]]:
    stream = _text_stream(data)
    header = stream.readline(MAX_LINE_BYTES)
    stream.seek(0)
    reader = csv.reader(stream, delimiter=delimiter(header), strict=True)
    previous = csv.field_size_limit(MAX_LINE_BYTES)
    try:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = reader.line_num
                if "field larger than field limit" in str(exc):
                    raise FileProblem(words.LINE_TOO_LONG % {
                        "line": line, "kb": MAX_LINE_BYTES // 1024}) from None
                raise FileProblem(words.BAD_CSV % {"line": line, "reason": exc}) from None
            if sum(len(c) for c in cells) > MAX_LINE_BYTES:
                raise FileProblem(words.LINE_TOO_LONG % {
                    "line": reader.line_num, "kb": MAX_LINE_BYTES // 1024})
            yield reader.line_num, cells
    finally:
        csv.field_size_limit(previous)
        stream.close()


# -- XLSX -------------------------------------------------------------------------------------
def _check_zip(data: bytes, max_mb: int) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileProblem(str(words.BAD_XLSX)) from None
    limit = max_mb * 1024 * 1024 * XLSX_EXPANSION
    total = 0
    for member in archive.infolist():
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > limit or (member.file_size > 1024 * 1024 and ratio > XLSX_MEMBER_RATIO):
            raise FileProblem(words.XLSX_BOMB % {"mb": limit // (1024 * 1024)})


def _xlsx_value(cell):
    """A cell as read: a formula marked as such, text with the `_x000D_` escapes of control
    characters decoded (as Excel and XlsxWriter write a CR or a tab; openpyxl leaves them)."""
    if cell.data_type == "f":
        return Formula(str(cell.value))
    if isinstance(cell.value, str) and "_x" in cell.value:
        return unescape(cell.value)
    return cell.value


def _xlsx_lines(data: bytes, max_mb: int) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    _check_zip(data, max_mb)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise FileProblem(str(words.BAD_XLSX)) from None
    try:
        for number, row in enumerate(sheet.iter_rows(), 1):
            if len(row) > MAX_COLUMNS:
                raise FileProblem(words.TOO_MANY_COLUMNS % {"columns": MAX_COLUMNS})
            yield number, [_xlsx_value(c) for c in row]
    except FileProblem:
        raise
    except Exception:
        raise FileProblem(str(words.BAD_XLSX)) from None
    finally:
        book.close()
