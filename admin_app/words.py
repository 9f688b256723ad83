"""The business's words: what a broken rule says and how a status or a kind reads, keyed
by the codes rules/, models/ and the screens raise (as Flask-Security-Too keys its
messages). The one place these sentences live; the catalogue translates them."""

from decimal import Decimal

from admin_app.i18n import lazy_gettext as _l
from admin_app.rules import finance, orders, stock

ORDER_STATUS_LABELS = {
    orders.DRAFT: _l("Draft"),
    orders.CONFIRMED: _l("Confirmed"),
    orders.INVOICED: _l("Invoiced"),
    orders.SHIPPED: _l("Shipped"),
    orders.DELIVERED: _l("Delivered"),
    orders.CANCELLED: _l("Cancelled"),
}
MOVEMENT_KIND_LABELS = {stock.IN: _l("Stock in"), stock.OUT: _l("Stock out"),
                        stock.ADJUST: _l("Adjustment (count)")}
ENTRY_KIND_LABELS = {finance.RECEIVABLE: _l("Receivable"), finance.PAYABLE: _l("Payable")}
ENTRY_STATUS_LABELS = {finance.OPEN: _l("Open"), finance.PAID: _l("Paid"),
                       finance.OVERDUE: _l("Overdue")}

RULE_MESSAGES = {
    # documents
    "DOCUMENT_LENGTH": _l("Enter a CPF (11 digits) or a CNPJ (14 digits)."),
    "INVALID_CPF": _l("Invalid CPF: check the digits."),
    "INVALID_CNPJ": _l("Invalid CNPJ: check the digits."),
    # orders
    "ORDER_TRANSITION": _l("An order cannot go from %(old)s to %(new)s."),
    "ITEMS_NOT_EDITABLE": _l("Only a draft order's items can be changed "
                             "(this order is %(status)s)."),
    "ORDER_WITHOUT_ITEMS": _l("An order without items cannot be confirmed."),
    # stock
    "QUANTITY_NOT_POSITIVE": _l("The quantity must be greater than zero."),
    "UNKNOWN_MOVEMENT_KIND": _l("Unknown movement kind: %(kind)s"),
    "INSUFFICIENT_STOCK": _l("Insufficient stock: %(products)s"),
    "MOVEMENT_WITHOUT_PRODUCT": _l("Choose the product of the movement."),
    "MOVEMENT_NOT_DELETABLE": _l("Stock movements cannot be deleted; "
                                 "record an opposite movement instead."),
    "MOVEMENT_NOT_CHANGEABLE": _l("Stock movements cannot be changed once saved."),
    # audit
    "AUDIT_NOT_DELETABLE": _l("Audit entries cannot be deleted."),
    "AUDIT_NOT_CHANGEABLE": _l("Audit entries cannot be changed."),
    # users and roles
    "USER_NEEDS_PASSWORD": _l("A new user needs a password."),
    "LAST_ADMIN_DELETED": _l("The last active administrator cannot be deleted."),
    "LAST_ADMIN_DEMOTED": _l("The last active administrator cannot be deactivated or lose "
                             "the admin role."),
    "BUILTIN_ROLE_DELETED": _l("The built-in roles cannot be deleted."),
}


def _plain(quantity) -> str:
    """5.000 -> 5, 2.500 -> 2.5: quantities as a person writes them."""
    text = f"{Decimal(quantity):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _shortage(name: str, in_stock, needed) -> str:
    return str(_l("%(product)s (in stock %(stock)s, needed %(needed)s)",
                  product=name, stock=_plain(in_stock), needed=_plain(needed)))


def _worded(params: dict) -> dict:
    """Parameters as the sentence shows them: statuses by their label, shortages listed."""
    shown = dict(params)
    for key in ("old", "new", "status"):
        if key in shown:
            shown[key] = ORDER_STATUS_LABELS.get(shown[key], shown[key])
    if "shortages" in shown:
        shown["products"] = "; ".join(_shortage(*s) for s in shown.pop("shortages"))
    return shown


def rule_message(code: str, params: dict) -> str:
    """The sentence for a broken rule, in the user's language (the code if unknown)."""
    message = RULE_MESSAGES.get(code)
    if message is None:
        return code
    return str(message) % _worded(params) if params else str(message)
