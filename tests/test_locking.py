"""Optimistic locking (issue #5): two people open the same record, both save; the second save
is refused with a Portuguese message naming who changed it (from the audit trail), keeps what
they typed and changes nothing. The same for a delete of a record changed since it was shown.

Through the panel the check is the hidden `expected_version` of the form (and the `version`
posted by the list's delete button); underneath, SQLAlchemy's version counter refuses an
UPDATE/DELETE based on a stale read, which the PostgreSQL tests drive with two real
connections in overlapping transactions.
"""

import re
import threading
import time
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from admin_app.extensions import db
from admin_app.models import Customer, Order, Product
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory
from tests.helpers.auth import ADMIN_EMAIL, EDITOR_EMAIL, page_token
from tests.helpers.data import entries, fresh
from tests.helpers.forms import landed, read_form
from tests.helpers.pages import alerts
from tests.helpers.words import pt

CONFLICT = ("This record was changed by %(who)s on %(when)s since you opened it. Your "
            "changes were not saved; they are still in the form. Open the record again to "
            "see the current values.")
SAME_MOMENT = ("This record was changed by someone else at the same moment. Your changes "
               "were not saved; open the record again and repeat them.")
WHEN_RE = r"\d{2}/\d{2}/\d{4},? \d{2}:\d{2}"
JOIN_TIMEOUT = 20       # seconds; a hanging test fails instead of blocking the run


def app_session():
    """Another session of the app's own kind (its engine, business rules and audit trail),
    as a second request would open."""
    return db.session.session_factory()


def assert_conflict_message(response, who: str):
    """The Portuguese conflict message, naming `who` and a date, is on the page (as an error)."""
    template = pt(CONFLICT, who=who, when="@@WHEN@@")
    assert template.startswith("Este registro foi alterado por "), template
    prefix, suffix = template.split("@@WHEN@@")
    pattern = re.escape(prefix) + WHEN_RE + re.escape(suffix)
    errors = [message for kind, message in alerts(response) if kind == "danger"]
    assert any(re.fullmatch(pattern, message) for message in errors), alerts(response)


def open_form(client, url: str) -> dict:
    return read_form(client.get(url))


# -- the lost update through the panel ---------------------------------------------------------

def test_second_save_of_a_customer_is_refused_and_names_the_first_user(
        admin_client, editor_client):
    customer = CustomerFactory(name="Ana Lima", city="Campinas")
    url = f"/admin/customer/edit/?id={customer.id}"
    mine, theirs = open_form(admin_client, url), open_form(editor_client, url)
    assert mine["expected_version"] == theirs["expected_version"] == "1"
    before = len(entries())

    mine["name"] = "Ana Lima (admin)"
    first = admin_client.post(url, data=mine)
    assert first.status_code == 302, alerts(first)

    theirs.update({"name": "Ana Lima (editora)", "city": "Sorocaba", "phone": "(15) 99999-0000"})
    second = editor_client.post(url, data=theirs)
    assert second.status_code == 200
    assert_conflict_message(second, ADMIN_EMAIL)
    assert [k for k, _ in alerts(second)] == ["danger"]
    shown = read_form(second)          # what the editor typed is still in the form
    assert (shown["name"], shown["city"], shown["phone"]) == \
        ("Ana Lima (editora)", "Sorocaba", "(15) 99999-0000")

    [saved] = fresh(Customer)
    assert (saved.name, saved.city, saved.phone, saved.version) == \
        ("Ana Lima (admin)", "Campinas", None, 2)
    written = entries()[before:]
    assert [(e.action, e.entity, e.actor, e.changes) for e in written] == [
        ("update", "Customer", ADMIN_EMAIL,
         {"name": {"old": "Ana Lima", "new": "Ana Lima (admin)"}})]

    # sending the refused form again does not sneak the stale values in either
    again = editor_client.post(url, data=shown)
    assert again.status_code == 200
    assert_conflict_message(again, ADMIN_EMAIL)
    assert fresh(Customer)[0].name == "Ana Lima (admin)"
    assert len(entries()) == before + 1

    # opening the record again shows the current values and a save goes through
    current = open_form(editor_client, url)
    assert (current["name"], current["expected_version"]) == ("Ana Lima (admin)", "2")
    current["city"] = "Sorocaba"
    assert editor_client.post(url, data=current).status_code == 302
    assert (fresh(Customer)[0].name, fresh(Customer)[0].city) == ("Ana Lima (admin)", "Sorocaba")
    assert entries()[-1].actor == EDITOR_EMAIL


