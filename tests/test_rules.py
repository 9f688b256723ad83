"""Business rules at the model level: whoever writes through db.session (a screen, the CLI, the
seeder) gets them; the database's CHECK constraints hold even when the ORM is bypassed."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from admin_app.extensions import db
from admin_app.models import (
    Customer, FinancialEntry, Order, OrderItem, Product, StockMovement, Supplier,
)
from admin_app.rules import BusinessRuleError
from admin_app.rules import finance as finance_rules
from admin_app.rules import stock as stock_rules
from admin_app.rules.documents import clean_cnpj, clean_document, format_document
from admin_app.words import ORDER_STATUS_LABELS as STATUS_LABELS
from tests.factories import (
    CategoryFactory, CustomerFactory, FinancialEntryFactory, OrderFactory, OrderItemFactory,
    ProductFactory, StockMovementFactory, SupplierFactory,
)
from tests.helpers.data import snapshot
from tests.helpers.forms import landed
from tests.helpers.pages import alerts
from tests.helpers.words import pt, said

VALID_CPF = "52998224725"
VALID_CNPJ = "11222333000181"


@pytest.fixture()
def app_context(_session_app):
    """The session's app, for rules that touch no table (no need to empty them first)."""
    with _session_app.app_context():
        yield _session_app


def stocked(sku: str, quantity, **kwargs) -> Product:
    product = ProductFactory(sku=sku, name=kwargs.pop("name", f"Produto {sku}"), **kwargs)
    if Decimal(quantity):
        StockMovementFactory(product=product, kind="entrada", quantity=Decimal(quantity))
    return product


def draft(*lines) -> Order:
    """A draft order with one item per (product, quantity[, unit price])."""
    order = OrderFactory()
    for product, quantity, *price in lines:
        OrderItemFactory(order=order, product=product, quantity=Decimal(quantity),
                         unit_price=Decimal(price[0]) if price else Decimal("10.00"))
    db.session.expire_all()
    return db.session.get(Order, order.id)


def stock_of(*products) -> list[Decimal]:
    db.session.expire_all()
    return [db.session.get(Product, p.id).stock for p in products]


def set_status(order: Order, status: str) -> None:
    """Change the status of the order as loaded now (as the screen does: it loads the record,
    then applies the form) and commit."""
    db.session.refresh(order)
    order.status = status
    db.session.commit()


def movements(**where) -> list[tuple]:
    db.session.expire_all()
    query = select(StockMovement).filter_by(**where).order_by(StockMovement.id)
    return [(m.product.sku, m.kind, m.quantity, m.balance_after, m.order_id)
            for m in db.session.scalars(query)]


def refused(change, match=None) -> BusinessRuleError:
    """Apply `change` and commit: the rule must refuse it; the session is rolled back."""
    with pytest.raises(BusinessRuleError, match=match) as caught:
        change()
        db.session.commit()
    db.session.rollback()
    return caught.value


# -- the messages table ---------------------------------------------------------------------------

def test_every_rule_code_raised_has_its_words():
    """A code raised anywhere in admin_app is worded by admin_app/words.py, in both languages."""
    import pathlib

    from admin_app.words import RULE_MESSAGES

    source = "\n".join(p.read_text() for p in pathlib.Path("admin_app").rglob("*.py"))
    raised = set(re.findall(r'BusinessRuleError\(\s*"([A-Z_]+)"', source))
    raised |= set(re.findall(r'code = \w+, "([A-Z_]+)"', source))
    assert raised and raised <= set(RULE_MESSAGES), raised - set(RULE_MESSAGES)


def test_a_rule_error_reads_in_the_users_language(app_context):
    with pytest.raises(BusinessRuleError) as caught:
        stock_rules.check_shortages([("Caneta", Decimal("2.000"), Decimal("5"))])
    assert caught.value.code == "INSUFFICIENT_STOCK"
    assert str(caught.value) == said("Insufficient stock: %(products)s", products=said(
        "%(product)s (in stock %(stock)s, needed %(needed)s)",
        product="Caneta", stock="2", needed="5"))


# -- CPF / CNPJ ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("529.982.247-25", VALID_CPF),
    ("52998224725", VALID_CPF),
    (" 529 982 247 25 ", VALID_CPF),
    ("11.222.333/0001-81", VALID_CNPJ),
    ("11222333000181", VALID_CNPJ),
])
def test_valid_documents_are_stored_digits_only(app, typed, stored):
    assert clean_document(typed) == stored
    customer = CustomerFactory(document=typed)
    db.session.expire_all()
    assert db.session.scalar(select(Customer.document).where(Customer.id == customer.id)) == stored


