"""Order life cycle: which status may follow which, and when items may change."""

from . import BusinessRuleError

DRAFT, CONFIRMED, INVOICED, SHIPPED, DELIVERED, CANCELLED = (
    "rascunho", "confirmado", "faturado", "enviado", "entregue", "cancelado",
)
STATUSES = (DRAFT, CONFIRMED, INVOICED, SHIPPED, DELIVERED, CANCELLED)

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
        raise BusinessRuleError("ORDER_TRANSITION", old=old, new=new)


def check_items_editable(status: str) -> None:
    if status != DRAFT:
        raise BusinessRuleError("ITEMS_NOT_EDITABLE", status=status)
