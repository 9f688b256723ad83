"""The audit trail (issue #5): every create, update and delete — through a screen, a bulk action
or the CLI — writes exactly one entry with who, what and the diff, in the same transaction as
the change; the "Auditoria" screen is read-only; each record's "Histórico" page reads like
prose, newest first; audit entries never change once written.

The screens are driven the way a browser drives them: the form is read from the rendered page
(CSRF token and the hidden `expected_version` included), some fields are changed, and it is
POSTed back. The database is then read afresh (`db.session.expire_all()` first).
"""

import json
import re
from datetime import date, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import (
    AuditEntry, Category, Customer, FinancialEntry, Order, Product, StockMovement, Supplier, User,
)
from admin_app.rules import BusinessRuleError
from tests.factories import (
    AuditEntryFactory, CategoryFactory, CustomerFactory, FinancialEntryFactory, OrderFactory,
    OrderItemFactory, ProductFactory, StockMovementFactory, SupplierFactory,
)
from tests.helpers.auth import ADMIN_EMAIL, EDITOR_EMAIL, make_user, page_token
from tests.helpers.data import count, entries, fresh
from tests.helpers.forms import filter_arg, landed, submit
from tests.helpers.pages import alerts, cells, text_of
from tests.helpers.words import pt

VALID_CPF = "52998224725"            # 529.982.247-25
VALID_CNPJ = "11222333000181"        # 11.222.333/0001-81
SECRET_MARK = "••••••"
BOOKKEEPING = {"version", "created_at", "updated_at"}


# -- helpers: what the page says -------------------------------------------------------------

