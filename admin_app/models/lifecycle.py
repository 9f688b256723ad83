"""Session listeners that apply the business rules to every flush, whoever writes:
a panel screen, a bulk action, the CLI or the demo seeder."""

from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from admin_app.extensions import AppSession
from admin_app.i18n import lazy_gettext as _l
from admin_app.rules import BusinessRuleError
from admin_app.rules import orders as order_rules
from admin_app.rules import stock as stock_rules
from admin_app.writer import current_actor

from .audit import AuditEntry
from .base import utcnow
from .catalog import Product
from .sales import Order, OrderItem
from .stock import StockMovement

CENT = Decimal("0.01")


def _old_value(obj, attr: str):
    """The value `attr` had when loaded, or its current one if unchanged or new."""
    history = inspect(obj).attrs[attr].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, attr)


def _next_order_number(session: Session, year: int, taken: set[str]) -> str:
    prefix = f"{year}-"
    with session.no_autoflush:
        last = session.scalar(select(func.max(Order.number)).where(Order.number.like(prefix + "%")))
    seq = int(last.split("-")[1]) if last else 0
    while True:
        seq += 1
        number = f"{prefix}{seq:06d}"
        if number not in taken:
            return number


def _number_new_orders(session: Session) -> None:
    taken: set[str] = set()
    for obj in session.new:
        if isinstance(obj, Order) and not obj.status:
            obj.status = order_rules.DRAFT
        if isinstance(obj, Order) and not obj.number:
            year = (obj.ordered_at or datetime.now()).year
            obj.number = _next_order_number(session, year, taken)
            taken.add(obj.number)


def _order_after_flush(session: Session, item: OrderItem) -> Order | None:
    """The order `item` will belong to once flushed: a changed relationship wins, then a
    changed foreign key, then the one it has (pending items do not load their order)."""
    state = inspect(item)
    relation = state.attrs.order.history
    if relation.added:
        return relation.added[0]
    key = state.attrs.order_id.history
    if not key.added and item.order is not None:
        return item.order
    return session.get(Order, item.order_id) if item.order_id is not None else None


def _orders_of_item(session: Session, item: OrderItem) -> list[Order]:
    """The orders whose items change with `item`: the one it ends up in (none if deleted)
    and, for a stored item, the one it was stored in."""
    orders = []
    with session.no_autoflush:
        if item not in session.deleted:
            orders.append(_order_after_flush(session, item))
        if inspect(item).has_identity:
            stored_in = _old_value(item, "order_id")
            if stored_in is not None:
                orders.append(session.get(Order, stored_in))
    return list(dict.fromkeys(o for o in orders if o is not None))


def _changed_items(session: Session) -> list[OrderItem]:
    return [o for o in list(session.new) + list(session.dirty) + list(session.deleted)
            if isinstance(o, OrderItem)
            and not (o in session.dirty and not session.is_modified(o))]


def _check_item_changes(session: Session) -> set[Order]:
    """Items may change only while their order is a draft; return the orders touched."""
    touched: set[Order] = set()
    for item in _changed_items(session):
        for order in _orders_of_item(session, item):
            if order in session.deleted:
                continue
            touched.add(order)
            if order in session.new:
                continue
            order_rules.check_items_editable(_old_value(order, "status"))
            # Items belong to the order: changing them is changing the order, so its version
            # moves and a form opened before the change cannot overwrite it.
            order.updated_at = utcnow()
    return touched


def _orders_to_total(session: Session, touched: set[Order]) -> set[Order]:
    """The orders whose items change in this flush, every new order and any order whose
    `items_total` was written directly (it is put back)."""
    orders = set(touched)
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Order) and obj not in session.deleted and (
                obj in session.new or inspect(obj).attrs.items_total.history.has_changes()):
            orders.add(obj)
    return orders


def _stored_items_sums(session: Session, orders: set[Order],
                       changed: list[OrderItem]) -> dict[Order, Decimal]:
    """Per order, the sum of its items as stored, without the ones this flush changes."""
    sums: dict[Order, Decimal] = {order: Decimal(0) for order in orders}
    stored = {order.id: order for order in orders if inspect(order).has_identity}
    if not stored:
        return sums
    query = (select(OrderItem.order_id, OrderItem.quantity, OrderItem.unit_price)
             .where(OrderItem.order_id.in_(list(stored))))
    skip = [item.id for item in changed if inspect(item).has_identity]
    if skip:
        query = query.where(OrderItem.id.not_in(skip))
    with session.no_autoflush:
        for order_id, quantity, unit_price in session.execute(query):
            sums[stored[order_id]] += quantity * unit_price
    return sums


