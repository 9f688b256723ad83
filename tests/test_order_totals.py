"""The order's stored items total (`orders.items_total`) and the dashboard that reads it.

`items_total` is kept by the session rules (admin_app/models/lifecycle.py) on every change of
an item, whoever makes it: the ORM in any of its ways (relationship, foreign key, delete,
orphan), the order form's inline items. Each check compares it with the items summed again
here, from the database. The dashboard's figures are compared with sums computed here from
the rows the test created; the migration that adds the column must back-fill it for orders
that already exist.
"""

import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, select, text

from admin_app import create_app
from admin_app.admin import dashboard
from admin_app.extensions import db
from admin_app.models import AuditEntry, FinancialEntry, Order, OrderItem, Product
from tests.factories import (
    CustomerFactory, FinancialEntryFactory, OrderFactory, OrderItemFactory, ProductFactory,
    StockMovementFactory,
)
from tests.helpers.config import TEST_CONFIG
from tests.helpers.data import fresh
from tests.helpers.forms import landed, read_form, submit
from tests.helpers.pages import alerts, cells, details
from tests.helpers.words import brl, pt

CENT = Decimal("0.01")
BEFORE = "7d3e5b2c9a14"  # the revision before orders.items_total
SOLD = ("confirmado", "faturado", "enviado", "entregue")


def items_sums() -> dict[int, Decimal]:
    """Order id -> the sum of its items as stored, added up here (centavos, half up)."""
    db.session.expire_all()
    sums = {order_id: Decimal(0) for order_id in db.session.scalars(select(Order.id))}
    for order_id, quantity, unit_price in db.session.execute(
            select(OrderItem.order_id, OrderItem.quantity, OrderItem.unit_price)):
        sums[order_id] += quantity * unit_price
    return {k: v.quantize(CENT, ROUND_HALF_UP) for k, v in sums.items()}


def stored_totals() -> dict[int, Decimal]:
    """Order id -> `items_total` as committed, read on a connection of its own."""
    with db.engine.connect() as conn:
        return {i: Decimal(str(t)).quantize(CENT) for i, t in conn.execute(
            text("SELECT id, items_total FROM orders"))}


def assert_totals_right():
    assert stored_totals() == items_sums()


def stocked(sku: str = None, quantity: str = "1000", **kwargs) -> Product:
    product = ProductFactory(**({"sku": sku} if sku else {}), **kwargs)
    if Decimal(quantity):
        StockMovementFactory(product=product, quantity=Decimal(quantity))
    return product


# -- the ORM, every way an item changes -------------------------------------------------------

def test_items_total_follows_every_item_change_through_the_orm(app):
    coffee, sugar = ProductFactory(), ProductFactory()
    order = OrderFactory(discount=Decimal("1.50"))
    assert stored_totals() == {order.id: Decimal("0.00")}

    OrderItemFactory(order=order, product=coffee, quantity=Decimal("3"),
                     unit_price=Decimal("19.90"))
    assert stored_totals()[order.id] == Decimal("59.70")

    order = db.session.get(Order, order.id)
    order.items[0].quantity = Decimal("2")                           # changed quantity
    db.session.commit()
    assert stored_totals()[order.id] == Decimal("39.80")

    order.items[0].unit_price = Decimal("20.00")                     # changed price
    db.session.commit()
    assert stored_totals()[order.id] == Decimal("40.00")

    order.items.append(OrderItem(product=sugar, quantity=Decimal("4"),
                                 unit_price=Decimal("5.25")))        # through the collection
    db.session.commit()
    assert stored_totals()[order.id] == Decimal("61.00")

    db.session.add(OrderItem(order_id=order.id, product_id=sugar.id, quantity=Decimal("1"),
                             unit_price=Decimal("0.99")))            # by foreign key only
    db.session.commit()
    assert stored_totals()[order.id] == Decimal("61.99")

    db.session.delete(db.session.get(Order, order.id).items[0])     # session.delete
    db.session.commit()
    assert stored_totals()[order.id] == Decimal("21.99")

    db.session.get(Order, order.id).items.pop()                      # orphan removed
    db.session.commit()
    assert stored_totals()[order.id] == Decimal("21.00")
    assert_totals_right()

    db.session.expire_all()
    saved = db.session.get(Order, order.id)
    assert (saved.items_total, saved.total) == (Decimal("21.00"), Decimal("19.50"))
    assert db.session.scalar(select(Order.total).where(Order.id == order.id)) == \
        Decimal("19.50")


