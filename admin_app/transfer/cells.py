"""How one record's field is written in a spreadsheet cell, shared by the exports and (read
backwards) by the imports: the text the list shows, related records by their natural key,
and nothing a spreadsheet would run as a formula."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, Numeric, inspect
from sqlalchemy.orm import RelationshipProperty

from admin_app import formats
from admin_app.i18n import gettext
from admin_app.models import Category, Customer, Product, Supplier

#: A cell starting with one of these is a formula to Excel and LibreOffice (OWASP "CSV
#: injection"): it is written with a leading apostrophe, which they show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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
    return "'" + text if text.startswith(FORMULA_START) else text


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


def text_writer(view, name: str):
    """A function writing this column of a record as the list shows it, as plain text."""
    formatter = (view.column_formatters_export or {}).get(name)
    if formatter is not None:
        return lambda row: _text(formatter(view, None, row, name))
    attribute = getattr(view.model, name, None)
    prop = getattr(attribute, "property", None)
    if isinstance(prop, RelationshipProperty):
        key = NATURAL_KEYS.get(prop.mapper.class_, str)
        return lambda row: _related(getattr(row, name), key)
    column = inspect(view.model).columns.get(name)
    if column is not None and isinstance(column.type, Boolean):
        return lambda row: _boolean(getattr(row, name))
    return lambda row: _text(_value(row, name))


def _value(row, dotted: str):
    for part in dotted.split("."):
        row = getattr(row, part, None)
        if row is None:
            return None
    return row


def _text(value) -> str:
    return "" if value is None else neutralise(str(value))


def _boolean(value) -> str:
    return "" if value is None else yes_no(value)


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
