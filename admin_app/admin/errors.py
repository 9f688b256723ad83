"""Database errors turned into messages a person can act on, in their language."""

import re

from sqlalchemy.exc import IntegrityError

from admin_app.i18n import gettext
from admin_app.i18n import lazy_gettext as _l

# Constraint name suffix (after ck_<table>_) -> message.
CHECK_MESSAGES = {
    "price_non_negative": _l("The price cannot be negative."),
    "cost_non_negative": _l("The cost cannot be negative."),
    "stock_non_negative": _l("The stock cannot go below zero."),
    "min_stock_non_negative": _l("The minimum stock cannot be negative."),
    "discount_non_negative": _l("The discount cannot be negative."),
    "quantity_positive": _l("The quantity must be greater than zero."),
    "quantity_non_negative": _l("The quantity cannot be negative."),
    "balance_non_negative": _l("The stock cannot go below zero."),
    "unit_price_non_negative": _l("The unit price cannot be negative."),
    "amount_positive": _l("The amount must be greater than zero."),
}

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")
_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: (\w+)\.(\w+)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


def _constraint_and_column(exc: IntegrityError) -> tuple[str, str, str | None]:
    """(kind, constraint name, column) from a psycopg or sqlite3 error."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # PostgreSQL
        sqlstate = getattr(orig, "sqlstate", "") or ""
        kind = {"23505": "unique", "23502": "not_null", "23514": "check",
                "23503": "foreign_key"}.get(sqlstate, "other")
        name = diag.constraint_name or ""
        column = diag.column_name
        if kind == "unique" and not column and diag.table_name:
            column = name.removeprefix(f"uq_{diag.table_name}_")
        return kind, name, column
    text = str(orig)
    if m := _SQLITE_UNIQUE.search(text):
        return "unique", f"uq_{m[1]}_{m[2]}", m[2]
    if m := _SQLITE_NOT_NULL.search(text):
        return "not_null", "", m[2]
    if m := _SQLITE_CHECK.search(text):
        return "check", m[1], None
    if "FOREIGN KEY" in text:
        return "foreign_key", "", None
    return "other", "", None


def describe_integrity_error(exc: IntegrityError, labels: dict | None = None) -> str:
    labels = labels or {}
    kind, name, column = _constraint_and_column(exc)
    if kind == "unique":
        field = labels.get(column, column)
        return gettext("Another record already has this %(field)s.", field=field)
    if kind == "not_null":
        return gettext("The field %(field)s is required.", field=labels.get(column, column))
    if kind == "check":
        for suffix, message in sorted(CHECK_MESSAGES.items(), key=lambda kv: -len(kv[0])):
            if name.endswith(suffix):
                return str(message)
        return gettext("A value breaks a rule of the database (%(rule)s).", rule=name)
    if kind == "foreign_key":
        return gettext("This record is referenced by other records, or refers to one "
                       "that no longer exists.")
    return gettext("The database refused the change.")
