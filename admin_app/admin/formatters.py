"""How a list writes a record's money, quantities and dates: in the user's locale through
admin_app/formats.py, chosen by the column's type. Each formatter carries its `kind`, so an
export binds the faster writer of that kind (transfer/cells.py)."""

from sqlalchemy import Date, DateTime, Numeric, inspect

from admin_app import formats


def _money(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else formats.money(value)


def _number(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else formats.quantity(value)


def _date(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else formats.short_date(value)


def _datetime(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else formats.short_datetime(value)


# What each automatic formatter writes (an export binds a faster writer of that kind).
_money.kind, _number.kind, _date.kind, _datetime.kind = "money", "number", "date", "datetime"


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
