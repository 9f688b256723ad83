"""The panel on a phone (390 px wide, as an iPhone 12-15): every list, form and menu fits the
screen, so the page never scrolls sideways. A list's rows become cards ("label: value" lines,
gestao.css) and its pager wraps."""

import pytest

from tests.helpers.served import ADMIN, main_pages, signed_in

PHONE = {"width": 390, "height": 844}
#: how far the page reaches past the phone's width: a phone browser zooms out to show a
#: page wider than its screen, so the window grows with the page
OVERFLOW = """() => Math.max(document.documentElement.scrollWidth, window.innerWidth)
                    - screen.width"""


@pytest.fixture(scope="module")
def phone(browser, live):
    context, page = signed_in(browser, live, ADMIN, viewport=PHONE, screen=PHONE,
                              is_mobile=True, has_touch=True)
    yield page, live
    context.close()


def test_no_page_scrolls_sideways_on_a_phone(phone):
    """Every list, form, details page, history, trash, audit and migrations page."""
    page, served = phone
    wide = {}
    for url in main_pages(served):
        page.goto(served.url + url)
        overflow = page.evaluate(OVERFLOW)
        if overflow > 0:
            wide[url] = overflow
    assert wide == {}


def test_a_list_row_is_a_card_naming_each_value(phone):
    page, served = phone
    page.goto(served.url + "/admin/customer/")
    row = page.locator("table.model-list tbody tr").first
    box = row.bounding_box()
    assert box["width"] <= PHONE["width"]
    name = row.locator("td.col-name")
    assert name.get_attribute("data-label") == "Nome"
    label = name.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Nome"'
    # the cells stack: the document is under the name, not beside it
    document = row.locator("td.col-document").bounding_box()
    assert document["y"] > name.bounding_box()["y"]


def test_a_desktop_list_stays_a_table(browser, live):
    context, page = signed_in(browser, live, ADMIN)
    page.goto(live.url + "/admin/customer/")
    cells = page.locator("table.model-list tbody tr").first.locator("td")
    assert cells.nth(2).bounding_box()["y"] == cells.nth(3).bounding_box()["y"]
    context.close()
