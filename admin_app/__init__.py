"""Gestão Admin: the back-office panel of Sistema de Gestão."""

import logging
from pathlib import Path

from flask import Flask, redirect, render_template, url_for
from flask_admin import Admin, helpers as admin_helpers
from flask_admin.theme import Bootstrap4Theme
from flask_security import SQLAlchemyUserDatastore
from flask_wtf.csrf import CSRFError
from sqlalchemy import text

from . import headers, metrics, page_language, signin, words
from .config import build_config
from .extensions import babel, csrf, db, enforce_foreign_keys, include_object, migrate, security
from .i18n import lazy_gettext, select_locale
from .rules import BusinessRuleError
from .signin import messages as signin_messages

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    """The only place an app is built; tests pass a mapping of overrides."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                instance_path=str(ROOT / "instance"))
    app.config.update(build_config(app.instance_path))
    app.config.update(config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    BusinessRuleError.word_with(words.rule_message)
    register_extensions(app)
    headers.init_app(app)
    page_language.init_app(app)
    metrics.init_app(app)
    signin.init_app(app)
    register_admin(app)
    register_routes(app)
    register_commands(app)
    app.add_template_filter(_datetime_filter, "datetime_short")
    return app


def register_extensions(app: Flask) -> None:
    from . import audit, models  # noqa: F401  (models and audit listeners registered)
    from .signin.forms import GestaoLoginForm, GestaoVerifyForm
    from .signin.two_factor import ReplayGuardTotp

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            enforce_foreign_keys(engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"),
                     render_as_batch=True, compare_type=True,
                     include_object=include_object)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    csrf.init_app(app)
    datastore = SQLAlchemyUserDatastore(db, models.User, models.Role)
    security._totp_cls = ReplayGuardTotp  # Security() takes it, init_app() does not
    security.init_app(app, datastore, login_form=GestaoLoginForm,
                      verify_form=GestaoVerifyForm)


def register_admin(app: Flask) -> None:
    from .admin.dashboard import DashboardView
    from .admin.history import HistoryView
    from .admin import job_work
    from .admin.jobs import JobsView
    from .jobs.tasks import WORK
    from .admin.migrations import MigrationsView
    from .admin.restore_views import RestoreView
    from .admin.saved_view_pages import SavedViewPages
    from .admin import error_summary
    from .admin.registry import register_model_views

    admin = Admin(
        app, name="Gestão Admin",
        theme=Bootstrap4Theme(base_template="admin/master.html", fluid=True),
        index_view=DashboardView(name=lazy_gettext("Dashboard"), url="/admin"),
        translations_path=str(Path(__file__).parent / "translations"),
        csp_nonce_generator=headers.csp_nonce,
    )
    register_model_views(app, admin)
    error_summary.init_app(app)
    admin.add_view(HistoryView(name=lazy_gettext("History"), endpoint="history",
                               url="/admin/history"))
    admin.add_view(RestoreView(name=lazy_gettext("Restore"), endpoint="restore",
                               url="/admin/restore"))
    admin.add_view(SavedViewPages(name=lazy_gettext("Saved views"), endpoint="listviews",
                                  url="/admin/listviews"))
    admin.add_view(MigrationsView())
    admin.add_view(JobsView())
    app.extensions[WORK] = job_work.run
    app.extensions["gestao_admin"] = admin

    @security.context_processor
    def security_context_processor():
        """Lets templates/security/ extend the admin master."""
        return dict(admin_base_template=admin.theme.base_template, admin_view=admin.index_view,
                    theme=admin.theme, h=admin_helpers, get_url=url_for)


def register_routes(app: Flask) -> None:
    from flask_babel import get_locale

    app.context_processor(lambda: {"get_locale": get_locale})

    @app.route("/")
    def home():
        return redirect(url_for("admin.index"))

    @app.route("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            return {"status": "ok", "database": "ok"}
        except Exception as exc:  # the database is down: say so, no stack trace
            log.warning("healthz: database check failed: %s", exc.__class__.__name__)
            return {"status": "error", "database": "unreachable"}, 503

    for error, code, title, message in ERROR_PAGES:
        app.register_error_handler(error, _error_page(code, title, message))


# (error, status, title, message) of the pages shown instead of Flask's defaults.
ERROR_PAGES = (
    (CSRFError, 400, lazy_gettext("The form expired"),
     lazy_gettext("The security token of the form is missing or expired. Reload the page and "
                  "try again; nothing was changed.")),
    (403, 403, lazy_gettext("Access denied"),
     lazy_gettext("Your role does not allow this page or action.")),
    (404, 404, lazy_gettext("Page not found"),
     lazy_gettext("The page or record does not exist.")),
    (413, 413, lazy_gettext("File too big"),
     lazy_gettext("The file sent is bigger than the import allows (GESTAO_IMPORT_MAX_MB); "
                  "nothing was changed. Split it into smaller files.")),
    (429, 429, signin_messages.TOO_MANY_REQUESTS, signin_messages.TOO_MANY_REQUESTS_TEXT),
    (500, 500, lazy_gettext("Something went wrong"),
     lazy_gettext("The error was logged. Nothing was changed.")),
)


def _error_page(code: int, title, message):
    """A handler rendering the panel-styled error page, in the user's language."""
    def handler(error):
        return render_template("errors/error.html", code=code, title=str(title),
                               message=str(message)), code
    return handler


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def _datetime_filter(value):
    from flask_babel import format_datetime

    return format_datetime(value, "short") if value else ""