def test_a_new_order_with_its_items_in_one_flush(app):
    customer, product = CustomerFactory(), ProductFactory()
    order = Order(customer=customer, discount=Decimal("5"), items=[
        OrderItem(product=product, quantity=Decimal("3"), unit_price=Decimal("19.90")),
        OrderItem(product=product, quantity=Decimal("2"), unit_price=Decimal("27.90"))])
    empty = Order(customer=customer)
    db.session.add_all([order, empty])
    db.session.commit()
    assert stored_totals() == {order.id: Decimal("115.50"), empty.id: Decimal("0.00")}
    assert order.total == Decimal("110.50")


def test_an_item_moved_to_another_draft_counts_in_the_new_one_only(app):
    product = ProductFactory()
    first, second = OrderFactory(), OrderFactory()
    item = OrderItemFactory(order=first, product=product, quantity=Decimal("2"),
                            unit_price=Decimal("10.00"))
    OrderItemFactory(order=second, product=product, quantity=Decimal("1"),
                     unit_price=Decimal("1.00"))
    db.session.get(OrderItem, item.id).order = db.session.get(Order, second.id)
    db.session.commit()
    assert stored_totals() == {first.id: Decimal("0.00"), second.id: Decimal("21.00")}

    db.session.get(OrderItem, item.id).order_id = first.id          # back, by foreign key
    db.session.commit()
    assert stored_totals() == {first.id: Decimal("20.00"), second.id: Decimal("1.00")}


def test_fractional_quantities_are_rounded_to_centavos_half_up(app):
    product = ProductFactory(unit="KG")
    order = OrderFactory()
    OrderItemFactory(order=order, product=product, quantity=Decimal("0.333"),
                     unit_price=Decimal("10.01"))                    # 3.33333
    OrderItemFactory(order=order, product=product, quantity=Decimal("0.5"),
                     unit_price=Decimal("0.35"))                     # 0.175
    assert stored_totals()[order.id] == Decimal("3.51")              # 3.50833
    half = OrderFactory()
    OrderItemFactory(order=half, product=product, quantity=Decimal("0.5"),
                     unit_price=Decimal("0.01"))                     # 0.005
    assert stored_totals()[half.id] == Decimal("0.01")
    assert_totals_right()


def test_items_total_written_directly_is_put_back(app):
    order = OrderFactory()
    OrderItemFactory(order=order, quantity=Decimal("2"), unit_price=Decimal("10.00"))
    saved = db.session.get(Order, order.id)
    saved.items_total = Decimal("999.99")
    db.session.commit()
    assert stored_totals()[order.id] == Decimal("20.00")
    wrong = Order(customer=CustomerFactory(), items_total=Decimal("5"))
    db.session.add(wrong)
    db.session.commit()
    assert stored_totals()[wrong.id] == Decimal("0.00")


def test_items_of_a_confirmed_order_stay_and_so_does_its_total(app):
    from admin_app.rules import BusinessRuleError

    product = stocked()
    order = OrderFactory()
    OrderItemFactory(order=order, product=product, quantity=Decimal("2"),
                     unit_price=Decimal("10.00"))
    saved = db.session.get(Order, order.id)
    saved.status = "confirmado"
    db.session.commit()
    db.session.get(Order, order.id).items[0].quantity = Decimal("5")
    with pytest.raises(BusinessRuleError):
        db.session.commit()
    db.session.rollback()
    assert stored_totals()[order.id] == Decimal("20.00")
    assert_totals_right()


def test_deleting_an_order_with_items(app):
    order = OrderFactory()
    OrderItemFactory(order=order)
    db.session.delete(db.session.get(Order, order.id))
    db.session.commit()
    assert stored_totals() == {}


