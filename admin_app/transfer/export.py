"""A list exported as it is filtered and sorted, in constant memory.

CSV is streamed as it is written: the header at once, then a chunk every `CHUNK_ROWS` rows.
In Portuguese it is what Brazilian Excel expects: `;` between cells (the comma is the
decimal mark) and a UTF-8 byte-order mark (without it Excel reads Windows-1252). XLSX is
written row by row by openpyxl's write-only mode into a temporary file, with typed cells
(money, numbers, dates) so the spreadsheet can sum and sort them.
"""

import csv
import io
import tempfile
from datetime import datetime, timezone

from flask_babel import get_locale, get_timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from . import cells

CHUNK_ROWS = 500
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
XLSX_FORMATS = {cells.MONEY: '"R$" #,##0.00', cells.NUMBER: "#,##0.###",
                cells.DATE: "dd/mm/yyyy", cells.DATETIME: "dd/mm/yyyy hh:mm"}


class Counted:
    """The rows of an export, counted as they are written; `progress(done, total)` every
    thousand rows (a worker's job reports it)."""

    def __init__(self, rows, progress=None, total: int = 0):
        self.rows, self.progress, self.total, self.count = rows, progress, total, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            if self.progress is not None and self.count % 1000 == 0:
                self.progress(self.count, max(self.total, self.count))
            yield row


def separator() -> str:
    """`;` where the comma is the decimal mark (Portuguese), `,` elsewhere."""
    return ";" if get_locale().language == "pt" else ","


def headers(view) -> list[str]:
    return [cells.neutralise(str(label)) for _name, label in view._export_columns]


def csv_chunks(view, rows):
    """The CSV file as text chunks: the header, then `CHUNK_ROWS` records at a time."""
    writers = [cells.text_writer(view, name) for name, _label in view._export_columns]
    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=separator(), lineterminator="\r\n")
    out.writerow(headers(view))
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, 1):
        out.writerow([write(row) for write in writers])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(view, rows, target) -> None:
    """The XLSX file written into `target` (a path or a binary file)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(view))
    columns = [(name, cells.column_kind(view.model, name)) for name, _l in view._export_columns]
    writers = [cells.text_writer(view, name) for name, _kind in columns]
    sheet.append(headers(view))
    zone = get_timezone()
    for row in rows:
        sheet.append([
            _typed(sheet, kind, getattr(row, name, None), zone)
            if kind != cells.TEXT else write(row)
            for (name, kind), write in zip(columns, writers)])
    book.save(target)


def xlsx_file(view, rows):
    """The XLSX export in a temporary file (deleted when closed), rewound for reading."""
    spool = tempfile.TemporaryFile()
    write_xlsx(view, rows, spool)
    spool.seek(0)
    return spool


def _sheet_title(view) -> str:
    title = str(getattr(view, "label_plural", None) or view.name)
    return "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Dados"


def _typed(sheet, kind, value, zone):
    if value is None:
        return None
    if kind == cells.DATETIME and isinstance(value, datetime):
        # stored in UTC, shown in the user's zone as the list shows it
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        value = aware.astimezone(zone or timezone.utc).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = XLSX_FORMATS[kind]
    return cell