@pytest.mark.parametrize("typed, message", [
    ("529.982.247-24", "Invalid CPF: check the digits."),
    ("000.000.000-00", "Invalid CPF: check the digits."),
    ("11.222.333/0001-82", "Invalid CNPJ: check the digits."),
    ("00.000.000/0000-00", "Invalid CNPJ: check the digits."),
    ("5299822472", "Enter a CPF (11 digits) or a CNPJ (14 digits)."),
    ("529982247251", "Enter a CPF (11 digits) or a CNPJ (14 digits)."),
    ("", "Enter a CPF (11 digits) or a CNPJ (14 digits)."),
    (None, "Enter a CPF (11 digits) or a CNPJ (14 digits)."),
])
def test_invalid_documents_are_refused(app_context, typed, message):
    with pytest.raises(BusinessRuleError) as caught:
        clean_document(typed)
    assert str(caught.value) == said(message)
    with pytest.raises(BusinessRuleError):
        Customer(name="Inválido", document=typed)


@pytest.mark.parametrize("typed", ["111.111.111-11", "999.999.999-99"])
def test_cpf_of_one_repeated_digit_is_refused(app_context, typed):
    with pytest.raises(BusinessRuleError):
        clean_document(typed)


def test_document_formatting(app):
    assert format_document(VALID_CPF) == "529.982.247-25"
    assert format_document(VALID_CNPJ) == "11.222.333/0001-81"
    assert format_document(None) == ""
    assert format_document("123") == "123"
    person = CustomerFactory(document=VALID_CPF)
    company = CustomerFactory(document=VALID_CNPJ)
    assert (person.document_formatted, person.is_company) == ("529.982.247-25", False)
    assert (company.document_formatted, company.is_company) == ("11.222.333/0001-81", True)
    assert str(person).endswith("(529.982.247-25)")


def test_supplier_takes_a_cnpj_only(app):
    supplier = SupplierFactory(cnpj="11.222.333/0001-81")
    assert supplier.cnpj == VALID_CNPJ
    assert supplier.cnpj_formatted == "11.222.333/0001-81"
    assert clean_cnpj("11222333000181") == VALID_CNPJ
    for typed in (VALID_CPF, "11.222.333/0001-80", "", None):
        with pytest.raises(BusinessRuleError) as caught:
            Supplier(legal_name="X", cnpj=typed)
        assert str(caught.value) == said("Invalid CNPJ: check the digits.")


def test_same_document_typed_differently_is_still_a_duplicate(app):
    CustomerFactory(document="529.982.247-25")
    db.session.add(Customer(name="Outra", document="52998224725"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Customer.id))) == 1


# -- order numbers and totals -------------------------------------------------------------------

def test_order_number_is_year_and_a_six_digit_sequence(app):
    year = datetime.now().year
    first, second = OrderFactory(), OrderFactory()
    assert re.fullmatch(r"\d{4}-\d{6}", first.number)
    assert (first.number, second.number) == (f"{year}-000001", f"{year}-000002")
    assert first.status == "rascunho"


def test_order_number_follows_the_order_year_and_the_highest_number(app):
    old = OrderFactory(ordered_at=datetime(2025, 12, 31, 23, 0))
    assert old.number == "2025-000001"
    OrderFactory(ordered_at=datetime(2026, 1, 1, 8, 0), number="2026-000041")
    assert OrderFactory(ordered_at=datetime(2026, 1, 2)).number == "2026-000042"
    assert OrderFactory(ordered_at=datetime(2025, 6, 1)).number == "2025-000002"


def test_orders_saved_in_one_flush_get_distinct_numbers(app):
    customer = CustomerFactory()
    orders = [Order(customer=customer, ordered_at=datetime(2026, 5, 1)) for _ in range(3)]
    db.session.add_all(orders)
    db.session.commit()
    assert sorted(o.number for o in orders) == ["2026-000001", "2026-000002", "2026-000003"]


