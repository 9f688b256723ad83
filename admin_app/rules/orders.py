"""Order life cycle: which status may follow which, and when items may change."""

from admin_app.i18n import lazy_gettext as _l

from . import BusinessRuleError

DRAFT, CONFIRMED, INVOICED, SHIPPED, DELIVERED, CANCELLED = (
    "rascunho", "confirmado", "faturado", "enviado", "entregue", "cancelado",
)
STATUSES = (DRAFT, CONFIRMED, INVOICED, SHIPPED, DELIVERED, CANCELLED)
STATUS_LABELS = {
    DRAFT: _l("Draft"),
    CONFIRMED: _l("Confirmed"),
    INVOICED: _l("Invoiced"),
    SHIPPED: _l("Shipped"),
    DELIVERED: _l("Delivered"),
    CANCELLED: _l("Cancelled"),
}

# Forward one step at a time; cancelling is allowed until the goods leave.
TRANSITIONS = {
    DRAFT: {CONFIRMED, CANCELLED},
    CONFIRMED: {INVOICED, CANCELLED},
    INVOICED: {SHIPPED, CANCELLED},
    SHIPPED: {DELIVERED},
    DELIVERED: set(),
    CANCELLED: set(),
}

# Statuses in which the order's goods have left stock.
STOCK_OUT = {CONFIRMED, INVOICED, SHIPPED, DELIVERED}


def check_transition(old: str, new: str) -> None:
    if old == new:
        return
    if new not in TRANSITIONS.get(old, set()):
        raise BusinessRuleError(str(_l(
            "An order cannot go from %(old)s to %(new)s.",
            old=STATUS_LABELS.get(old, old), new=STATUS_LABELS.get(new, new),
        )))


def check_items_editable(status: str) -> None:
    if status != DRAFT:
        raise BusinessRuleError(str(_l(
            "Only a draft order's items can be changed (this order is %(status)s).",
            status=STATUS_LABELS.get(status, status),
        )))
