"""Saved views, the column chooser and the page box in a real browser (Debian's chromium, the
served demo app of tests/helpers/served.py), as two people use them: the administrator saves
a private view and a shared one from the "Visões salvas" panel, makes one the list's default
and removes that default in one click, chooses the list's columns and removes a view; a
reader sees the shared view only. Every JavaScript error and CSP violation fails the last
test."""

import pytest

from tests.helpers.browser import PageWatcher
from tests.helpers.served import ADMIN, READER, signed_in

LIST = "/admin/customer/"


@pytest.fixture(scope="module")
def watcher():
    return PageWatcher()


def person(browser, live, watcher, email):
    context, page = signed_in(browser, live, email)
    watcher.watch(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "remove the view?"
    return context, page


@pytest.fixture(scope="module")
def admin(browser, live, watcher):
    context, page = person(browser, live, watcher, ADMIN)
    yield page
    context.close()


@pytest.fixture(scope="module")
def reader(browser, live, watcher):
    context, page = person(browser, live, watcher, READER)
    yield page
    context.close()


def rows(page) -> int:
    return page.locator("table.model-list tbody tr td.col-name").count()


def open_panel(page, link: str, panel: str) -> None:
    """Open a collapsed panel and wait until Bootstrap's opening transition has ended (a
    click during it can land on a control still moving)."""
    page.click(f"#{link}")
    page.locator(f"#{panel}.collapse.show").wait_for()


def save_view(page, name, shared=False, default=False):
    open_panel(page, "saved-views-link", "saved-views")
    page.fill("#view-name", name)
    if shared:
        page.check("#view-shared")
    if default:
        page.check("#view-default")
    with page.expect_navigation():
        page.click("form.save-view button[type=submit]")


def view_names(page) -> list[str]:
    return [t.strip() for t in page.locator(".saved-view > a").all_inner_texts()]


def test_private_and_shared_views(admin, reader, live):
    admin.goto(live.url + LIST + "?search=Silva")
    silva = rows(admin)
    save_view(admin, "Os Silva")
    assert "Os Silva" in admin.locator("#current-view").inner_text()
    admin.goto(live.url + LIST + "?search=Santos")
    save_view(admin, "Os Santos", shared=True)
    admin.goto(live.url + LIST + "?view=0")
    assert sorted(view_names(admin)) == ["Os Santos", "Os Silva"]
    open_panel(admin, "saved-views-link", "saved-views")
    admin.click(".saved-view > a:text('Os Silva')")
    admin.wait_for_url("**search=Silva**")
    assert rows(admin) == silva
    reader.goto(live.url + LIST)
    assert view_names(reader) == ["Os Santos"]


def test_a_default_view_opens_the_list_and_goes_in_one_click(admin, live):
    admin.goto(live.url + LIST + "?search=Oliveira")
    save_view(admin, "Os Oliveira", default=True)
    admin.goto(live.url + LIST)
    admin.wait_for_url("**search=Oliveira**")
    assert "padrão" in admin.locator("#current-view").inner_text()
    with admin.expect_navigation():
        admin.click("#clear-default")
    admin.goto(live.url + LIST)
    assert "search=" not in admin.url
    assert admin.locator("#current-view").count() == 0


def test_a_view_is_removed_by_its_owner(admin, live):
    admin.goto(live.url + LIST + "?view=0")
    open_panel(admin, "saved-views-link", "saved-views")
    row = admin.locator(".saved-view", has=admin.locator("a:text('Os Silva')"))
    with admin.expect_navigation():
        row.locator("button:text('Remover')").click()
    assert "Os Silva" not in view_names(admin)


def test_the_columns_chosen_are_the_columns_shown(admin, live):
    admin.goto(live.url + LIST + "?view=0")
    assert admin.locator("td.col-document").count() > 0
    open_panel(admin, "columns-link", "column-chooser")
    admin.uncheck("#column-document")
    with admin.expect_navigation():
        admin.click("#column-chooser button[value=save]")
    assert admin.locator("td.col-document").count() == 0
    assert admin.locator("th.col-document").count() == 0
    open_panel(admin, "columns-link", "column-chooser")
    with admin.expect_navigation():
        admin.click("#column-chooser button[value=reset]")
    assert admin.locator("td.col-document").count() > 0


def test_the_page_box_jumps_to_a_page(admin, live):
    admin.goto(live.url + "/admin/auditentry/?page_size=20")
    admin.fill("#page-box", "2")
    with admin.expect_navigation():
        admin.press("#page-box", "Enter")
    assert "goto=2" in admin.url
    assert "2" in admin.locator(".gestao-pager .active, .pagination .active").first.inner_text()


def test_nothing_went_wrong_in_the_browser(watcher):
    assert watcher.problems == []
