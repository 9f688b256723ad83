"""Accessibility, as a screen reader and a keyboard user meet the panel: axe-core (the engine
behind Lighthouse's audit, installed by `make axe` from tests/package.json) runs on every main
page in Debian's chromium, and any serious or critical violation fails.

The pages: login, dashboard, every list, the create and edit forms and details of every
screen that has them, a record's history, a trash, an import page, the audit trail,
migrations, users. The browser and the served app are the fixtures of tests/helpers/served.py
(as for test_browser.py); axe is injected into each page, so the context bypasses the
Content-Security-Policy for it (the CSP itself is tested in test_browser.py)."""

from pathlib import Path

import pytest

from tests.helpers.auth import PASSWORD
from tests.helpers.served import ADMIN, TIMEOUT_MS, main_pages, signed_in

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5), count: v.nodes.length}));
}"""


def axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make axe`", pytrace=False)
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in FAILING]


@pytest.fixture(scope="module")
def admin(browser, live):
    context = browser.new_context(locale="pt-BR", viewport={"width": 1366, "height": 900},
                                  bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(live.url + "/login")
    yield page, live
    context.close()


def test_login_page_has_no_serious_violation(admin):
    page, _live = admin
    assert page.get_attribute("html", "lang") == "pt-BR"
    assert axe_violations(page) == []
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def test_every_main_page_has_no_serious_violation(admin):
    page, served = admin
    assert_no_violation(page, served, main_pages(served))


def assert_no_violation(page, served, urls: list[str]) -> None:
    found = {}
    for url in urls:
        page.goto(served.url + url)
        assert page.get_attribute("html", "lang") == "pt-BR", url
        violations = axe_violations(page)
        if violations:
            found[url] = violations
    summary = {url: [(v["id"], v["count"], v["nodes"][:2]) for v in vs]
               for url, vs in found.items()}
    assert not found, summary


@pytest.fixture(scope="module")
def dark(browser, live):
    """The same pages with the system set to dark (the panel follows it: gestao.css)."""
    context, page = signed_in(browser, live, ADMIN, bypass_csp=True, color_scheme="dark")
    yield page, live
    context.close()


def test_dark_mode_follows_the_system_and_keeps_its_contrast(dark):
    page, served = dark
    page.goto(served.url + "/admin/customer/")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 25, 29)"
    assert_no_violation(page, served, ["/login"] + main_pages(served))


def test_open_panels_and_the_plus_modal_have_no_serious_violation(admin):
    """What the pages above hide until asked: a list's saved views and column chooser, a
    form's "+" modal with the related screen's form."""
    page, served = admin
    page.goto(served.url + "/admin/customer/?view=0")
    page.click("#saved-views-link")
    page.click("#columns-link")
    page.locator("#column-chooser").wait_for()
    assert axe_violations(page) == []
    page.goto(served.url + "/admin/order/new/")
    page.click(".quick-create-button[data-target=customer]")
    page.locator("#quick-create #quick-name").wait_for()
    assert axe_violations(page) == []
