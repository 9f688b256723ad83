"""The browser and the served app the real-browser tests share (test_browser.py,
test_accessibility.py): Debian's headless chromium, and the app on a real server with its
SQLite database migrated and seeded with the demo data, plus an administrator and a reader.
Module-scoped fixtures: import them into a test module to use them."""

import logging
import warnings
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from admin_app import create_app
from admin_app.cli import ensure_roles
from admin_app.demo import seed_demo
from admin_app.admin.screens import screens
from admin_app.extensions import db
from admin_app.models import Customer
from tests.helpers.auth import PASSWORD, make_user
from tests.helpers.browser import CHROMIUM_ARGS, LiveServer, chromium_path, unavailable
from tests.helpers.config import TEST_CONFIG

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ADMIN = "admin@navegador.com.br"
READER = "leitura@navegador.com.br"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium; a skip (or, in CI, a failure) when it cannot run here."""
    executable = chromium_path()
    try:
        from playwright.sync_api import Error as PlaywrightError, sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except PlaywrightError as exc:
        playwright.stop()
        unavailable(f"chromium at {executable} does not start: {exc.message.splitlines()[0]}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="module")
def live(browser, make_database, tmp_path_factory):
    """The app on a real server, its SQLite database migrated and seeded, plus two users."""
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # no log line per request
    environments = tmp_path_factory.mktemp("environments") / "environments.toml"
    with warnings.catch_warnings():
        # pygal (imported by the dashboard) puts a finder without find_spec() on the import
        # path; Flask-Admin's optional import of flask_sqlalchemy_lite then raises an
        # ImportWarning, an error under the suite's `filterwarnings = error` when this module
        # runs alone (nothing imported Flask-Admin's SQLAlchemy views before pygal).
        warnings.simplefilter("ignore", ImportWarning)
        app = create_app({
            **TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": make_database("sqlite"),
            "GESTAO_ENVIRONMENTS": str(environments),
            # Static files cacheable, as behind a production server: each one is still
            # fetched (and checked by the watcher) once per browser context.
            "SEND_FILE_MAX_AGE_DEFAULT": 3600})
    with app.app_context():
        upgrade()
        ensure_roles()
        seed_demo()
        make_user(ADMIN, "admin")
        make_user(READER, "reader")
        db.session.remove()
    server = LiveServer(app).start()
    ARTIFACTS.mkdir(exist_ok=True)
    yield Live(app, server.url)
    server.stop()
    werkzeug_log.setLevel(werkzeug_level)


class Live:
    def __init__(self, app, url):
        self.app, self.url = app, url

    def query(self, statement):
        with self.app.app_context():
            try:
                return db.session.execute(statement).all()
            finally:
                db.session.remove()


def admin_may(view, write: str) -> bool:
    return write in view.writes and "admin" in view.write_roles


def main_pages(served) -> list[str]:
    """Every page the issue names, as URLs of the served demo database."""
    with served.app.app_context():
        urls = ["/admin/", "/admin/auditentry/", "/admin/migrations/"]
        for view in screens(served.app).by_endpoint.values():
            base = f"/admin/{view.endpoint}/"
            urls.append(base)
            record = served.query(select(view.model).limit(1))
            if admin_may(view, "create"):
                urls.append(base + "new/")
            if record:
                pk = view.get_pk_value(record[0][0])
                urls.append(f"{base}details/?id={pk}")
                if admin_may(view, "edit"):
                    urls.append(f"{base}edit/?id={pk}")
        customer = served.query(select(Customer.id).limit(1))[0][0]
        urls += [f"/admin/history/Customer/{customer}/", "/admin/history/Customer/trash/",
                 "/admin/customer/import/", "/admin/jobs/"]
    return urls


def signed_in(browser, live, email: str, **options):
    """A new browser profile (pt-BR, desktop size unless `options` say otherwise) signed in
    through the login form as `email`: (context, page), the page on the dashboard."""
    context = browser.new_context(**{"locale": "pt-BR",
                                     "viewport": {"width": 1366, "height": 900}, **options})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live.url + "/admin/")
    return context, page