def test_second_save_of_a_product_is_refused_and_names_the_first_user(
        admin_client, editor_client):
    product = ProductFactory(sku="CAF-500", name="Café 500 g", price=Decimal("19.90"))
    url = f"/admin/product/edit/?id={product.id}"
    theirs, mine = open_form(editor_client, url), open_form(admin_client, url)
    before = len(entries())

    mine["price"] = "21,90"
    assert admin_client.post(url, data=mine).status_code == 302

    theirs.update({"price": "18,50", "name": "Café torrado 500 g"})
    second = editor_client.post(url, data=theirs)
    assert second.status_code == 200
    assert_conflict_message(second, ADMIN_EMAIL)
    shown = read_form(second)
    assert (shown["price"], shown["name"]) == ("18,50", "Café torrado 500 g")

    [saved] = fresh(Product)
    assert (saved.name, saved.price, saved.version) == ("Café 500 g", Decimal("21.90"), 2)
    written = entries()[before:]
    assert [(e.action, e.entity, e.actor, e.changes) for e in written] == [
        ("update", "Product", ADMIN_EMAIL, {"price": {"old": "19.90", "new": "21.90"}})]


def test_a_stock_movement_meanwhile_also_makes_a_product_form_stale(
        admin_client, editor_client):
    """The stock changed by a movement is a change of the product: the conflict names the
    movement's author."""
    product = ProductFactory(sku="PAR-4")
    url = f"/admin/product/edit/?id={product.id}"
    theirs = open_form(editor_client, url)
    token = page_token(admin_client, "/admin/stockmovement/new/")
    moved = admin_client.post("/admin/stockmovement/new/", data={
        "csrf_token": token, "product": str(product.id), "kind": "entrada", "quantity": "7",
        "reason": "Compra"})
    assert moved.status_code == 302, alerts(moved)
    theirs["name"] = "Parafuso 4 mm"
    second = editor_client.post(url, data=theirs)
    assert second.status_code == 200
    assert_conflict_message(second, ADMIN_EMAIL)
    [saved] = fresh(Product)
    assert saved.name != "Parafuso 4 mm"
    assert (saved.stock, saved.version) == (Decimal("7"), 2)


def test_second_save_of_an_order_does_not_undo_an_item_change(admin_client, editor_client):
    product = ProductFactory(sku="CAF-500")
    order = OrderFactory(ordered_at=datetime(2026, 3, 1, 10, 0, 0), notes="Sem pressa")
    OrderItemFactory(order=order, product=product, quantity=Decimal("2"),
                     unit_price=Decimal("10.00"))
    url = f"/admin/order/edit/?id={order.id}"
    mine, theirs = open_form(admin_client, url), open_form(editor_client, url)
    assert mine["items-0-quantity"] == theirs["items-0-quantity"]

    mine["items-0-quantity"] = "5"
    assert admin_client.post(url, data=mine).status_code == 302
    assert fresh(Order)[0].items[0].quantity == Decimal("5")

    theirs["notes"] = "Urgente"
    second = editor_client.post(url, data=theirs)
    [saved] = fresh(Order)
    assert saved.items[0].quantity == Decimal("5"), "the admin's item change was lost"
    assert second.status_code == 200
    assert_conflict_message(second, ADMIN_EMAIL)
    assert saved.notes == "Sem pressa"


# -- delete of a record changed since it was shown ---------------------------------------------

@pytest.mark.parametrize("kind", ["customer", "product"])
def test_delete_with_a_stale_version_is_refused_and_the_row_stays(
        admin_client, editor_client, kind):
    obj = CustomerFactory(name="Ana") if kind == "customer" else ProductFactory(name="Ana")
    model = type(obj)
    listing = f"/admin/{kind}/"
    token = page_token(editor_client, listing)          # the editor's list shows version 1
    shown_version = obj.version
    assert f'name="version" value="{shown_version}"' in \
        editor_client.get(listing).get_data(as_text=True)

    url = f"/admin/{kind}/edit/?id={obj.id}"
    mine = open_form(admin_client, url)
    mine["name"] = "Ana (alterada)"
    assert admin_client.post(url, data=mine).status_code == 302
    before = len(entries())

    response = editor_client.post(f"/admin/{kind}/delete/", data={
        "id": str(obj.id), "url": listing, "version": str(shown_version), "csrf_token": token})
    page = landed(editor_client, response)
    assert_conflict_message(page, ADMIN_EMAIL)
    assert "success" not in [k for k, _ in alerts(page)]
    [kept] = fresh(model)
    assert (kept.name, kept.version) == ("Ana (alterada)", 2)
    assert entries()[before:] == []

    # with the version now shown the delete goes through
    response = editor_client.post(f"/admin/{kind}/delete/", data={
        "id": str(obj.id), "url": listing, "version": "2", "csrf_token": token})
    assert [k for k, _ in alerts(landed(editor_client, response))] == ["success"]
    assert fresh(model) == []
    assert [(e.action, e.actor) for e in entries()[before:]] == [("delete", EDITOR_EMAIL)]


# -- the same moment: the check passes, the database refuses ------------------------------------