def test_order_total_is_items_minus_discount(app):
    a, b = ProductFactory(), ProductFactory()
    order = draft((a, "2", "10.00"), (b, "3", "5.50"), (a, "0.5", "19.90"))
    assert order.total == Decimal("46.45")           # 20.00 + 16.50 + 9.95
    order.discount = Decimal("6.45")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Order, order.id).total == Decimal("40.00")
    assert db.session.scalar(select(Order.total).where(Order.id == order.id)) == Decimal("40.00")
    empty = OrderFactory()
    db.session.expire_all()
    assert db.session.get(Order, empty.id).total == Decimal("0")


# -- order life cycle and stock -----------------------------------------------------------------

def test_confirming_a_draft_writes_one_stock_out_per_product(app):
    coffee, sugar = stocked("CAF", "10"), stocked("ACU", "5")
    order = draft((coffee, "3"), (sugar, "2"), (coffee, "1"))
    order.status = "confirmado"
    db.session.commit()

    assert stock_of(coffee, sugar) == [Decimal("6"), Decimal("3")]
    assert movements(kind="saida") == [
        ("CAF", "saida", Decimal("4"), Decimal("6"), order.id),
        ("ACU", "saida", Decimal("2"), Decimal("3"), order.id),
    ]
    reasons = {m.reason for m in db.session.scalars(select(StockMovement).filter_by(kind="saida"))}
    assert reasons == {pt("Order %(number)s confirmed", number=order.number)} \
        or all(order.number in r for r in reasons)


def test_moving_forward_after_confirmation_moves_no_more_stock(app):
    coffee = stocked("CAF", "10")
    order = draft((coffee, "3"))
    for status in ("confirmado", "faturado", "enviado", "entregue"):
        set_status(order, status)
    assert db.session.get(Order, order.id).status == "entregue"
    assert stock_of(coffee) == [Decimal("7")]
    assert len(movements(kind="saida")) == 1


def test_confirming_with_short_stock_names_the_products_and_changes_nothing(app):
    coffee = stocked("CAF", "2", name="Café")
    sugar = stocked("ACU", "0", name="Açúcar")
    rice = stocked("ARR", "100", name="Arroz")
    order = draft((coffee, "3"), (sugar, "1"), (rice, "1"))
    before = snapshot()

    def confirm():
        order.status = "confirmado"

    error = refused(confirm)
    message = str(error)
    assert "CAF — Café" in message and "ACU — Açúcar" in message
    assert "ARR" not in message
    assert message.startswith(said("Insufficient stock: %(products)s", products="").strip())
    assert snapshot() == before
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "rascunho"


def test_confirming_an_order_without_items_is_refused(app):
    order = OrderFactory()
    db.session.refresh(order)

    def confirm():
        order.status = "confirmado"

    assert str(refused(confirm)) == said("An order without items cannot be confirmed.")


def test_cancelling_a_confirmed_order_restores_the_stock(app):
    coffee, sugar = stocked("CAF", "10"), stocked("ACU", "5")
    order = draft((coffee, "3"), (sugar, "5"))
    set_status(order, "confirmado")
    set_status(order, "faturado")
    assert stock_of(coffee, sugar) == [Decimal("7"), Decimal("0")]

    set_status(order, "cancelado")
    assert stock_of(coffee, sugar) == [Decimal("10"), Decimal("5")]
    assert movements(kind="entrada", order_id=order.id) == [
        ("CAF", "entrada", Decimal("3"), Decimal("10"), order.id),
        ("ACU", "entrada", Decimal("5"), Decimal("5"), order.id),
    ]


def test_cancelling_a_draft_moves_no_stock(app):
    coffee = stocked("CAF", "10")
    order = draft((coffee, "3"))
    set_status(order, "cancelado")
    assert stock_of(coffee) == [Decimal("10")]
    assert movements(order_id=order.id) == []


def test_status_changes_on_an_instance_used_across_commits_still_follow_the_rules(app):
    coffee = stocked("CAF", "10")
    order = draft((coffee, "3"))
    order.status = "confirmado"
    db.session.commit()
    order.status = "faturado"
    db.session.commit()
    order.status = "cancelado"          # the same object, as a script or bulk action would use it
    db.session.commit()
    assert stock_of(coffee) == [Decimal("10")]
    assert len(movements(kind="entrada", order_id=order.id)) == 1


def test_a_just_saved_order_cannot_jump_the_life_cycle(app):
    order = OrderFactory()              # committed by the factory: its attributes are expired

    def skip_ahead():
        order.status = "entregue"

    refused(skip_ahead)


