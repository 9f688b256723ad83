"""How a list writes a record's money, quantities and dates: in the user's locale through
admin_app/formats.py, chosen by the column's type. Each formatter carries its `kind`, so an
export binds the faster writer of that kind (transfer/cells.py)."""

from sqlalchemy import Date, DateTime, Numeric, inspect

from admin_app import formats


def _formatter(write, kind: str):
    """A list formatter writing a column's value with `write` (empty for no value)."""
    def format_cell(view, context, model, name):
        value = getattr(model, name)
        return "" if value is None else write(value)
    format_cell.kind = kind
    return format_cell


_money = _formatter(formats.money, "money")
_number = _formatter(formats.quantity, "number")
_date = _formatter(formats.short_date, "date")
_datetime = _formatter(formats.short_datetime, "datetime")


def automatic_formatters(model) -> dict:
    """Money (scale 2) as R$, quantities as numbers, dates in the user's locale."""
    formatters = {}
    for column in inspect(model).columns:
        if isinstance(column.type, Numeric):
            formatters[column.key] = _money if column.type.scale == 2 else _number
        elif isinstance(column.type, DateTime):
            formatters[column.key] = _datetime
        elif isinstance(column.type, Date):
            formatters[column.key] = _date
    return formatters