def test_a_change_committed_between_the_check_and_the_write_is_refused(app, editor_client):
    """Another connection commits while the editor's save is being flushed (after the form's
    version check passed): the version counter in the UPDATE's WHERE refuses the stale write,
    the editor gets the message, nothing of theirs is saved."""
    customer = CustomerFactory(name="Ana")
    url = f"/admin/customer/edit/?id={customer.id}"
    theirs = open_form(editor_client, url)
    state = {"armed": True}

    def concurrent_commit(session, flush_context, instances):
        if not state["armed"]:
            return
        state["armed"] = False
        with app_session() as other:
            other.get(Customer, customer.id).name = "Ana (outra conexão)"
            other.commit()

    before = len(entries())
    event.listen(Session, "before_flush", concurrent_commit)
    try:
        theirs["name"] = "Ana (editora)"
        response = editor_client.post(url, data=theirs)
    finally:
        event.remove(Session, "before_flush", concurrent_commit)
    assert state["armed"] is False
    assert response.status_code == 200
    assert ("danger", pt(SAME_MOMENT)) in alerts(response), alerts(response)
    assert read_form(response)["name"] == "Ana (editora)"
    [saved] = fresh(Customer)
    assert (saved.name, saved.version) == ("Ana (outra conexão)", 2)
    # one update: the other connection's (it ran inside the editor's request, hence its actor);
    # the editor's refused write left nothing
    assert [(e.action, e.changes) for e in entries()[before:]] == [
        ("update", {"name": {"old": "Ana", "new": "Ana (outra conexão)"}})]


# -- PostgreSQL: two real connections in overlapping transactions -------------------------------

def _require_postgres():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: row locks and two truly concurrent writers; SQLite "
                    "serializes writers on the whole file")


def _waiting_on_a_lock(engine, pid: int, timeout: float = 10.0) -> bool:
    """True once backend `pid` is blocked waiting for a lock (seen from a third connection)."""
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(text(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid})
            if waiting:
                return True
            watcher.rollback()
            time.sleep(0.05)
    return False


@pytest.mark.postgres
def test_postgres_concurrent_updates_second_writer_gets_stale_data(app):
    _require_postgres()
    product_id = ProductFactory(name="Original", price=Decimal("10.00")).id
    engine = db.engine
    loaded, a_flushed = threading.Event(), threading.Event()
    outcome: dict = {}

    def writer_b():
        try:
            with app.app_context(), app_session() as b:
                b.execute(text("SET LOCAL lock_timeout = '15s'"))
                outcome["pid"] = b.scalar(text("SELECT pg_backend_pid()"))
                product = b.get(Product, product_id)
                outcome["b_read_version"] = product.version
                loaded.set()
                if not a_flushed.wait(JOIN_TIMEOUT):
                    outcome["error"] = TimeoutError("A never flushed")
                    return
                product.name = "B"
                try:
                    b.flush()            # blocks on A's row lock until A commits
                    b.commit()
                    outcome["committed"] = True
                except Exception as exc:  # noqa: BLE001 - the outcome is asserted below
                    outcome["error"] = exc
                    b.rollback()
        except Exception as exc:  # noqa: BLE001
            outcome.setdefault("error", exc)
            loaded.set()

    with app_session() as a:
        a.execute(text("SET LOCAL lock_timeout = '15s'"))
        product = a.get(Product, product_id)
        thread = threading.Thread(target=writer_b, daemon=True)
        thread.start()
        assert loaded.wait(JOIN_TIMEOUT), "B never loaded the product"
        assert outcome.get("b_read_version") == product.version == 1, outcome
        product.name = "A"
        a.flush()                         # A holds the row lock, uncommitted
        a_flushed.set()
        assert _waiting_on_a_lock(engine, outcome["pid"]), \
            f"B is not blocked behind A's uncommitted update: {outcome}"
        assert thread.is_alive()
        a.commit()
    thread.join(JOIN_TIMEOUT)
    assert not thread.is_alive(), "B still blocked after A committed"

    assert isinstance(outcome.get("error"), StaleDataError), outcome
    assert "committed" not in outcome
    [saved] = fresh(Product)
    assert (saved.name, saved.version) == ("A", 2)
    updates = entries("Product", "update")
    assert [e.changes for e in updates] == [{"name": {"old": "Original", "new": "A"}}]


@pytest.mark.postgres
def test_postgres_interleaved_sessions_stale_update_and_delete_fail(app):
    """Both sessions read version 1; A commits first; B's update and B's delete, based on
    what it read, are refused and change nothing."""
    _require_postgres()
    product_id = ProductFactory(name="Original").id
    with app_session() as a, app_session() as b:
        for session in (a, b):
            session.execute(text("SET LOCAL lock_timeout = '10s'"))
        pa, pb = a.get(Product, product_id), b.get(Product, product_id)
        assert pa.version == pb.version == 1
        pa.name = "A"
        a.commit()

        pb.name = "B"
        with pytest.raises(StaleDataError):
            b.flush()
        b.rollback()

        b.execute(text("SET LOCAL lock_timeout = '10s'"))
        stale = b.get(Product, product_id)
        b.expunge(stale)
        with app_session() as c:     # a third writer moves it on again
            c.get(Product, product_id).name = "C"
            c.commit()
        b.add(stale)                   # still carries the version it was read with
        b.delete(stale)
        with pytest.raises(StaleDataError):
            b.flush()
        b.rollback()

    [saved] = fresh(Product)
    assert (saved.name, saved.version) == ("C", 3)
    assert [e.action for e in entries("Product")] == ["create", "update", "update"]