def test_a_just_saved_order_is_not_confirmed_without_its_stock_movement(app):
    coffee = stocked("CAF", "1")
    order = OrderFactory()
    OrderItemFactory(order=order, product=coffee, quantity=Decimal("5"))

    def confirm():
        order.status = "confirmado"     # 5 wanted, 1 in stock

    refused(confirm)
    assert stock_of(coffee) == [Decimal("1")]


@pytest.mark.parametrize("path, refused_status", [
    ((), "faturado"),                                  # draft -> invoiced skips confirmation
    ((), "entregue"),
    (("confirmado",), "rascunho"),                     # no way back
    (("confirmado",), "enviado"),
    (("confirmado", "faturado", "enviado"), "cancelado"),   # goods already left
    (("confirmado", "faturado", "enviado", "entregue"), "cancelado"),
    (("cancelado",), "confirmado"),
    (("cancelado",), "rascunho"),
])
def test_invalid_transitions_are_refused(app, path, refused_status):
    coffee = stocked("CAF", "10")
    order = draft((coffee, "3"))
    for status in path:
        set_status(order, status)
    db.session.refresh(order)
    old = order.status
    before = snapshot()

    def change():
        order.status = refused_status

    error = refused(change)
    assert str(error) == said("An order cannot go from %(old)s to %(new)s.",
                              old=pt(STATUS_LABELS[old]), new=pt(STATUS_LABELS[refused_status]))
    assert snapshot() == before


def test_an_order_cannot_be_created_past_the_draft_step(app):
    customer = CustomerFactory()

    def create():
        db.session.add(Order(customer=customer, status="faturado"))

    refused(create)
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_items_of_a_confirmed_order_cannot_be_edited(app):
    coffee, sugar = stocked("CAF", "10"), stocked("ACU", "10")
    order = draft((coffee, "3"), (sugar, "1"))
    set_status(order, "confirmado")
    before = snapshot()
    message = said("Only a draft order's items can be changed (this order is %(status)s).",
                   status=pt("Confirmed"))

    def change_quantity():
        db.session.get(Order, order.id).items[0].quantity = Decimal("5")

    def change_price():
        db.session.get(Order, order.id).items[0].unit_price = Decimal("0.01")

    def add_item():
        db.session.get(Order, order.id).items.append(
            OrderItem(product=sugar, quantity=Decimal("1"), unit_price=Decimal("1")))

    def add_item_by_id():
        db.session.add(OrderItem(order_id=order.id, product_id=sugar.id,
                                 quantity=Decimal("1"), unit_price=Decimal("1")))

    def remove_item():
        db.session.get(Order, order.id).items.pop()

    def delete_item():
        db.session.delete(db.session.get(Order, order.id).items[0])

    for change in (change_quantity, change_price, add_item, add_item_by_id, remove_item,
                   delete_item):
        assert str(refused(change)) == message, change.__name__
        assert snapshot() == before, change.__name__

    # what is not an item may still change
    db.session.get(Order, order.id).notes = "Entregar à tarde"
    db.session.commit()


def test_items_of_a_draft_can_be_edited_freely(app):
    coffee, sugar = stocked("CAF", "10"), stocked("ACU", "10")
    order = draft((coffee, "3"))
    order.items[0].quantity = Decimal("4")
    order.items.append(OrderItem(product=sugar, quantity=Decimal("2"), unit_price=Decimal("3")))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Order, order.id).total == Decimal("46.00")


# -- stock movements ----------------------------------------------------------------------------

def test_stock_in_out_and_adjustment(app):
    nail = ProductFactory(sku="PRG")
    for kind, quantity, expected in (("entrada", "10", "10"), ("saida", "4", "6"),
                                     ("entrada", "0.5", "6.5"), ("ajuste", "3", "3"),
                                     ("ajuste", "0", "0"), ("entrada", "2", "2")):
        db.session.add(StockMovement(product=nail, kind=kind, quantity=Decimal(quantity)))
        db.session.commit()
        assert stock_of(nail) == [Decimal(expected)], (kind, quantity)
    assert [m[3] for m in movements()] == [Decimal(v) for v in ("10", "6", "6.5", "3", "0", "2")]


