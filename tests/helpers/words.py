"""What the pt_BR interface says, read from the project's catalog: the tests compare the page
with the catalog's wording, so a reworded translation does not break them."""

from decimal import Decimal

from babel.numbers import format_currency
from flask import current_app

from admin_app.i18n import gettext, ngettext


def pt_of(app, msgid, **variables) -> str:
    """A message of the catalog (or a lazy label) as `app`'s Portuguese UI says it."""
    with app.test_request_context("/"):
        if not isinstance(msgid, str):
            return str(msgid)
        return gettext(msgid, **variables)


def pt(msgid, **variables) -> str:
    """`pt_of` the current app (the test's app context)."""
    return pt_of(current_app, msgid, **variables)


def said(msgid: str, **variables) -> str:
    """Like `pt`, for a message the user must get in Portuguese: the catalog translates it."""
    with current_app.test_request_context("/"):
        assert gettext(msgid) != msgid, f"not translated to Portuguese: {msgid!r}"
    return pt(msgid, **variables)


def ptn(singular: str, plural: str, num: int, **variables) -> str:
    with current_app.test_request_context("/"):
        return ngettext(singular, plural, num, **variables)


def brl(value) -> str:
    """Money as the pt_BR UI writes it (R$ 1.234,50), spaces normalised as in `text_of`."""
    return " ".join(format_currency(Decimal(value), "BRL", locale="pt_BR").split())