def test_the_total_is_not_audited_as_a_change_of_the_order(app):
    """The items' own entries record an item change; the order gets none for its total
    (nor for its version and updated_at, bookkeeping as before)."""
    order, product = OrderFactory(), ProductFactory()
    created = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "Order")).all()
    assert [e.action for e in created] == ["create"]
    assert "items_total" not in created[0].changes
    before = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    item = OrderItemFactory(order=order, product=product)
    db.session.get(OrderItem, item.id).quantity = Decimal("7")
    db.session.commit()
    written = db.session.scalars(select(AuditEntry).where(AuditEntry.id > before)
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.entity) for e in written] == \
        [("create", "OrderItem"), ("update", "OrderItem")]
    assert stored_totals()[order.id] == Decimal("70.00")


# -- the order form and its inline items -----------------------------------------------------

def test_order_form_items_keep_the_total_and_the_screens_show_it(admin_client):
    customer = CustomerFactory(name="Mariana Alves")
    coffee = ProductFactory(sku="CAF-500")
    rice = ProductFactory(sku="ARR-5")
    sugar = ProductFactory(sku="ACU-5")
    page = landed(admin_client, submit(admin_client, "/admin/order/new/", {
        "customer": str(customer.id), "status": "rascunho", "ordered_at": "2026-03-10 09:30:00",
        "discount": "5,00",
        "items-0-product": str(coffee.id), "items-0-quantity": "3", "items-0-unit_price": "19,90",
        "items-1-product": str(rice.id), "items-1-quantity": "2", "items-1-unit_price": "27,90",
    }))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    [order] = fresh(Order)
    assert stored_totals() == {order.id: Decimal("115.50")}
    assert cells(page, "total") == [brl("110.50")]                   # 115.50 - 5.00
    url = f"/admin/order/edit/?id={order.id}"

    # change a quantity, add an item
    page = landed(admin_client, submit(admin_client, url, {
        "items-0-quantity": "4",
        "items-2-product": str(sugar.id), "items-2-quantity": "1", "items-2-unit_price": "3,75"}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    assert_totals_right()
    assert stored_totals()[order.id] == Decimal("139.15")           # 79.60 + 55.80 + 3.75

    # delete an item (the inline form's "Delete?" box)
    form = read_form(admin_client.get(url))
    rice_row = next(k.split("-")[1] for k, v in form.items()
                    if re.fullmatch(r"items-\d+-product", k) and v == str(rice.id))
    page = landed(admin_client, submit(admin_client, url, {f"del-items-{rice_row}": "y"}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    assert len(fresh(Order)[0].items) == 2
    assert stored_totals()[order.id] == Decimal("83.35")            # 79.60 + 3.75
    assert_totals_right()

    listing = admin_client.get("/admin/order/")
    assert cells(listing, "total") == [brl("78.35")]
    shown = details(admin_client.get(f"/admin/order/details/?id={order.id}"))
    assert shown[pt("Total")] == brl("78.35")
    assert shown[pt("Discount")] == brl("5.00")
    assert "Items Total" not in shown and "items_total" not in shown   # not shown as a field

    # saving the form untouched changes nothing, and writes no audit entry
    before = len(fresh(AuditEntry))
    page = landed(admin_client, submit(admin_client, url, {}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    assert stored_totals()[order.id] == Decimal("83.35")
    assert len(fresh(AuditEntry)) == before


# -- the dashboard against sums computed here ------------------------------------------------

def _month_start(day: date, back: int = 0) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def _walk(order_id: int, *statuses: str) -> None:
    for status in statuses:
        db.session.get(Order, order_id).status = status
        db.session.commit()


def _order(product, when: datetime, lines, discount="0", statuses=()):
    order = OrderFactory(ordered_at=when, discount=Decimal(discount))
    for quantity, price in lines:
        OrderItemFactory(order=order, product=product, quantity=Decimal(quantity),
                         unit_price=Decimal(price))
    _walk(order.id, *statuses)
    return order.id


@pytest.fixture()
def business(app):
    """Orders over 14 months in every status, open and paid entries, stock below minimum."""
    today = datetime.now().date()
    this_month = datetime.combine(_month_start(today), time(10, 0))
    product = stocked(quantity="100000", min_stock=Decimal("0"))
    _order(product, this_month, [("3", "19.90"), ("2", "27.90")], "5.00", ("confirmado",))
    _order(product, this_month + timedelta(hours=1), [("1", "100.00")], "0",
           ("confirmado", "faturado", "enviado", "entregue"))
    _order(product, this_month, [("7", "1.00")])                                   # draft
    _order(product, this_month, [("2", "50.00")], "0", ("cancelado",))
    for back, lines, discount, statuses in (
            (1, [("1", "10.00"), ("4", "2.50")], "1.00", ("confirmado", "faturado")),
            (1, [("2", "33.33")], "0", ("confirmado", "faturado", "enviado")),
            (3, [("5", "12.00")], "2.00", ("confirmado", "cancelado")),
            (6, [("10", "9.99")], "0", ("confirmado", "faturado", "enviado", "entregue")),
            (11, [("1", "1234.56")], "34.56", ("confirmado",)),
            (12, [("1", "500.00")], "0", ("confirmado",)),                      # too old
            (13, [("1", "700.00")], "0", ("confirmado",))):
        when = datetime.combine(_month_start(today, back), time(12, 0))
        _order(product, when, lines, discount, statuses)
    low = stocked(quantity="2", min_stock=Decimal("5"))
    stocked(quantity="0", min_stock=Decimal("1"))
    stocked(quantity="5", min_stock=Decimal("5"))                                # at minimum
    assert low.stock == Decimal("2")
    for kind in ("receber", "pagar"):
        for days, amount, paid in ((-40, "10.00", None), (-3, "20.00", None), (-3, "40.00", -3),
                                   (0, "80.00", None), (7, "160.00", None), (8, "320.00", None),
                                   (30, "640.00", None), (90, "1280.00", None)):
            FinancialEntryFactory(kind=kind, amount=Decimal(amount),
                                  due_date=today + timedelta(days=days),
                                  paid_at=None if paid is None else today + timedelta(days=paid))
    return today


def _expected_sales(today: date) -> dict[date, Decimal]:
    """Month -> sales (items - discount of the sold orders), from the rows, here."""
    db.session.expire_all()
    sums = {}
    for order in db.session.scalars(select(Order)):
        if order.status not in SOLD:
            continue
        month = _month_start(order.ordered_at.date())
        value = sum((i.quantity * i.unit_price for i in order.items), Decimal(0)) - order.discount
        sums[month] = sums.get(month, Decimal(0)) + value
    return sums


def test_dashboard_figures_match_sums_computed_here(business, app):
    today = business
    sales = _expected_sales(today)
    entries = db.session.scalars(select(FinancialEntry)).all()
    with app.test_request_context("/admin/"):
        months = dashboard.monthly_sales(today)
        cards = {c["id"]: c for c in dashboard.business_cards(today)}
        weeks = dashboard.weekly_cash_flow(today)

    first = _month_start(today, 11)
    assert [m for m, _ in months] == [_month_start(today, 11 - i) for i in range(12)]
    assert dict(months) == {m: sales.get(m, Decimal(0)) for m, _ in months}
    assert sum(v for m, v in sales.items() if m < first) == Decimal("1200.00")  # left out
    assert months[-1][1] == Decimal("210.50")         # 59.70 + 55.80 - 5.00 + 100.00

    db.session.expire_all()
    orders = db.session.scalars(select(Order)).all()
    assert cards["open-orders"]["value"] == sum(
        o.status in ("rascunho", "confirmado", "faturado", "enviado") for o in orders)
    assert cards["sales-month"]["value"] == format_brl(sales[_month_start(today)])
    assert cards["below-minimum"]["value"] == 2

    week_end = today + timedelta(days=7)
    for kind in ("receber", "pagar"):
        open_ = [e for e in entries if e.kind == kind and e.paid_at is None]
        due = [e.amount for e in open_ if today <= e.due_date <= week_end]
        late = [e.amount for e in open_ if e.due_date < today]
        assert (cards[f"{kind}-due"]["detail"], cards[f"{kind}-due"]["value"]) == \
            (len(due), format_brl(sum(due)))
        assert (cards[f"{kind}-overdue"]["detail"], cards[f"{kind}-overdue"]["value"]) == \
            (len(late), format_brl(sum(late)))

    start = today - timedelta(days=today.weekday())
    expected = [[start + timedelta(weeks=i), Decimal(0), Decimal(0)] for i in range(8)]
    for e in entries:
        if e.paid_at is None and e.due_date < start + timedelta(weeks=8):
            index = max(0, (e.due_date - start).days // 7)
            expected[index][1 if e.kind == "receber" else 2] += e.amount
    assert [tuple(w) for w in weeks] == [tuple(w) for w in expected]


def format_brl(value) -> str:
    from flask import current_app
    from flask_babel import format_currency

    with current_app.test_request_context("/"):
        return format_currency(Decimal(value), "BRL")


def test_dashboard_page_shows_the_figures(business, admin_client):
    today = business
    sales = _expected_sales(today)
    page = admin_client.get("/admin/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    card = re.search(r'id="card-sales-month".*?class="card-figure[^"]*">(.*?)</div>', body, re.S)
    assert " ".join(card[1].split()) == brl(sales[_month_start(today)])
    assert re.search(r'id="card-below-minimum".*?class="card-figure[^"]*">\s*2\s*</div>',
                     body, re.S)
    assert body.count("<svg") >= 2


# -- the migration back-fills the orders already there ---------------------------------------

def test_migration_backfills_items_total_of_existing_orders(backend, make_database):
    url = make_database(backend)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    lines = {  # order id -> (quantity, unit price) of its items; 3 has none
        1: [("3", "19.90"), ("2", "27.90")],
        2: [("0.333", "10.01"), ("0.5", "0.35")],
        3: [],
        4: [("0.5", "0.01")],
        5: [("1000", "1999.99"), ("0.001", "0.01")],
    }
    with app.app_context():
        upgrade(revision=BEFORE)
        tables = MetaData()
        tables.reflect(db.engine, only=("categories", "customers", "products", "orders",
                                        "order_items"))
        with db.engine.begin() as conn:
            conn.execute(tables.tables["categories"].insert(), {"id": 1, "name": "Geral"})
            conn.execute(tables.tables["customers"].insert(),
                         {"id": 1, "document": "52998224725", "name": "Ana", "active": True})
            conn.execute(tables.tables["products"].insert(), {
                "id": 1, "sku": "P1", "name": "Produto", "category_id": 1, "unit": "UN",
                "price": 1, "cost": 1, "stock": 0, "min_stock": 0, "active": True})
            conn.execute(tables.tables["orders"].insert(), [
                {"id": order_id, "number": f"2026-{order_id:06d}", "customer_id": 1,
                 "status": "rascunho", "ordered_at": datetime(2026, 3, order_id, 10, 0),
                 "discount": Decimal(1)} for order_id in lines])
            conn.execute(tables.tables["order_items"].insert(), [
                {"order_id": order_id, "product_id": 1, "quantity": Decimal(quantity),
                 "unit_price": Decimal(price)}
                for order_id, items in lines.items() for quantity, price in items])
        upgrade()

        expected = {order_id: sum((Decimal(q) * Decimal(p) for q, p in items), Decimal(0))
                    .quantize(CENT, ROUND_HALF_UP) for order_id, items in lines.items()}
        assert expected[2] == Decimal("3.51") and expected[4] == Decimal("0.01")
        assert stored_totals() == expected
        assert items_sums() == expected
        assert {o.id: o.total for o in db.session.scalars(select(Order))} == \
            {k: v - 1 for k, v in expected.items()}
        names = {i["name"] for i in inspect(db.engine).get_indexes("orders")}
        assert "ix_orders_status_ordered_at_items_total_discount" in names
        if backend == "sqlite":
            assert search_triggers() == ["search_orders_ad", "search_orders_ai",
                                         "search_orders_au"]

        db.session.remove()
        downgrade(revision=BEFORE)
        columns = {c["name"] for c in inspect(db.engine).get_columns("orders")}
        assert "items_total" not in columns
        if backend == "sqlite":
            assert search_triggers() == ["search_orders_ad", "search_orders_ai",
                                         "search_orders_au"]
        upgrade()
        assert stored_totals() == expected
        db.session.remove()
        db.engine.dispose()


def search_triggers() -> list[str]:
    with db.engine.connect() as conn:
        return sorted(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'orders'"))
            .scalars())
