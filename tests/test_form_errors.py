"""A form that did not save lists its errors at its top, each naming its field and linking to
it (admin_app/admin/error_summary.py), on the create and edit screens of every kind of form,
the order's items included. The browser side (focus, links) is in test_keyboard.py."""

import re

from tests.factories import CustomerFactory, ProductFactory
from tests.helpers.data import snapshot
from tests.helpers.forms import submit
from tests.helpers.pages import text_of
from tests.helpers.words import said, ptn

SUMMARY_RE = re.compile(r'<div class="error-summary" id="error-summary"'
                        r'.*?</div>', re.S)


def summary(response) -> tuple[str, list[tuple[str, str]]]:
    """The summary's title and its (link target, text) lines."""
    found = SUMMARY_RE.search(response.get_data(as_text=True))
    assert found, "no error summary on the page"
    title = text_of(re.search(r"<h2[^>]*>(.*?)</h2>", found[0], re.S)[1])
    links = [(href, text_of(text)) for href, text in
             re.findall(r'<a href="([^"]+)">(.*?)</a>', found[0], re.S)]
    return title, links


def test_the_errors_of_a_new_record_are_listed_at_the_top(admin_client):
    before = snapshot()
    response = submit(admin_client, "/admin/customer/new/",
                      {"document": "529.982.247-24", "name": "", "state": "SP"})
    assert response.status_code == 200
    title, links = summary(response)
    assert title == ptn("The form has %(num)d error:", "The form has %(num)d errors:", 2)
    assert ("#document", "CPF/CNPJ: " + said("Invalid CPF: check the digits.")) in links
    assert [href for href, _text in links] == ["#document", "#name"]
    assert snapshot() == before


def test_an_edit_that_did_not_save_lists_its_error(admin_client):
    customer = CustomerFactory()
    other = CustomerFactory()
    response = submit(admin_client, f"/admin/customer/edit/?id={customer.id}",
                      {"document": other.document})
    title, links = summary(response)
    assert title == ptn("The form has %(num)d error:", "The form has %(num)d errors:", 1)
    assert [href for href, _text in links] == ["#document"]


def test_an_order_items_error_links_to_the_items(admin_client):
    customer = CustomerFactory()
    ProductFactory()
    response = submit(admin_client, "/admin/order/new/",
                      {"customer": str(customer.id), "items-0-product": "",
                       "items-0-quantity": "abc", "items-0-unit_price": "1,00"})
    _title, links = summary(response)
    assert any(href == "#items" for href, _text in links), links


def test_a_form_without_errors_has_no_summary(admin_client):
    body = admin_client.get("/admin/customer/new/").get_data(as_text=True)
    assert 'id="error-summary"' not in body
