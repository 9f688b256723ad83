"""The panel from the keyboard, in Debian's chromium: the shortcuts ("/" search, "n" new
record, "?" the list of shortcuts) and a form that did not save, whose error summary takes
the focus and leads to each field (admin_app/static/gestao.js)."""

import pytest

from tests.helpers.served import ADMIN, signed_in


@pytest.fixture(scope="module")
def page(browser, live):
    context, page = signed_in(browser, live, ADMIN)
    page.base = live.url
    yield page
    context.close()


def focused(page) -> str:
    return page.evaluate("() => document.activeElement.id || document.activeElement.name")


def test_slash_goes_to_the_search_box(page):
    page.goto(page.base + "/admin/customer/")
    page.keyboard.press("/")
    assert focused(page) == "search" or page.evaluate(
        "() => document.activeElement.getAttribute('name')") == "search"


def test_n_opens_a_new_record(page):
    page.goto(page.base + "/admin/product/")
    page.keyboard.press("n")
    page.wait_for_url("**/admin/product/new/**")


def test_question_mark_shows_the_shortcuts_and_escape_hides_them(page):
    page.goto(page.base + "/admin/customer/")
    help_box = page.locator("#shortcut-help")
    assert help_box.is_hidden()
    page.keyboard.press("?")
    assert help_box.is_visible() and "Atalhos de teclado" in help_box.inner_text()
    page.keyboard.press("Escape")
    assert help_box.is_hidden()


def test_typing_in_a_box_is_not_a_shortcut(page):
    page.goto(page.base + "/admin/customer/")
    page.click("input[name=search]")
    page.keyboard.type("n/?")
    assert page.url.endswith("/admin/customer/")
    assert page.input_value("input[name=search]") == "n/?"


def test_a_form_that_did_not_save_leads_to_its_fields(page):
    page.goto(page.base + "/admin/customer/new/")
    page.fill("#document", "529.982.247-24")
    page.fill("#name", "Dígito Errado")
    page.click("input[type=submit][value='Salvar'], button[type=submit]:has-text('Salvar')")
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert focused(page) == "error-summary"
    assert page.get_attribute("#document", "aria-invalid") == "true"
    described = page.get_attribute("#document", "aria-describedby")
    assert "CPF" in page.locator(f"#{described}").inner_text()
    summary.locator("a[href='#document']").click()
    assert focused(page) == "document"
