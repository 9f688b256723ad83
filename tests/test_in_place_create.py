"""The "+" next to a picker, in a real browser (Debian's chromium, the served demo app of
tests/helpers/served.py): on a new order, "+ Cadastrar cliente" opens the customer form in a
modal; its errors stay in the modal, the order form keeps what was typed; saving selects
the new customer in the picker and the order is saved with it. Every JavaScript error and
CSP violation fails the last test."""

import random

import pytest
from sqlalchemy import select

from admin_app.demo import random_cpf
from admin_app.models import Customer, Order
from tests.helpers.browser import PageWatcher, words
from tests.helpers.served import ADMIN, signed_in

SAVE = "form.admin-form input[type=submit].btn-primary"


@pytest.fixture(scope="module")
def watcher():
    return PageWatcher()


@pytest.fixture(scope="module")
def page(browser, live, watcher):
    context, page = signed_in(browser, live, ADMIN)
    watcher.watch(page)
    page.base = live.url
    yield page
    context.close()


def test_a_new_customer_made_in_place_is_chosen_for_the_order(page, live):
    page.goto(page.base + "/admin/order/new/")
    page.fill("#notes", "Pedido feito por telefone")
    page.click(".quick-create-button[data-target=customer]")
    modal = page.locator("#quick-create")
    modal.locator("#quick-name").wait_for()
    assert words(modal.locator(".modal-title").inner_text()) == "Cadastrar cliente"
    # a wrong CPF: the error is shown in the modal, nothing else moves
    modal.locator("#quick-name").fill("Cliente Feito No Pedido")
    modal.locator("#quick-document").fill("529.982.247-24")
    modal.locator("button[type=submit]").click()
    modal.locator("#error-summary").wait_for()
    assert "CPF" in modal.locator("#error-summary").inner_text()
    assert modal.locator("#quick-name").input_value() == "Cliente Feito No Pedido"
    assert page.input_value("#notes") == "Pedido feito por telefone"
    # a right one: the modal closes and the picker shows the new customer
    document = random_cpf(random.Random(2026))
    modal.locator("#quick-document").fill(document)
    modal.locator("button[type=submit]").click()
    modal.wait_for(state="hidden")
    [(customer_id, label)] = [(c.id, str(c)) for c, in live.query(
        select(Customer).where(Customer.name == "Cliente Feito No Pedido"))]
    assert words(page.locator("#s2id_customer .select2-chosen").inner_text()) == words(label)
    assert page.input_value("#customer") == str(customer_id)
    assert page.input_value("#notes") == "Pedido feito por telefone"
    with page.expect_navigation():
        page.click(SAVE)
    [(order_customer,)] = live.query(select(Order.customer_id).where(
        Order.notes == "Pedido feito por telefone"))
    assert order_customer == customer_id


def test_a_product_made_in_place_fills_an_items_picker(page, live):
    page.goto(page.base + "/admin/order/new/")
    page.click("#items-button, a[data-inline-add]")
    button = page.locator(".quick-create-button[data-target=product]").first
    button.wait_for()
    button.click()
    modal = page.locator("#quick-create")
    modal.locator("#quick-sku").wait_for()
    modal.locator("#quick-sku").fill("RAP-0001")
    modal.locator("#quick-name").fill("Produto Feito No Pedido")
    category = modal.locator("#quick-category")
    if category.evaluate("select => select.tagName") == "SELECT":
        category.select_option(index=1, force=True)
    modal.locator("#quick-price").fill("12,50")
    modal.locator("button[type=submit]").click()
    modal.wait_for(state="hidden")
    picker = button.get_attribute("data-picker")
    assert "Produto Feito No Pedido" in page.locator(f"#s2id_{picker} .select2-chosen").inner_text()


def test_nothing_went_wrong_in_the_browser(watcher):
    assert watcher.problems == []