def history_cards(response) -> list[dict]:
    """The history page's entries, in page order: action, actor and {label: (before, after)}."""
    body = response.get_data(as_text=True)
    cards = []
    for card in re.findall(r'<div class="card mb-3 history-entry">(.*?)(?=<div class="card mb-3 '
                           r'history-entry">|<script)', body, re.S):
        header = re.search(r"<strong>(.*?)</strong>\s*·\s*(.*?)</span>", card, re.S)
        rows = {}
        for row in re.findall(r"<tr>\s*(<td>.*?)</tr>", card, re.S):
            tds = [text_of(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            rows[tds[0]] = tuple(tds[1:])
        cards.append({"action": text_of(header[1]), "actor": text_of(header[2]),
                      "rows": rows, "html": card})
    return cards


def assert_created(entry: AuditEntry, expected: dict, actor: str = ADMIN_EMAIL):
    """A create entry by `actor` carrying at least the `expected` new values, no old ones and
    none of the bookkeeping columns."""
    assert (entry.action, entry.actor) == ("create", actor)
    changes = entry.changes
    assert not BOOKKEEPING & changes.keys(), changes
    assert all(change["old"] is None for change in changes.values()), changes
    assert {k: changes[k]["new"] for k in expected if k in changes} == expected, changes
    assert changes["id"]["new"] == int(entry.object_id)


# -- per entity: create / update / delete through the screens --------------------------------

def _customer_case():
    return {
        "model": Customer, "endpoint": "customer",
        "create": {"document": "529.982.247-25", "name": "Maria Souza",
                   "email": "maria@exemplo.com.br", "city": "Santos", "state": "SP",
                   "active": "y"},
        "created": {"document": VALID_CPF, "name": "Maria Souza",
                    "email": "maria@exemplo.com.br", "city": "Santos", "state": "SP",
                    "active": True},
        "make": lambda: CustomerFactory(name="Ana Lima", city="Campinas", phone=None),
        "update": {"name": "Ana Lima Souza", "city": "Santos", "phone": "(19) 3333-4444",
                   "active": None},
        "diff": {"name": {"old": "Ana Lima", "new": "Ana Lima Souza"},
                 "city": {"old": "Campinas", "new": "Santos"},
                 "phone": {"old": None, "new": "(19) 3333-4444"},
                 "active": {"old": True, "new": False}},
        "deleted": lambda obj: {"name": obj.name, "document": obj.document},
    }


def _supplier_case():
    return {
        "model": Supplier, "endpoint": "supplier",
        "create": {"cnpj": "11.222.333/0001-81", "legal_name": "Distribuidora Alfa Ltda",
                   "trade_name": "Alfa", "active": "y"},
        "created": {"cnpj": VALID_CNPJ, "legal_name": "Distribuidora Alfa Ltda",
                    "trade_name": "Alfa", "active": True},
        "make": lambda: SupplierFactory(legal_name="Beta Comércio Ltda"),
        "update": {"trade_name": "Beta", "contact_name": "João"},
        "diff": {"trade_name": {"old": None, "new": "Beta"},
                 "contact_name": {"old": None, "new": "João"}},
        "deleted": lambda obj: {"legal_name": obj.legal_name, "cnpj": obj.cnpj},
    }


def _category_case():
    return {
        "model": Category, "endpoint": "category",
        "create": {"name": "Bebidas", "description": "Sucos e refrigerantes"},
        "created": {"name": "Bebidas", "description": "Sucos e refrigerantes"},
        "make": lambda: CategoryFactory(name="Limpeza", description="Produtos de limpeza"),
        "update": {"name": "Limpeza e Higiene", "description": "Sabões"},
        "diff": {"name": {"old": "Limpeza", "new": "Limpeza e Higiene"},
                 "description": {"old": "Produtos de limpeza", "new": "Sabões"}},
        "deleted": lambda obj: {"name": obj.name},
    }


def _product_case():
    category = CategoryFactory(name="Papelaria")
    return {
        "model": Product, "endpoint": "product",
        "create": {"sku": "PAP-0001", "name": "Papel A4", "description": "Resma 500 folhas",
                   "category": str(category.id), "unit": "CX", "price": "1.234,50",
                   "cost": "20.00", "min_stock": "5", "active": "y"},
        "created": {"sku": "PAP-0001", "name": "Papel A4", "description": "Resma 500 folhas",
                    "category_id": category.id, "unit": "CX", "price": "1234.50",
                    "cost": "20.00", "min_stock": "5.000", "active": True},
        "make": lambda: ProductFactory(sku="CAN-01", name="Caneta azul", category=category),
        "update": {"name": "Caneta azul fina", "price": "12,50"},
        "diff": {"name": {"old": "Caneta azul", "new": "Caneta azul fina"},
                 "price": {"old": "10.00", "new": "12.50"}},
        "deleted": lambda obj: {"sku": obj.sku, "name": obj.name, "category_id": category.id},
    }


def _order_case():
    customer = CustomerFactory(name="Mariana Alves")
    return {
        "model": Order, "endpoint": "order",
        "create": {"customer": str(customer.id), "status": "rascunho",
                   "ordered_at": "2026-03-10 09:30:00", "discount": "5.00",
                   "notes": "Entregar pela manhã"},
        "created": {"customer_id": customer.id, "status": "rascunho", "discount": "5.00",
                    "notes": "Entregar pela manhã", "number": "2026-000001"},
        "make": lambda: OrderFactory(customer=customer, notes="Sem pressa",
                                     ordered_at=datetime(2026, 3, 1, 10, 0, 0)),
        "update": {"notes": "Urgente", "discount": "2,00"},
        "diff": {"notes": {"old": "Sem pressa", "new": "Urgente"},
                 "discount": {"old": "0.00", "new": "2.00"}},
        "deleted": lambda obj: {"number": obj.number, "customer_id": customer.id},
    }


def _financial_entry_case():
    due = date.today() + timedelta(days=10)
    return {
        "model": FinancialEntry, "endpoint": "financialentry",
        "create": {"kind": "pagar", "description": "Aluguel de março", "amount": "2500.00",
                   "due_date": "2026-03-10", "paid_at": ""},
        "created": {"kind": "pagar", "description": "Aluguel de março", "amount": "2500.00",
                    "due_date": "2026-03-10"},
        "make": lambda: FinancialEntryFactory(description="Conta de luz", due_date=due),
        "update": {"description": "Conta de luz (março)", "paid_at": "2026-03-09"},
        "diff": {"description": {"old": "Conta de luz", "new": "Conta de luz (março)"},
                 "paid_at": {"old": None, "new": "2026-03-09"}},
        "deleted": lambda obj: {"description": obj.description,
                                "amount": "100.00", "due_date": due.isoformat()},
    }


CASES = {
    "Customer": _customer_case, "Supplier": _supplier_case, "Category": _category_case,
    "Product": _product_case, "Order": _order_case, "FinancialEntry": _financial_entry_case,
}


@pytest.mark.parametrize("entity", CASES)
def test_create_through_the_screen_writes_one_create_entry(admin_client, entity):
    case = CASES[entity]()
    endpoint = case["endpoint"]
    before = len(entries(entity))
    response = submit(admin_client, f"/admin/{endpoint}/new/", case["create"])
    assert response.status_code == 302, alerts(response)
    [obj] = fresh(case["model"])

    written = entries(entity)[before:]
    assert len(written) == 1, [e.changes for e in written]
    [entry] = written
    assert entry.object_id == str(obj.id)
    assert entry.user_id == fresh(User, email=ADMIN_EMAIL)[0].id
    assert_created(entry, case["created"])
    assert set(case["created"]) <= set(entry.changes), entry.changes


@pytest.mark.parametrize("entity", CASES)
def test_update_through_the_screen_writes_one_entry_with_the_diff(admin_client, entity):
    case = CASES[entity]()
    obj = case["make"]()
    before = len(entries())
    url = f"/admin/{case['endpoint']}/edit/?id={obj.id}"
    response = submit(admin_client, url, case["update"])
    assert response.status_code == 302, alerts(response)

    written = entries()[before:]
    assert [(e.action, e.entity, e.object_id, e.actor) for e in written] == \
        [("update", entity, str(obj.id), ADMIN_EMAIL)]
    assert written[0].changes == case["diff"]


@pytest.mark.parametrize("entity", CASES)
def test_saving_an_unchanged_form_writes_no_entry(admin_client, entity):
    case = CASES[entity]()
    obj = case["make"]()
    before = len(entries())
    response = submit(admin_client, f"/admin/{case['endpoint']}/edit/?id={obj.id}", {})
    assert response.status_code == 302, alerts(response)
    assert [(e.action, e.entity, e.changes) for e in entries()[before:]] == []


@pytest.mark.parametrize("entity", CASES)
def test_delete_through_the_screen_writes_one_delete_entry(admin_client, entity):
    case = CASES[entity]()
    obj = case["make"]()
    obj_id, version = obj.id, obj.version
    expected_old = case["deleted"](obj)
    endpoint = case["endpoint"]
    before = len(entries())
    token = page_token(admin_client, f"/admin/{endpoint}/")
    page = landed(admin_client, admin_client.post(f"/admin/{endpoint}/delete/", data={
        "id": str(obj_id), "url": f"/admin/{endpoint}/", "version": str(version),
        "csrf_token": token}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    assert fresh(case["model"]) == []

    written = entries()[before:]
    assert [(e.action, e.entity, e.object_id, e.actor) for e in written] == \
        [("delete", entity, str(obj_id), ADMIN_EMAIL)]
    changes = written[0].changes
    assert all(change["new"] is None for change in changes.values()), changes
    assert {k: changes[k]["old"] for k in expected_old} == expected_old
    assert not BOOKKEEPING & changes.keys()


def test_saving_an_untouched_order_created_in_code_writes_no_entry(admin_client):
    order = OrderFactory()                       # ordered_at from the model's default
    before = len(entries())
    response = submit(admin_client, f"/admin/order/edit/?id={order.id}", {})
    assert response.status_code == 302, alerts(response)
    assert [(e.action, e.changes) for e in entries()[before:]] == []


def test_order_with_items_writes_one_order_entry_and_one_per_item(admin_client):
    customer = CustomerFactory()
    coffee = ProductFactory(sku="CAF-500")
    rice = ProductFactory(sku="ARR-5")
    before = len(entries())
    response = submit(admin_client, "/admin/order/new/", {
        "customer": str(customer.id), "status": "rascunho", "ordered_at": "2026-03-10 09:30:00",
        "items-0-product": str(coffee.id), "items-0-quantity": "3", "items-0-unit_price": "19.90",
        "items-1-product": str(rice.id), "items-1-quantity": "2", "items-1-unit_price": "27.90"})
    assert response.status_code == 302, alerts(response)
    [order] = fresh(Order)
    written = entries()[before:]
    assert sorted((e.action, e.entity) for e in written) == \
        [("create", "Order"), ("create", "OrderItem"), ("create", "OrderItem")]
    items = sorted((e.changes["product_id"]["new"], e.changes["quantity"]["new"],
                    e.changes["order_id"]["new"]) for e in written if e.entity == "OrderItem")
    assert items == sorted([(coffee.id, "3.000", order.id), (rice.id, "2.000", order.id)])
    assert {e.actor for e in written} == {ADMIN_EMAIL}


def test_stock_movement_create_writes_its_entry_and_the_products_stock_change(admin_client):
    product = ProductFactory(sku="PAR-4")
    before = len(entries())
    response = submit(admin_client, "/admin/stockmovement/new/", {
        "product": str(product.id), "kind": "entrada", "quantity": "12", "reason": "Compra NF 1"})
    assert response.status_code == 302, alerts(response)
    [movement] = fresh(StockMovement)
    admin_id = fresh(User, email=ADMIN_EMAIL)[0].id

    written = entries()[before:]
    assert sorted((e.action, e.entity) for e in written) == \
        [("create", "StockMovement"), ("update", "Product")]
    [created] = [e for e in written if e.entity == "StockMovement"]
    assert created.object_id == str(movement.id)
    assert_created(created, {"product_id": product.id, "kind": "entrada", "quantity": "12.000",
                             "balance_after": "12.000", "reason": "Compra NF 1",
                             "author_id": admin_id})
    [stock] = [e for e in written if e.entity == "Product"]
    assert stock.object_id == str(product.id) and stock.actor == ADMIN_EMAIL
    assert list(stock.changes) == ["stock"]
    assert stock.changes["stock"]["new"] == "12.000"


# -- users: secrets are recorded as changed, never with their values -------------------------

def _no_secret_in(entry: AuditEntry, *secrets: str):
    dumped = json.dumps(entry.changes, ensure_ascii=False)
    for secret in secrets:
        assert secret not in dumped


def test_cli_user_create_is_recorded_as_sistema_with_the_password_masked(app):
    password = "senha-da-linha-de-comando"
    before = len(entries())
    result = app.test_cli_runner().invoke(
        args=["users", "create", "cli@teste.com.br", "--role", "editor"],
        env={"GESTAO_USER_PASSWORD": password})
    assert result.exit_code == 0, result.output
    [user] = fresh(User, email="cli@teste.com.br")

    written = entries()[before:]
    assert {e.actor for e in written} == {"sistema"}
    assert {e.user_id for e in written} == {None}
    [created] = [e for e in written if e.entity == "User"]
    assert created.object_id == str(user.id)
    assert_created(created, {"email": "cli@teste.com.br", "active": True}, actor="sistema")
    assert created.changes["password"] == {"old": None, "new": SECRET_MARK, "secret": True}
    _no_secret_in(created, user.password, password, user.fs_uniquifier)
    # the roles the command makes sure exist are recorded too, by the same actor
    assert sorted(e.changes["name"]["new"] for e in written if e.entity == "Role") == \
        ["admin", "editor", "reader"]


def test_cli_password_change_records_the_password_as_changed_without_values(app):
    user = make_user("ana@teste.com.br", "reader")
    old_hash = user.password
    before = len(entries())
    result = app.test_cli_runner().invoke(args=["users", "set-password", "ana@teste.com.br"],
                                          env={"GESTAO_USER_PASSWORD": "uma-senha-nova-123"})
    assert result.exit_code == 0, result.output
    [user] = fresh(User, email="ana@teste.com.br")
    assert user.password != old_hash

    written = entries()[before:]
    assert [(e.action, e.entity, e.object_id, e.actor) for e in written] == \
        [("update", "User", str(user.id), "sistema")]
    assert written[0].changes == {"password": {"old": SECRET_MARK, "new": SECRET_MARK,
                                               "secret": True}}
    _no_secret_in(written[0], old_hash, user.password, "uma-senha-nova-123")


def test_the_history_of_a_password_change_shows_no_value(admin_client, app):
    user = make_user("ana@teste.com.br", "reader")
    app.test_cli_runner().invoke(args=["users", "set-password", "ana@teste.com.br"],
                                 env={"GESTAO_USER_PASSWORD": "uma-senha-nova-123"})
    page = admin_client.get(f"/admin/history/User/{user.id}/")
    assert page.status_code == 200
    [changed, _created] = history_cards(page)
    assert changed["action"] == pt("Changed")
    assert list(changed["rows"].values()) == [(pt("changed (secret value not recorded)"),)]
    body = page.get_data(as_text=True)
    assert "$argon2" not in body and fresh(User, id=user.id)[0].password not in body


def test_panel_password_change_records_the_password_as_changed_without_values(admin_client):
    user = make_user("ana@teste.com.br", "reader")
    old_hash = user.password
    before = len(entries())
    response = submit(admin_client, f"/admin/user/edit/?id={user.id}",
                      {"new_password": "uma-senha-nova-e-longa"})
    assert response.status_code == 302, alerts(response)
    [user] = fresh(User, email="ana@teste.com.br")
    assert user.password != old_hash

    written = entries()[before:]
    assert [(e.action, e.entity, e.object_id, e.actor) for e in written] == \
        [("update", "User", str(user.id), ADMIN_EMAIL)]
    assert written[0].changes == {"password": {"old": SECRET_MARK, "new": SECRET_MARK,
                                               "secret": True}}
    _no_secret_in(written[0], old_hash, user.password, "uma-senha-nova-e-longa")


def test_user_create_on_the_panel_is_recorded_with_the_password_masked(admin_client):
    reader_role = make_user("outro@teste.com.br", "reader").roles[0].id
    before = len(entries())
    response = submit(admin_client, "/admin/user/new/", {
        "email": "novo@teste.com.br", "active": "y", "roles": str(reader_role),
        "new_password": "uma-senha-bem-longa"})
    assert response.status_code == 302, alerts(response)
    [user] = fresh(User, email="novo@teste.com.br")
    written = entries()[before:]
    assert [(e.action, e.entity, e.object_id, e.actor) for e in written] == \
        [("create", "User", str(user.id), ADMIN_EMAIL)]
    assert_created(written[0], {"email": "novo@teste.com.br", "active": True})
    assert written[0].changes["password"] == {"old": None, "new": SECRET_MARK, "secret": True}
    _no_secret_in(written[0], user.password, "uma-senha-bem-longa", user.fs_uniquifier)


def test_user_edit_on_the_panel_is_recorded(admin_client):
    user = make_user("ana@teste.com.br", "reader")
    before = len(entries())
    response = submit(admin_client, f"/admin/user/edit/?id={user.id}",
                      {"email": "ana.lima@teste.com.br"})
    assert response.status_code == 302, alerts(response)
    written = entries()[before:]
    assert [(e.action, e.entity, e.actor, e.changes) for e in written] == [
        ("update", "User", ADMIN_EMAIL,
         {"email": {"old": "ana@teste.com.br", "new": "ana.lima@teste.com.br"}})]


# -- bulk actions ------------------------------------------------------------------------------

def test_bulk_mark_paid_writes_one_update_per_changed_entry(admin_client):
    due = date.today() + timedelta(days=5)
    first = FinancialEntryFactory(description="Venda 1", due_date=due)
    second = FinancialEntryFactory(description="Venda 2", due_date=due)
    already = FinancialEntryFactory(description="Venda 3", due_date=due,
                                    paid_at=date(2026, 1, 2))
    before = len(entries())
    token = page_token(admin_client, "/admin/financialentry/")
    page = landed(admin_client, admin_client.post("/admin/financialentry/action/", data={
        "action": "mark_paid", "rowid": [str(first.id), str(second.id), str(already.id)],
        "url": "/admin/financialentry/", "csrf_token": token}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)

    written = entries()[before:]
    today = date.today().isoformat()
    assert sorted((e.action, e.entity, e.object_id, e.actor) for e in written) == sorted(
        [("update", "FinancialEntry", str(first.id), ADMIN_EMAIL),
         ("update", "FinancialEntry", str(second.id), ADMIN_EMAIL)])
    assert [e.changes for e in written] == [{"paid_at": {"old": None, "new": today}}] * 2


def test_bulk_delete_writes_one_entry_per_deleted_row_and_none_for_the_refused(admin_client):
    used = CategoryFactory(name="Usada")
    free_a = CategoryFactory(name="Livre A")
    free_b = CategoryFactory(name="Livre B")
    ProductFactory(category=used)
    ids = [str(free_a.id), str(used.id), str(free_b.id)]
    before = len(entries())
    token = page_token(admin_client, "/admin/category/")
    landed(admin_client, admin_client.post("/admin/category/action/", data={
        "action": "delete", "rowid": ids, "url": "/admin/category/", "csrf_token": token}))

    written = entries()[before:]
    assert sorted((e.action, e.entity, e.object_id) for e in written) == sorted(
        [("delete", "Category", ids[0]), ("delete", "Category", ids[2])])
    assert {e.actor for e in written} == {ADMIN_EMAIL}
    assert [c.name for c in fresh(Category)] == ["Usada"]


def test_a_refused_delete_writes_no_entry(admin_client):
    customer = CustomerFactory(name="Com Pedido")
    OrderFactory(customer=customer)
    before = len(entries())
    token = page_token(admin_client, "/admin/customer/")
    page = landed(admin_client, admin_client.post("/admin/customer/delete/", data={
        "id": str(customer.id), "url": "/admin/customer/", "version": str(customer.version),
        "csrf_token": token}))
    assert [k for k, _ in alerts(page)] == ["danger"]
    assert entries()[before:] == []
    assert count(Customer) == 1


# -- failures and transactions -----------------------------------------------------------------

def test_a_failed_create_writes_no_entry(admin_client):
    category = CategoryFactory()
    ProductFactory(sku="DUP-1", category=category)
    before = len(entries())
    response = submit(admin_client, "/admin/product/new/", {
        "sku": "DUP-1", "name": "Outro", "category": str(category.id), "unit": "UN",
        "price": "1.00", "cost": "1.00", "min_stock": "0"})
    assert response.status_code == 200
    assert [k for k, _ in alerts(response)] == ["danger"], alerts(response)
    assert re.search(r'<input class="form-control is-invalid" id="sku"[^>]*>\s*'
                     r'<div class="invalid-feedback">', response.get_data(as_text=True))
    assert count(Product) == 1
    assert entries()[before:] == []


def test_a_save_refused_during_the_flush_writes_no_entry(admin_client):
    """A stock out larger than the stock is refused by the rules while flushing: neither the
    movement, nor the product's new stock, nor any audit entry remains."""
    product = ProductFactory(sku="PAR-4", name="Parafuso")
    StockMovementFactory(product=product, quantity=5)
    before = len(entries())
    response = submit(admin_client, "/admin/stockmovement/new/", {
        "product": str(product.id), "kind": "saida", "quantity": "6", "reason": "Venda"})
    assert response.status_code == 200
    assert [k for k, _ in alerts(response)] == ["danger"], alerts(response)
    assert count(StockMovement) == 1
    assert entries()[before:] == []


def test_a_refused_order_confirmation_writes_no_entry(admin_client):
    product = ProductFactory(sku="CAF-500")
    order = OrderFactory(ordered_at=datetime(2026, 3, 1, 10, 0, 0))
    OrderItemFactory(order=order, product=product, quantity=3)
    before = len(entries())
    response = submit(admin_client, f"/admin/order/edit/?id={order.id}", {"status": "confirmado"})
    assert response.status_code == 200
    assert [k for k, _ in alerts(response)] == ["danger"], alerts(response)
    assert fresh(Order)[0].status == "rascunho"
    assert entries()[before:] == []


def test_a_failed_update_writes_no_entry(admin_client):
    category = CategoryFactory()
    ProductFactory(sku="DUP-1", category=category)
    other = ProductFactory(sku="OUT-2", name="Nome antigo", category=category)
    before = len(entries())
    response = submit(admin_client, f"/admin/product/edit/?id={other.id}",
                      {"sku": "DUP-1", "name": "Nome novo"})
    assert response.status_code == 200
    assert [k for k, _ in alerts(response)] == ["danger"], alerts(response)
    assert entries()[before:] == []
    [kept] = fresh(Product, id=other.id)
    assert (kept.sku, kept.name) == ("OUT-2", "Nome antigo")


def test_the_entry_is_written_in_the_same_transaction_and_rolls_back_with_it(app):
    db.session.add(Customer(document=VALID_CPF, name="Transitória"))
    db.session.flush()
    # visible inside the transaction that made the change ...
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.entity == "Customer")) == 1
    # ... and not outside it until commit
    with db.engine.connect() as other:
        assert other.scalar(select(func.count()).select_from(AuditEntry)) == 0
    db.session.rollback()
    assert count(AuditEntry) == 0
    assert count(Customer) == 0


def test_the_entry_commits_with_its_change(app):
    db.session.add(Customer(document=VALID_CPF, name="Permanente"))
    db.session.commit()
    with db.engine.connect() as other:
        rows = other.execute(select(AuditEntry.action, AuditEntry.entity, AuditEntry.actor)).all()
    assert [tuple(r) for r in rows] == [("create", "Customer", "sistema")]


def test_a_flush_that_fails_after_the_change_takes_the_entry_with_it(app):
    CustomerFactory(document=VALID_CPF)
    before = count(AuditEntry)
    db.session.add(Category(name="Nova"))
    db.session.flush()
    db.session.add(Customer(document="529.982.247-25", name="Duplicado"))
    with pytest.raises(Exception):
        db.session.flush()
    db.session.rollback()
    assert count(AuditEntry) == before
    assert count(Category) == 0


# -- immutability --------------------------------------------------------------------------------

def test_audit_entries_cannot_be_changed_through_the_orm(app):
    entry = AuditEntryFactory(actor="sistema", changes={"name": {"old": None, "new": "A"}})
    entry.actor = "intruso"
    with pytest.raises(BusinessRuleError):
        db.session.commit()
    db.session.rollback()
    assert fresh(AuditEntry, id=entry.id)[0].actor == "sistema"


def test_audit_entries_cannot_be_deleted_through_the_orm(app):
    entry = AuditEntryFactory()
    db.session.delete(entry)
    with pytest.raises(BusinessRuleError):
        db.session.commit()
    db.session.rollback()
    assert count(AuditEntry) == 1


def test_stock_movements_cannot_be_changed_or_deleted_through_the_orm(app):
    movement = StockMovementFactory(quantity=5)
    movement.reason = "Outro motivo"
    with pytest.raises(BusinessRuleError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(fresh(StockMovement)[0])
    with pytest.raises(BusinessRuleError):
        db.session.commit()
    db.session.rollback()
    [kept] = fresh(StockMovement)
    assert kept.reason == "Compra"


# -- the "Auditoria" screen -----------------------------------------------------------------------

@pytest.fixture()
def trail(admin_client, editor_client):
    """A customer created, then changed by the admin and by the editor; a category created
    by the admin; plus what the fixtures themselves wrote (users and roles, by 'sistema')."""
    customer = CustomerFactory(name="Ana")
    assert submit(admin_client, f"/admin/customer/edit/?id={customer.id}",
                  {"name": "Bia"}).status_code == 302
    assert submit(editor_client, f"/admin/customer/edit/?id={customer.id}",
                  {"name": "Carla"}).status_code == 302
    assert submit(admin_client, "/admin/category/new/", {"name": "Bebidas"}).status_code == 302
    return {"customer": customer, "category": fresh(Category)[0]}


def test_admin_lists_the_trail_newest_first(admin_client, trail):
    page = admin_client.get("/admin/auditentry/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert pt("Audit trail") == "Auditoria" and "Auditoria" in body
    newest = entries()[::-1]
    assert cells(page, "object_id")[:4] == [e.object_id for e in newest[:4]]
    assert cells(page, "actor")[:4] == [e.actor for e in newest[:4]]
    assert cells(page, "action")[0] == pt("Created")
    assert cells(page, "changes")[1] == f"{pt('Name')}: Bia → Carla"


def test_audit_screen_filters_by_entity_action_and_user(admin_client, trail):
    arg = filter_arg(current_app, "auditentry", "entity", "FilterEqual")
    page = admin_client.get(f"/admin/auditentry/?{arg}=Customer")
    assert page.status_code == 200
    assert set(cells(page, "entity")) == {"Customer"}
    assert len(cells(page, "entity")) == 3

    arg = filter_arg(current_app, "auditentry", "action", "FilterEqual")
    page = admin_client.get(f"/admin/auditentry/?{arg}=update")
    assert cells(page, "action") == [pt("Changed")] * 2
    assert cells(page, "changes") == [f"{pt('Name')}: Bia → Carla",
                                      f"{pt('Name')}: Ana → Bia"]

    arg = filter_arg(current_app, "auditentry", "actor", "FilterEqual")
    page = admin_client.get(f"/admin/auditentry/?{arg}={EDITOR_EMAIL}")
    assert cells(page, "actor") == [EDITOR_EMAIL]

    entity = filter_arg(current_app, "auditentry", "entity", "FilterEqual")
    actor = filter_arg(current_app, "auditentry", "actor", "FilterEqual").replace("flt0_", "flt1_")
    page = admin_client.get(f"/admin/auditentry/?{entity}=Customer&{actor}={ADMIN_EMAIL}")
    assert cells(page, "changes") == [f"{pt('Name')}: Ana → Bia"]


def test_audit_screen_filters_by_date(admin_client, trail):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    arg = filter_arg(current_app, "auditentry", "created_at", "DateTimeGreaterFilter")
    page = admin_client.get(f"/admin/auditentry/?{arg}={tomorrow}+00:00:00")
    assert page.status_code == 200
    assert cells(page, "entity") == []
    page = admin_client.get(f"/admin/auditentry/?{arg}={yesterday}+00:00:00")
    assert len(cells(page, "entity")) == count(AuditEntry)


def test_audit_screen_searches_by_object_id(admin_client, trail):
    customer_id = str(trail["customer"].id)
    page = admin_client.get(f"/admin/auditentry/?search={customer_id}")
    assert page.status_code == 200
    found = cells(page, "object_id")
    assert found and set(found) <= {customer_id} | {
        e.object_id for e in entries() if customer_id in e.object_id}
    assert found.count(customer_id) == len([e for e in entries() if e.object_id == customer_id])


def test_audit_details_are_readable(admin_client, trail):
    [entry] = [e for e in entries("Customer", "update") if e.actor == EDITOR_EMAIL]
    page = admin_client.get(f"/admin/auditentry/details/?id={entry.id}")
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert f"{pt('Name')}: Bia → Carla" in text
    assert EDITOR_EMAIL in text and pt("Changed") in text


def test_audit_screen_is_read_only_even_for_admins(admin_client, trail):
    entry = entries()[-1]
    token = page_token(admin_client, "/admin/auditentry/")
    listing = admin_client.get("/admin/auditentry/").get_data(as_text=True)
    assert "/admin/auditentry/new/" not in listing
    assert "/admin/auditentry/edit/" not in listing
    assert 'action="/admin/auditentry/delete/"' not in listing
    before = [(e.id, e.actor, e.action, e.changes) for e in entries()]

    assert admin_client.get("/admin/auditentry/new/").status_code == 403
    assert admin_client.post("/admin/auditentry/new/", data={
        "csrf_token": token, "actor": "intruso", "action": "delete", "entity": "Customer",
        "object_id": "999"}).status_code == 403
    assert admin_client.get(f"/admin/auditentry/edit/?id={entry.id}").status_code == 403
    assert admin_client.post(f"/admin/auditentry/edit/?id={entry.id}", data={
        "csrf_token": token, "actor": "intruso"}).status_code == 403
    assert admin_client.post("/admin/auditentry/delete/", data={
        "id": str(entry.id), "csrf_token": token}).status_code == 403
    assert admin_client.post("/admin/auditentry/action/", data={
        "action": "delete", "rowid": [str(entry.id)], "csrf_token": token}).status_code == 403
    assert [(e.id, e.actor, e.action, e.changes) for e in entries()] == before


def test_only_admins_see_the_audit_screen(editor_client, reader_client, trail):
    assert editor_client.get("/admin/auditentry/").status_code == 403
    assert reader_client.get("/admin/auditentry/").status_code == 403


# -- the per-record history ("Histórico") -------------------------------------------------------

def test_history_lists_entries_newest_first_in_words(admin_client, trail):
    customer = trail["customer"]
    page = admin_client.get(f"/admin/history/Customer/{customer.id}/")
    assert page.status_code == 200
    cards = history_cards(page)
    assert [(c["action"], c["actor"]) for c in cards] == [
        (pt("Changed"), EDITOR_EMAIL), (pt("Changed"), ADMIN_EMAIL), (pt("Created"), "sistema")]
    assert pt("Name") == "Nome"
    assert cards[0]["rows"] == {"Nome": ("Bia", "Carla")}
    assert cards[1]["rows"] == {"Nome": ("Ana", "Bia")}
    assert cards[2]["rows"]["Nome"] == ("—", "Ana")
    for card in cards:
        assert "{" not in card["html"] and "}" not in card["html"], card["html"]
        assert '"old"' not in card["html"] and "&#34;old&#34;" not in card["html"]
    body = page.get_data(as_text=True)
    assert pt("Before") in body and pt("After") in body


def test_history_shows_text_escaped(admin_client):
    customer = CustomerFactory(name="Ana")
    assert submit(admin_client, f"/admin/customer/edit/?id={customer.id}",
                  {"name": "<script>alert(1)</script>"}).status_code == 302
    body = admin_client.get(f"/admin/history/Customer/{customer.id}/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_history_names_a_changed_reference_by_its_label_and_record(admin_client):
    old = CategoryFactory(name="Papelaria")
    new = CategoryFactory(name="Limpeza")
    product = ProductFactory(category=old)
    assert submit(admin_client, f"/admin/product/edit/?id={product.id}",
                  {"category": str(new.id)}).status_code == 302
    [changed, _created] = history_cards(admin_client.get(f"/admin/history/Product/{product.id}/"))
    assert changed["rows"] == {pt("Category"): ("Papelaria", "Limpeza")}


def test_history_formats_money_and_dates_like_the_other_screens(admin_client):
    product = ProductFactory(price="10.00")
    entry = FinancialEntryFactory(due_date=date(2026, 3, 10))
    assert submit(admin_client, f"/admin/product/edit/?id={product.id}",
                  {"price": "12,50"}).status_code == 302
    assert submit(admin_client, f"/admin/financialentry/edit/?id={entry.id}",
                  {"paid_at": "2026-03-09"}).status_code == 302
    [changed, _] = history_cards(admin_client.get(f"/admin/history/Product/{product.id}/"))
    assert changed["rows"] == {pt("Price"): ("R$ 10,00", "R$ 12,50")}
    [changed, _] = history_cards(
        admin_client.get(f"/admin/history/FinancialEntry/{entry.id}/"))
    assert changed["rows"] == {pt("Paid at"): ("—", "09/03/2026")}


def test_editor_reads_a_business_history_reader_does_not(editor_client, reader_client, trail):
    customer = trail["customer"]
    assert editor_client.get(f"/admin/history/Customer/{customer.id}/").status_code == 200
    assert reader_client.get(f"/admin/history/Customer/{customer.id}/").status_code == 403
    user = fresh(User, email=EDITOR_EMAIL)[0]
    assert editor_client.get(f"/admin/history/User/{user.id}/").status_code == 403


def test_history_of_an_unknown_entity_is_404(admin_client):
    assert admin_client.get("/admin/history/NoSuchThing/1/").status_code == 404


@pytest.mark.parametrize("screen", ["edit", "details"])
def test_history_link_on_edit_and_details_for_writers(admin_client, editor_client, screen):
    customer = CustomerFactory()
    for client in (admin_client, editor_client):
        body = client.get(f"/admin/customer/{screen}/?id={customer.id}").get_data(as_text=True)
        link = re.search(r'<a [^>]*id="history-link"[^>]*href="([^"]+)"[^>]*>(.*?)</a>', body)
        assert link, body[:300]
        assert link[1] == f"/admin/history/Customer/{customer.id}/"
        assert text_of(link[2]) == pt("History") == "Histórico"


def test_no_history_link_for_readers(reader_client):
    customer = CustomerFactory()
    page = reader_client.get(f"/admin/customer/details/?id={customer.id}")
    assert page.status_code == 200
    assert 'id="history-link"' not in page.get_data(as_text=True)
    assert reader_client.get(f"/admin/customer/edit/?id={customer.id}").status_code == 403


def test_history_link_on_every_business_edit_screen(admin_client):
    objects = {"customer": CustomerFactory(), "supplier": SupplierFactory(),
               "category": CategoryFactory(), "product": ProductFactory(),
               "order": OrderFactory(), "financialentry": FinancialEntryFactory()}
    for endpoint, obj in objects.items():
        for screen in ("edit", "details"):
            body = admin_client.get(f"/admin/{endpoint}/{screen}/?id={obj.id}") \
                .get_data(as_text=True)
            assert f'id="history-link" href="/admin/history/{type(obj).__name__}/{obj.id}/"' \
                in body, (endpoint, screen)
    movement = StockMovementFactory()
    body = admin_client.get(f"/admin/stockmovement/details/?id={movement.id}") \
        .get_data(as_text=True)
    assert f'href="/admin/history/StockMovement/{movement.id}/"' in body
