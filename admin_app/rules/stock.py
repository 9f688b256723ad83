"""Stock movements: how each kind changes a product's stock."""

from decimal import Decimal

from admin_app.i18n import lazy_gettext as _l

from . import BusinessRuleError

IN, OUT, ADJUST = "entrada", "saida", "ajuste"
KINDS = (IN, OUT, ADJUST)
KIND_LABELS = {IN: _l("Stock in"), OUT: _l("Stock out"), ADJUST: _l("Adjustment (count)")}


def stock_after(kind: str, current: Decimal, quantity: Decimal) -> Decimal:
    """The stock a movement leaves: in adds, out subtracts, an adjustment sets the
    counted quantity. Never below zero."""
    if quantity is None or quantity < 0 or (kind != ADJUST and quantity == 0):
        raise BusinessRuleError(str(_l("The quantity must be greater than zero.")))
    if kind == IN:
        return current + quantity
    if kind == OUT:
        return current - quantity
    if kind == ADJUST:
        return quantity
    raise BusinessRuleError(str(_l("Unknown movement kind: %(kind)s", kind=kind)))


def _plain(quantity) -> str:
    """5.000 -> 5, 2.500 -> 2.5: quantities as a person writes them."""
    text = f"{Decimal(quantity):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def check_shortages(shortages: list[tuple[str, Decimal, Decimal]]) -> None:
    """Refuse, naming every product whose stock would go negative."""
    if shortages:
        names = "; ".join(
            str(_l("%(product)s (in stock %(stock)s, needed %(needed)s)",
                   product=name, stock=_plain(stock), needed=_plain(needed)))
            for name, stock, needed in shortages
        )
        raise BusinessRuleError(str(_l("Insufficient stock: %(products)s", products=names)))