def test_stock_out_beyond_the_stock_is_refused(app):
    nail = stocked("PRG", "5", name="Prego")
    before = snapshot()

    def take():
        db.session.add(StockMovement(product=nail, kind="saida", quantity=Decimal("5.001")))

    message = str(refused(take))
    assert "PRG — Prego" in message
    assert snapshot() == before
    db.session.add(StockMovement(product=nail, kind="saida", quantity=Decimal("5")))
    db.session.commit()
    assert stock_of(nail) == [Decimal("0")]


@pytest.mark.parametrize("kind, quantity", [("entrada", "0"), ("saida", "0"), ("entrada", "-1"),
                                            ("ajuste", "-1")])
def test_movement_quantity_must_be_positive(app, kind, quantity):
    nail = stocked("PRG", "5")
    before = snapshot()

    def move():
        db.session.add(StockMovement(product=nail, kind=kind, quantity=Decimal(quantity)))

    assert str(refused(move)) == said("The quantity must be greater than zero.")
    assert snapshot() == before


def test_movements_cannot_be_changed_or_deleted(app):
    nail = stocked("PRG", "5")
    [movement] = db.session.scalars(select(StockMovement)).all()
    before = snapshot()

    def change():
        movement.quantity = Decimal("50")

    def change_reason():
        movement.reason = "Outra coisa"

    def delete():
        db.session.delete(movement)

    assert str(refused(change)) == said("Stock movements cannot be changed once saved.")
    assert str(refused(change_reason)) == said("Stock movements cannot be changed once saved.")
    assert str(refused(delete)) == said("Stock movements cannot be deleted; record an opposite "
                                        "movement instead.")
    assert snapshot() == before
    assert stock_of(nail) == [Decimal("5")]


# -- financial entries --------------------------------------------------------------------------

def test_financial_status_in_python(app):
    today = date.today()
    assert finance_rules.entry_status(today - timedelta(days=1), None) == "vencido"
    assert finance_rules.entry_status(today, None) == "aberto"
    assert finance_rules.entry_status(today + timedelta(days=1), None) == "aberto"
    assert finance_rules.entry_status(today - timedelta(days=30), today) == "pago"
    assert finance_rules.entry_status(date(2026, 1, 10), None, today=date(2026, 1, 11)) == \
        "vencido"
    assert FinancialEntryFactory(due_date=today - timedelta(days=3)).status == "vencido"
    assert FinancialEntryFactory(due_date=today + timedelta(days=3)).status == "aberto"
    paid = FinancialEntryFactory(due_date=today - timedelta(days=3), paid_at=today)
    assert (paid.status, paid.status_label) == ("pago", pt("Paid"))


def test_financial_status_as_a_sql_filter(app):
    today = date.today()
    entries = {
        "late": FinancialEntryFactory(description="late", due_date=today - timedelta(days=5)),
        "today": FinancialEntryFactory(description="today", due_date=today),
        "future": FinancialEntryFactory(description="future", due_date=today + timedelta(days=5)),
        "paid_late": FinancialEntryFactory(description="paid_late",
                                           due_date=today - timedelta(days=5),
                                           paid_at=today - timedelta(days=1)),
        "paid_early": FinancialEntryFactory(description="paid_early",
                                            due_date=today + timedelta(days=5), paid_at=today),
    }

    def where(status):
        query = select(FinancialEntry.description).where(FinancialEntry.status == status)
        return sorted(db.session.scalars(query))

    assert where("vencido") == ["late"]
    assert where("aberto") == ["future", "today"]
    assert where("pago") == ["paid_early", "paid_late"]
    # the SQL expression and the Python property agree on every row
    db.session.expire_all()
    rows = db.session.execute(select(FinancialEntry, FinancialEntry.status.label("sql"))).all()
    assert {e.description: (e.status, sql) for e, sql in rows} == {
        name: (entry.status, entry.status) for name, entry in entries.items()}


