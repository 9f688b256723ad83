"""`seed-demo` on both backends: enough data to click through, idempotent, consistent with
the business rules (valid CPF/CNPJ, stock movements for orders that took goods out), and
every admin list renders with it."""

from collections import defaultdict
from decimal import Decimal

import pytest
from flask_admin.contrib.sqla import ModelView
from markupsafe import escape
from sqlalchemy import func, select
from stdnum.br import cnpj, cpf

from admin_app.extensions import db
from admin_app.models import (
    Customer, FinancialEntry, Order, Product, StockMovement, Supplier,
)
from admin_app.rules import orders as order_rules
from admin_app.rules import stock as stock_rules
from admin_app.rules.documents import clean_cnpj, clean_document


DOZENS = 24  # "dozens": at least two of them


def seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert result.output.startswith("Demo data ready: "), result.output
    db.session.expire_all()
    return result.output


def row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture()
def demo(app):
    seed(app)
    return app


def test_seed_demo_creates_dozens_of_each(demo):
    counts = row_counts()
    for table in ("customers", "products", "orders", "stock_movements", "financial_entries"):
        assert counts[table] >= DOZENS, (table, counts[table])
    assert counts["suppliers"] and counts["categories"] and counts["order_items"]
    statuses = set(db.session.scalars(select(Order.status)))
    assert {order_rules.DRAFT, order_rules.CONFIRMED, order_rules.DELIVERED,
            order_rules.CANCELLED} <= statuses


def test_seed_demo_twice_adds_nothing(app):
    first_output = seed(app)
    first = row_counts()
    orders = sorted(db.session.execute(select(Order.number, Order.status, Order.version)).all())
    stock = sorted(db.session.execute(select(Product.sku, Product.stock)).all())

    second_output = seed(app)
    assert row_counts() == first
    assert second_output == first_output
    assert sorted(db.session.execute(
        select(Order.number, Order.status, Order.version)).all()) == orders
    assert sorted(db.session.execute(select(Product.sku, Product.stock)).all()) == stock


def test_demo_documents_are_valid(demo):
    customers = db.session.scalars(select(Customer)).all()
    kinds = set()
    for customer in customers:
        document = customer.document
        assert document.isdigit() and len(document) in (11, 14), document
        validator = cpf if len(document) == 11 else cnpj
        assert validator.is_valid(document), (customer.name, document)
        assert clean_document(document) == document
        kinds.add(len(document))
    assert kinds == {11, 14}, "the demo has both people (CPF) and companies (CNPJ)"
    assert len({c.document for c in customers}) == len(customers)
    for supplier in db.session.scalars(select(Supplier)):
        assert cnpj.is_valid(supplier.cnpj) and clean_cnpj(supplier.cnpj) == supplier.cnpj


def _moved(order_id: int) -> dict[str, dict[int, Decimal]]:
    """{kind: {product_id: quantity}} of the stock movements an order wrote."""
    moved: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for movement in db.session.scalars(
            select(StockMovement).where(StockMovement.order_id == order_id)):
        moved[movement.kind][movement.product_id] += movement.quantity
    return {kind: dict(per_product) for kind, per_product in moved.items()}


def test_demo_orders_have_their_stock_movements(demo):
    orders = db.session.scalars(select(Order)).unique().all()
    checked = defaultdict(int)
    for order in orders:
        needed: dict[int, Decimal] = defaultdict(Decimal)
        for item in order.items:
            needed[item.product_id] += item.quantity
        needed = dict(needed)
        moved = _moved(order.id)
        if order.status in order_rules.STOCK_OUT:  # confirmed, invoiced, shipped, delivered
            assert moved == {stock_rules.OUT: needed}, (order.number, order.status, moved)
        elif order.status == order_rules.CANCELLED:  # went out when confirmed, came back
            assert moved == {stock_rules.OUT: needed, stock_rules.IN: needed}, order.number
        else:
            assert moved == {}, (order.number, order.status, moved)
        checked[order.status] += 1
    assert checked[order_rules.CONFIRMED] and checked[order_rules.DELIVERED], dict(checked)


def test_demo_stock_matches_the_movements(demo):
    """Each product's stock is the balance its last movement left, and in - out."""
    for product in db.session.scalars(select(Product)).unique():
        movements = db.session.scalars(
            select(StockMovement).where(StockMovement.product_id == product.id)
            .order_by(StockMovement.id)).unique().all()
        assert movements, product.sku
        assert movements[-1].balance_after == product.stock, product.sku
        balance = Decimal(0)
        for movement in movements:
            balance = stock_rules.stock_after(movement.kind, balance, movement.quantity)
            assert movement.balance_after == balance, (product.sku, movement.id)


def test_demo_receivables_match_invoiced_orders(demo):
    billed = {order_rules.INVOICED, order_rules.SHIPPED, order_rules.DELIVERED}
    for order in db.session.scalars(select(Order)).unique():
        entries = db.session.scalars(
            select(FinancialEntry).where(FinancialEntry.order_id == order.id)).unique().all()
        if order.status in billed:
            assert len(entries) == 1, order.number
            assert entries[0].kind == "receber" and entries[0].customer_id == order.customer_id
            assert entries[0].amount == sum(i.quantity * i.unit_price for i in order.items)
        else:
            assert entries == [], order.number


def list_urls(app) -> list[str]:
    admin = app.extensions["gestao_admin"]
    return [view.url + "/" for view in admin._views if isinstance(view, ModelView)]


def test_admin_lists_render_with_demo_data(demo, admin_client):
    urls = list_urls(demo)
    assert len(urls) >= 10, urls
    for url in ["/admin/"] + urls:
        response = admin_client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    page = admin_client.get("/admin/customer/").get_data(as_text=True)
    names = db.session.scalars(select(Customer.name)).all()
    assert sum(str(escape(name)) in page for name in set(names)) >= 10, "no demo customers shown"
    newest = db.session.scalars(select(Order).order_by(Order.ordered_at.desc())).first()
    oldest = db.session.scalars(select(Order).order_by(Order.ordered_at)).first()
    assert newest.number in admin_client.get("/admin/order/").get_data(as_text=True)
    assert oldest.number in admin_client.get("/admin/order/?page=1").get_data(as_text=True)


def test_admin_list_pages_paginate_search_and_sort(demo, admin_client):
    for url in list_urls(demo):
        for query in ("?page=1", "?sort=0", "?sort=0&desc=1"):
            response = admin_client.get(url + query)
            assert response.status_code == 200, (url + query, response.status_code)
    customer = db.session.scalars(select(Customer).order_by(Customer.id)).first()
    response = admin_client.get("/admin/customer/", query_string={"search": customer.name})
    assert response.status_code == 200
    assert str(escape(customer.name)) in response.get_data(as_text=True)
