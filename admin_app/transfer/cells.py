"""How one record's field is written in a spreadsheet cell, shared by the exports and (read
backwards) by the imports: the text the list shows, related records by their natural key,
and nothing a spreadsheet would run as a formula."""

from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter, itemgetter

from sqlalchemy import Boolean, Date, DateTime, Numeric, inspect
from sqlalchemy.orm import RelationshipProperty

from admin_app import formats
from admin_app.extensions import db
from admin_app.i18n import gettext
from admin_app.models import Category, Customer, Product, Supplier

#: A cell starting with one of these is a formula to Excel and LibreOffice (OWASP "CSV
#: injection"): it is written with a leading apostrophe, which they show as text.
FORMULA_START = frozenset("=+-@\t\r")
#: A related record is written with the key an import finds it by (a customer as its name
#: with the CPF/CNPJ in parentheses, as the panel shows it everywhere).
NATURAL_KEYS = {
    Customer: str,
    Supplier: lambda s: s.cnpj_formatted,
    Category: lambda c: c.name,
    Product: lambda p: p.sku,
}
TEXT, MONEY, NUMBER, DATE, DATETIME = "text", "money", "number", "date", "datetime"


def neutralise(text: str) -> str:
    return "'" + text if text and text[0] in FORMULA_START else text


def yes_no(value) -> str:
    return gettext("Yes") if value else gettext("No")


def column_kind(model, name: str) -> str:
    """What a column holds, for the typed cells of an XLSX file."""
    column = inspect(model).columns.get(name)
    if column is None:
        return TEXT
    kind = column.type
    if isinstance(kind, Numeric):
        return MONEY if kind.scale == 2 else NUMBER
    if isinstance(kind, DateTime):
        return DATETIME
    if isinstance(kind, Date):
        return DATE
    return TEXT


class ColumnWriter:
    """One exported column: `read(row)` takes its value from a row, `write(value)` gives
    the text. Split so an export can run each over a batch of rows with `map` (export.py);
    calling the writer on a row does both."""

    __slots__ = ("read", "write")

    def __init__(self, read, write):
        self.read, self.write = read, write

    def __call__(self, row) -> str:
        return self.write(self.read(row))


def itself(value):
    """The row (or value) as it is: a ColumnWriter's `read` or `write` with nothing to do."""
    return value


def text_writer(view, name: str, read=attrgetter) -> ColumnWriter:
    """This column of a record as the list shows it, as plain text, in the current locale
    (bound once: an export writes a million values). `read(key)` gives the function that
    reads an attribute of one row (`readers`)."""
    formatter = (view.column_formatters_export or {}).get(name)
    kind = getattr(formatter, "kind", None)
    if kind in KIND_WRITERS:
        return ColumnWriter(read(name), _remembering(KIND_WRITERS[kind]()))
    if formatter is not None:
        return ColumnWriter(itself, lambda row: _text(formatter(view, None, row, name)))
    attribute = getattr(view.model, name, None)
    prop = getattr(attribute, "property", None)
    if isinstance(prop, RelationshipProperty):
        key = NATURAL_KEYS.get(prop.mapper.class_, str)
        local = [inspect(view.model).get_property_by_column(c).key for c in prop.local_columns]
        if prop.uselist or len(local) != 1:
            return ColumnWriter(attrgetter(name), lambda record: _related(record, key))
        # The same category or supplier on thousands of rows: written once per key, found
        # by the row's own foreign key, so the related record is loaded only the first time.
        return ColumnWriter(read(local[0]), _RelatedByKey(prop.mapper.class_, key).__getitem__)
    column = inspect(view.model).columns.get(name)
    if column is not None and isinstance(column.type, Boolean):
        words = {True: yes_no(True), False: yes_no(False), None: ""}
        return ColumnWriter(read(name), words.__getitem__)
    if "." not in name:
        return ColumnWriter(read(name), _text)
    return ColumnWriter(lambda row: _value(row, name), _text)