def test_mark_paid_action_changes_only_unpaid_entries(admin_client):
    today = date.today()
    late = FinancialEntryFactory(description="Atrasado", due_date=today - timedelta(days=3))
    open_ = FinancialEntryFactory(description="Em aberto", due_date=today + timedelta(days=3))
    paid = FinancialEntryFactory(description="Já pago", paid_at=date(2026, 1, 5))
    FinancialEntryFactory(description="Não selecionado")
    listing = admin_client.get("/admin/financialentry/").get_data(as_text=True)
    assert 'value="mark_paid"' in listing or "mark_paid" in listing
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]

    response = admin_client.post("/admin/financialentry/action/", data={
        "action": "mark_paid", "rowid": [str(late.id), str(open_.id), str(paid.id)],
        "url": "/admin/financialentry/", "csrf_token": token})
    page = landed(admin_client, response)
    from admin_app.i18n import ngettext
    from flask import current_app
    with current_app.test_request_context("/"):
        expected = ngettext("%(num)s entry marked as paid.", "%(num)s entries marked as paid.", 2)
    assert ("success", expected) in alerts(page)

    db.session.expire_all()
    state = {e.description: (e.paid_at, e.status, e.version)
             for e in db.session.scalars(select(FinancialEntry))}
    assert state == {
        "Atrasado": (today, "pago", 2),
        "Em aberto": (today, "pago", 2),
        "Já pago": (date(2026, 1, 5), "pago", 1),
        "Não selecionado": (None, "aberto", 1),
    }


def test_mark_paid_is_not_offered_to_readers(reader_client, app):
    entry = FinancialEntryFactory()
    listing = reader_client.get("/admin/financialentry/").get_data(as_text=True)
    assert "mark_paid" not in listing
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', listing)[1]
    response = reader_client.post("/admin/financialentry/action/", data={
        "action": "mark_paid", "rowid": [str(entry.id)], "csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(FinancialEntry, entry.id).paid_at is None


# -- the database holds the rules on its own ----------------------------------------------------

def _raw(sql: str, **params):
    db.session.execute(text(sql), params)
    db.session.flush()


def _records():
    category = CategoryFactory()
    product = stocked("RAW", "5", category=category)
    order = draft((product, "1"))
    return {
        "product": product.id, "order": order.id, "item": order.items[0].id,
        "movement": db.session.scalar(select(StockMovement.id)),
        "entry": FinancialEntryFactory().id, "customer": order.customer_id,
        "supplier": SupplierFactory().id, "category": category.id,
    }


BYPASSING_WRITES = [
    "UPDATE products SET stock = -1 WHERE id = :product",
    "UPDATE products SET price = -0.01 WHERE id = :product",
    "UPDATE products SET cost = -1 WHERE id = :product",
    "UPDATE products SET min_stock = -1 WHERE id = :product",
    "UPDATE products SET unit = 'XX' WHERE id = :product",
    "UPDATE orders SET discount = -1 WHERE id = :order",
    "UPDATE orders SET status = 'perdido' WHERE id = :order",
    "UPDATE order_items SET quantity = 0 WHERE id = :item",
    "UPDATE order_items SET unit_price = -1 WHERE id = :item",
    "UPDATE stock_movements SET quantity = -1 WHERE id = :movement",
    "UPDATE stock_movements SET balance_after = -1 WHERE id = :movement",
    "UPDATE stock_movements SET kind = 'roubo' WHERE id = :movement",
    "UPDATE financial_entries SET amount = 0 WHERE id = :entry",
    "UPDATE financial_entries SET kind = 'doar' WHERE id = :entry",
    "UPDATE customers SET document = '1234' WHERE id = :customer",
    "UPDATE customers SET state = 'XX' WHERE id = :customer",
    "UPDATE suppliers SET cnpj = '123' WHERE id = :supplier",
    "DELETE FROM categories WHERE id = :category",
    "DELETE FROM products WHERE id = :product",
    "DELETE FROM customers WHERE id = :customer",
]


def test_database_constraints_hold_without_the_orm(app):
    """Each raw write breaks a CHECK or a RESTRICT foreign key: the database itself refuses it
    (each statement runs in a savepoint of its own)."""
    ids = _records()
    db.session.commit()
    before = snapshot()
    accepted = []
    for sql in BYPASSING_WRITES:
        names = set(re.findall(r":(\w+)", sql))
        savepoint = db.session.begin_nested()
        try:
            db.session.execute(text(sql), {k: v for k, v in ids.items() if k in names})
            db.session.flush()
        except IntegrityError:
            savepoint.rollback()
        else:
            savepoint.rollback()
            accepted.append(sql)
    db.session.rollback()
    assert accepted == [], "the database accepted what its constraints forbid"
    assert snapshot() == before


def test_deleting_an_order_deletes_its_items_in_the_database(app):
    product = ProductFactory()
    order = draft((product, "1"), (product, "2"))
    db.session.commit()
    _raw("DELETE FROM orders WHERE id = :id", id=order.id)
    db.session.commit()
    assert db.session.scalar(select(func.count(OrderItem.id))) == 0