def _update_items_totals(session: Session, touched: set[Order]) -> None:
    """Set `items_total` (centavos, half up) of the orders `_orders_to_total` names: their
    stored items not changed by this flush, read from the database, plus the pending ones,
    from memory. Summed in Python, in Decimal: SQLite would add floats."""
    orders = _orders_to_total(session, touched)
    if not orders:
        return
    changed = _changed_items(session)
    totals = _stored_items_sums(session, orders, changed)
    for item in changed:
        if item in session.deleted:
            continue
        with session.no_autoflush:
            order = _order_after_flush(session, item)
        if order in totals:
            totals[order] += item.subtotal
    for order, total in totals.items():
        total = total.quantize(CENT, ROUND_HALF_UP)
        if order.items_total != total:
            order.items_total = total


def _movements_for_status_changes(session: Session) -> None:
    for order in [o for o in list(session.new) + list(session.dirty) if isinstance(o, Order)]:
        old = order_rules.DRAFT if order in session.new else _old_value(order, "status")
        new = order.status
        if old == new:
            continue
        order_rules.check_transition(old, new)
        if old not in order_rules.STOCK_OUT and new in order_rules.STOCK_OUT:
            _write_order_movements(session, order, stock_rules.OUT)
        elif old in order_rules.STOCK_OUT and new == order_rules.CANCELLED:
            _write_order_movements(session, order, stock_rules.IN)


def _write_order_movements(session: Session, order: Order, kind: str) -> None:
    if kind == stock_rules.OUT and not order.items:
        raise BusinessRuleError("ORDER_WITHOUT_ITEMS")
    needed: dict[int, object] = defaultdict(int)
    products: dict[int, Product] = {}
    with session.no_autoflush:
        for item in order.items:
            product = item.product or session.get(Product, item.product_id)
            products[product.id] = product
            needed[product.id] += item.quantity
    if kind == stock_rules.OUT:
        stock_rules.check_shortages([
            (str(products[pid]), products[pid].stock, qty)
            for pid, qty in needed.items() if products[pid].stock < qty
        ])
    reason = (_l("Order %(number)s confirmed", number=order.number) if kind == stock_rules.OUT
              else _l("Order %(number)s cancelled", number=order.number))
    author_id = current_author_id()
    for pid, qty in needed.items():
        session.add(StockMovement(product=products[pid], kind=kind, quantity=qty,
                                  reason=str(reason), order=order, author_id=author_id))


def current_author_id() -> int | None:
    """The logged-in user writing through the panel; None for the CLI and the seeder."""
    return current_actor()[0]


def _apply_new_movements(session: Session) -> None:
    for movement in [o for o in session.new if isinstance(o, StockMovement)]:
        with session.no_autoflush:
            product = movement.product or session.get(Product, movement.product_id)
        if product is None:
            raise BusinessRuleError("MOVEMENT_WITHOUT_PRODUCT")
        after = stock_rules.stock_after(movement.kind, product.stock or 0, movement.quantity)
        if after < 0:
            stock_rules.check_shortages([(str(product), product.stock, movement.quantity)])
        product.stock = after
        movement.balance_after = after
        if movement.author_id is None and movement.author is None:
            movement.author_id = current_author_id()


def _refuse_immutable_changes(session: Session) -> None:
    """Stock movements and audit entries are written once, never changed or deleted."""
    for obj in session.deleted:
        if isinstance(obj, StockMovement):
            raise BusinessRuleError("MOVEMENT_NOT_DELETABLE")
        if isinstance(obj, AuditEntry):
            raise BusinessRuleError("AUDIT_NOT_DELETABLE")
    for obj in session.dirty:
        if isinstance(obj, StockMovement) and session.is_modified(obj):
            raise BusinessRuleError("MOVEMENT_NOT_CHANGEABLE")
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise BusinessRuleError("AUDIT_NOT_CHANGEABLE")


@event.listens_for(AppSession, "before_flush")
def apply_business_rules(session: Session, flush_context, instances) -> None:
    _refuse_immutable_changes(session)
    _number_new_orders(session)
    _update_items_totals(session, _check_item_changes(session))
    _movements_for_status_changes(session)
    _apply_new_movements(session)
