"""Typing into the forms in a real browser (Debian's chromium, Playwright, the served demo app
of tests/helpers/served.py): a date typed dd/mm/aaaa is saved and read back so; the date
picker opens in Portuguese and fills the box with the day chosen; the order form's items'
subtotals and the order's total follow the items as they are typed, added and removed
(static/forms.js), written R$ 1.234,56. Every JavaScript error and CSP violation on the way
fails the last test. SQLite only, as test_browser.py."""

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from admin_app.models import FinancialEntry, Order, OrderItem
from tests.helpers.browser import PageWatcher, words
from tests.helpers.served import ADMIN, signed_in
from tests.helpers.words import brl, pt_of

SAVE = "form.admin-form input[type=submit].btn-primary"


@pytest.fixture(scope="module")
def watcher():
    return PageWatcher()


@pytest.fixture(scope="module")
def context(browser, live):
    """A pt-BR browser profile, the administrator logged in once through the form."""
    context, page = signed_in(browser, live, ADMIN)
    page.close()
    yield context
    context.close()


@pytest.fixture()
def page(context, watcher):
    page = context.new_page()
    watcher.watch(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "remove this item?"
    yield page
    page.close()


def save(page) -> None:
    with page.expect_navigation():
        page.click(SAVE)


def flashed(page, kind: str) -> int:
    return page.locator(f".alert-{kind}").count()


# -- dates -------------------------------------------------------------------------------------

def calendar(picker):
    """The month the picker shows (daterangepicker draws two and hides one for one date)."""
    return picker.locator(".calendar >> visible=true")


def test_date_typed_day_first_is_saved_and_shown_back(page, live):
    page.goto(live.url + "/admin/financialentry/new/")
    page.select_option("#kind", "pagar", force=True)  # under its select2
    page.fill("#description", "Conta de água (navegador)")
    page.fill("#amount", "1.234,56")
    page.click("#due_date")                                         # the picker opens
    page.locator("#due_date").press_sequentially("05/03/2026")     # typed key by key
    assert page.input_value("#due_date") == "05/03/2026"
    assert calendar(page.locator(".daterangepicker >> visible=true")).locator(
        "select.monthselect").input_value() == "2"                  # it followed: March
    save(page)
    assert flashed(page, "success") == 1
    [(entry_id, due, amount)] = live.query(
        select(FinancialEntry.id, FinancialEntry.due_date, FinancialEntry.amount)
        .where(FinancialEntry.description == "Conta de água (navegador)"))
    assert (due, amount) == (date(2026, 3, 5), Decimal("1234.56"))
    page.goto(f"{live.url}/admin/financialentry/edit/?id={entry_id}")
    assert page.input_value("#due_date") == "05/03/2026"
    assert page.input_value("#amount") == "1.234,56"
    assert words(page.locator("#amount").locator("xpath=..").inner_text()) == "R$"


def test_bad_date_is_told_on_the_field(page, live):
    page.goto(live.url + "/admin/financialentry/new/")
    page.select_option("#kind", "pagar", force=True)  # under its select2
    page.fill("#description", "Data errada (navegador)")
    page.fill("#amount", "10,00")
    page.locator("#due_date").press_sequentially("31/02/2026")
    save(page)
    error = page.locator("#due_date ~ .invalid-feedback")
    assert error.is_visible()
    hint = "dd/mm/" + pt_of(live.app, "yyyy")
    assert words(error.inner_text()) == pt_of(live.app, "Invalid date: use %(format)s.",
                                              format=hint)
    assert not live.query(select(FinancialEntry.id)
                          .where(FinancialEntry.description == "Data errada (navegador)"))


def test_date_picker_opens_in_portuguese_and_fills_the_day_chosen(page, live):
    page.goto(live.url + "/admin/financialentry/new/")
    page.click("#due_date")
    picker = page.locator(".daterangepicker >> visible=true")
    picker.wait_for()
    page.locator("#due_date").press_sequentially("10/03/2026")
    months = calendar(picker).locator("select.monthselect option").all_inner_texts()
    assert months[:3] == ["janeiro", "fevereiro", "março"]
    assert calendar(picker).locator("select.monthselect").input_value() == "2"   # March, as typed
    assert words(calendar(picker).locator("thead tr").nth(1).inner_text()).startswith("dom.")
    calendar(picker).locator("td.available:not(.off)", has_text=re.compile(r"^21$")).click()
    assert page.input_value("#due_date") == "21/03/2026"
    picker.wait_for(state="hidden")


def test_date_time_picker_writes_day_first_to_the_minute(page, live):
    page.goto(live.url + "/admin/order/new/")
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", page.input_value("#ordered_at"))
    page.fill("#ordered_at", "")
    page.locator("#ordered_at").press_sequentially("10/03/2026 22:30")
    assert page.input_value("#ordered_at") == "10/03/2026 22:30"
    page.fill("#ordered_at", "")
    page.click("#notes")
    page.click("#ordered_at")
    picker = page.locator(".daterangepicker >> visible=true")
    picker.wait_for()
    calendar(picker).locator("td.available:not(.off)", has_text=re.compile(r"^15$")).click()
    apply = picker.locator("button.applyBtn")
    assert words(apply.inner_text()) == pt_of(live.app, "Apply")
    apply.click()
    assert re.fullmatch(r"15/\d\d/\d{4} \d\d:\d\d", page.input_value("#ordered_at"))


# -- the order's live total --------------------------------------------------------------------

def subtotal(page, row: int) -> str:
    return words(page.locator(".inline-field-list > .inline-field").nth(row)
                 .locator(".live-subtotal output").inner_text())


def total(page) -> str:
    return words(page.locator("#live-total-value").inner_text())


def test_order_total_follows_the_items_as_they_are_typed(page, live):
    page.goto(live.url + "/admin/order/new/")
    assert total(page) == brl("0")
    page.click("#items-button")
    page.fill("#items-0-quantity", "3")
    page.fill("#items-0-unit_price", "19,90")
    assert (subtotal(page, 0), total(page)) == (brl("59.70"), brl("59.70"))
    page.fill("#items-0-unit_price", "1.000,10")                     # grouped, as shown
    assert total(page) == brl("3000.30")

    page.click("#items-button")                                     # a second item
    page.fill("#items-1-quantity", "2,5")
    page.fill("#items-1-unit_price", "R$ 10")
    assert subtotal(page, 1) == brl("25.00")
    assert total(page) == brl("3025.30")
    page.fill("#discount", "5,30")
    assert total(page) == brl("3020.00")

    page.fill("#items-1-quantity", "dois")                          # the server refuses it too
    assert (subtotal(page, 1), total(page)) == ("—", "—")
    page.fill("#items-1-quantity", "2")
    assert total(page) == brl("3015.00")

    page.locator(".inline-field-list > .inline-field").first.locator(
        ".inline-remove-field").click()                            # the first item removed
    assert page.locator(".inline-field-list > .inline-field").count() == 1
    assert total(page) == brl("14.70")


def test_order_total_starts_from_the_saved_items_and_drops_deleted_ones(page, live):
    [(order_id, saved_total)] = live.query(
        select(Order.id, Order.total).where(Order.status == "rascunho").order_by(Order.id)
        .limit(1))
    items = live.query(select(OrderItem.quantity, OrderItem.unit_price)
                       .where(OrderItem.order_id == order_id).order_by(OrderItem.id))
    assert len(items) >= 2, "the demo's first draft order has two items or more"
    page.goto(f"{live.url}/admin/order/edit/?id={order_id}")
    assert total(page) == brl(saved_total)
    first = (items[0][0] * items[0][1]).quantize(Decimal("0.01"))
    assert subtotal(page, 0) == brl(first)
    page.check("#del-items-0")
    assert total(page) == brl(saved_total - first)
    page.uncheck("#del-items-0")
    assert total(page) == brl(saved_total)


def test_nothing_went_wrong_in_the_browser(watcher):
    """Runs last: every JavaScript error, CSP violation and broken static file seen above."""
    assert watcher.problems == []
