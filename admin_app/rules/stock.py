"""Stock movements: how each kind changes a product's stock."""

from decimal import Decimal

from . import BusinessRuleError

IN, OUT, ADJUST = "entrada", "saida", "ajuste"
KINDS = (IN, OUT, ADJUST)


def stock_after(kind: str, current: Decimal, quantity: Decimal) -> Decimal:
    """The stock a movement leaves: in adds, out subtracts, an adjustment sets the
    counted quantity. Never below zero."""
    if quantity is None or quantity < 0 or (kind != ADJUST and quantity == 0):
        raise BusinessRuleError("QUANTITY_NOT_POSITIVE")
    if kind == IN:
        return current + quantity
    if kind == OUT:
        return current - quantity
    if kind == ADJUST:
        return quantity
    raise BusinessRuleError("UNKNOWN_MOVEMENT_KIND", kind=kind)


def check_shortages(shortages: list[tuple[str, Decimal, Decimal]]) -> None:
    """Refuse, naming every product whose stock would go negative."""
    if shortages:
        raise BusinessRuleError("INSUFFICIENT_STOCK", shortages=list(shortages))