KIND_WRITERS = {"money": formats.money_writer, "number": formats.quantity_writer,
                "date": formats.date_writer, "datetime": formats.datetime_writer}


class _RelatedByKey(dict):
    """foreign key -> the related record's natural key, each record loaded once."""

    def __init__(self, model, key):
        super().__init__({None: ""})
        self.model, self.key = model, key

    def __missing__(self, foreign_key) -> str:
        record = db.session.get(self.model, foreign_key)
        text = self[foreign_key] = "" if record is None else neutralise(self.key(record))
        return text


#: Distinct values a column's writer remembers (a stock of 3, a price of R$ 9,90: the same
#: few thousand values on a million rows, each formatted once).
REMEMBERED = 50_000


class _Remembered(dict):
    """value -> its text, each distinct value written once; past REMEMBERED values the
    new ones are written without being kept (a column of prices hardly repeats)."""

    def __init__(self, write):
        super().__init__({None: ""})
        self.write_value = write

    def __missing__(self, value) -> str:
        text = neutralise(self.write_value(value))
        if len(self) < REMEMBERED:
            self[value] = text
        return text


def _remembering(write):
    """`write`, remembered: a hit is a dictionary look-up done in C (`__getitem__`)."""
    return _Remembered(write).__getitem__


def plain_export(view) -> bool:
    """True when every exported column is a stored column (or a many-to-one written by its
    key) without a formatter of its own: the export then reads plain rows, not mapped
    objects, several times faster (a million products)."""
    mapper = inspect(view.model)
    formatters = view.column_formatters_export or {}
    for name, _label in view._export_columns:
        formatter = formatters.get(name)
        if formatter is not None and getattr(formatter, "kind", None) not in KIND_WRITERS:
            return False
        if name in mapper.column_attrs:
            continue
        rel = mapper.relationships.get(name)
        if rel is None or rel.uselist or len(rel.local_columns) != 1:
            return False
    return True


def _plain_keys(view) -> list[str]:
    """The attributes a plain export reads, in order: the key, each exported column, and
    the foreign key of each exported many-to-one."""
    mapper = inspect(view.model)

    def attribute(column) -> str:
        return mapper.get_property_by_column(column).key
    keys = [attribute(column) for column in mapper.primary_key]
    for name, _label in view._export_columns:
        rel = mapper.relationships.get(name)
        keys += [attribute(c) for c in rel.local_columns] if rel is not None else [name]
    return list(dict.fromkeys(keys))


def plain_columns(view) -> list:
    """The mapped columns a plain export selects."""
    return [getattr(view.model, key) for key in _plain_keys(view)]


def readers(view):
    """key -> the function reading that attribute from one row of this view's export: by
    position from the plain rows `plain_columns` selects (a third of the time of reading
    a million rows by name), by name from mapped objects."""
    if not plain_export(view):
        return attrgetter
    positions = {key: index for index, key in enumerate(_plain_keys(view))}
    return lambda key: itemgetter(positions[key]) if key in positions else attrgetter(key)


def _value(row, dotted: str):
    for part in dotted.split("."):
        row = getattr(row, part, None)
        if row is None:
            return None
    return row


def _text(value) -> str:
    return "" if value is None else neutralise(str(value))


def _related(record, key) -> str:
    if record is None:
        return ""
    if isinstance(record, (list, tuple, set)):  # a collection (a user's roles)
        return neutralise(", ".join(key(item) for item in record))
    return neutralise(key(record))


def display(model, name: str, value) -> str:
    """A field's value as the list shows it (an import preview's old -> new)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, Decimal):
        kind = column_kind(model, name)
        return formats.money(value) if kind == MONEY else formats.quantity(value)
    if isinstance(value, datetime):
        return formats.short_datetime(value)
    if isinstance(value, date):
        return formats.short_date(value)
    if hasattr(type(value), "__table__"):
        return NATURAL_KEYS.get(type(value), str)(value)
    return str(value)
