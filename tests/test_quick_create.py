"""Creating a related record in place: the "+" next to a picker posts the related screen's
own create form (`/admin/<entity>/quick/`), which answers the new record (id and label) or
the form again with its errors, with the screen's permissions, CSRF, validators and audit
trail. The modal itself, in a browser, is in test_browser_quick_create.py."""

import random

from sqlalchemy import select

from admin_app.demo import random_cpf
from admin_app.extensions import db
from admin_app.models import AuditEntry, Category, Customer
from tests.helpers.auth import csrf_token, page_token
from tests.helpers.data import snapshot
from tests.helpers.pages import field_errors
from tests.helpers.words import said

QUICK = "/admin/customer/quick/"


def customer_form(client, **values) -> dict:
    return {"csrf_token": csrf_token(client), "quick-name": "Nova Cliente",
            "quick-document": random_cpf(random.Random(7)), "quick-state": "SP",
            "quick-active": "y", **values}


def test_the_order_form_offers_a_plus_for_its_customer_and_items_product(admin_client):
    body = admin_client.get("/admin/order/new/").get_data(as_text=True)
    assert 'id="quick-create"' in body
    assert "/admin/customer/quick/" in body and "/admin/product/quick/" in body
    assert said("Create %(label)s", label="cliente") in body


def test_the_quick_form_has_its_own_field_ids(admin_client):
    body = admin_client.get(QUICK).get_data(as_text=True)
    assert 'id="quick-name"' in body and 'id="name"' not in body
    assert 'name="csrf_token"' in body


def test_saving_answers_the_new_record_for_the_picker(admin_client):
    response = admin_client.post(QUICK, data=customer_form(admin_client))
    assert response.status_code == 200
    record = response.get_json()
    customer = db.session.get(Customer, int(record["id"]))
    assert customer.name == "Nova Cliente" and record["text"] == str(customer)
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.entity == "Customer", AuditEntry.object_id == str(customer.id),
        AuditEntry.action == "create")) is not None


def test_errors_come_back_in_the_form_and_nothing_is_saved(admin_client):
    before = snapshot()
    response = admin_client.post(QUICK, data=customer_form(
        admin_client, **{"quick-document": "529.982.247-24"}))
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert field_errors(response, "quick-document") == [said("Invalid CPF: check the digits.")]
    assert 'id="error-summary"' in response.get_data(as_text=True)
    assert snapshot() == before


def test_a_category_made_in_place_is_a_plain_record(admin_client):
    response = admin_client.post("/admin/category/quick/", data={
        "csrf_token": page_token(admin_client, "/admin/product/new/"),
        "quick-name": "Brinquedos"})
    assert response.status_code == 200
    assert db.session.get(Category, int(response.get_json()["id"])).name == "Brinquedos"


def test_only_who_may_create_gets_the_plus_or_the_form(reader_client, editor_client):
    before = snapshot()
    assert reader_client.get(QUICK).status_code == 403
    assert reader_client.post(QUICK, data=customer_form(reader_client)).status_code == 403
    assert snapshot() == before
    # a screen that offers no quick form: the order (it has its own items)
    assert editor_client.get("/admin/order/quick/").status_code == 404
    # the financial entry form: its customer and supplier pickers get a "+"
    body = editor_client.get("/admin/financialentry/new/").get_data(as_text=True)
    assert "/admin/customer/quick/" in body and "/admin/supplier/quick/" in body


def test_a_post_without_the_csrf_token_is_refused(admin_client):
    data = customer_form(admin_client)
    data.pop("csrf_token")
    before = snapshot()
    assert admin_client.post(QUICK, data=data).status_code == 400
    assert snapshot() == before
