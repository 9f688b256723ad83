"""The "Migrações" page: every environment's Alembic revision, state and pending
migrations, and the history as a matrix of revisions × environments. Administrators only;
``status.json`` is the same report for monitoring.

All the work is in ``admin_app.ops``; this view only checks access and renders.
"""

from flask import current_app, jsonify
from flask_admin import BaseView, expose

from admin_app.i18n import lazy_gettext as _l
from admin_app.ops.codes import (APPLIED, CURRENT, MULTIPLE_HEADS, NOT_APPLIED, NOT_INITIALIZED,
                                 PENDING, STATES, UNKNOWN, UNKNOWN_REVISION, UNREACHABLE,
                                 UP_TO_DATE)
from admin_app.ops import plan_text
from admin_app.ops.findings import ATTENTION, DANGEROUS
from admin_app.ops.plan import REFUSE, SAFE, WARNINGS, plans_for
from admin_app.ops.status import migrations_dir, report_for_app
from admin_app.ops.status_json import report_json
from admin_app.ops.text import integrity_label, rollback_label, rollback_words, state_label

from . import access
from .options.auth import ADMINISTRATION

#: Bootstrap 4 badge class per state.
BADGES = {UP_TO_DATE: "success", PENDING: "warning", UNKNOWN_REVISION: "danger",
          NOT_INITIALIZED: "secondary", MULTIPLE_HEADS: "info", UNREACHABLE: "dark"}
MARK_LABELS = {CURRENT: _l("current"), APPLIED: _l("applied"), NOT_APPLIED: _l("pending"),
               UNKNOWN: _l("unknown")}
MARK_BADGES = {CURRENT: "primary", APPLIED: "success", NOT_APPLIED: "warning",
               UNKNOWN: "light"}
#: Bootstrap 4 badge class per finding level and per plan verdict.
LEVEL_BADGES = {DANGEROUS: "danger", ATTENTION: "warning"}
VERDICT_BADGES = {REFUSE: "danger", WARNINGS: "warning", SAFE: "success"}


def plans(report) -> dict:
    """Each environment's plan (ops/plan.py: built in a scratch database, then cached)."""
    return plans_for(report, migrations_dir(current_app))


class MigrationsView(access.Gated, BaseView):
    def __init__(self, name=_l("Migrations"), category=ADMINISTRATION, endpoint="migrations",
                 url="/admin/migrations", **kwargs):
        super().__init__(name=name, category=category, endpoint=endpoint, url=url, **kwargs)

    def is_accessible(self):
        return access.user_has_role(access.ADMINS)

    def is_visible(self):
        return self.is_accessible()

    @expose("/")
    def index(self):
        report = report_for_app(current_app)
        planned = plans(report)
        legend = [(state, BADGES[state],
                   _l("N pending") if state == PENDING else state_label(state))
                  for state in STATES]
        return self.render("admin/migrations.html", report=report, legend=legend,
                           mark_labels=MARK_LABELS, mark_badges=MARK_BADGES,
                           integrity_label=integrity_label, badges=BADGES,
                           rollback_label=rollback_label, rollback_words=rollback_words,
                           plans=planned, plan_text=plan_text, level_badges=LEVEL_BADGES,
                           verdict_badges=VERDICT_BADGES)

    @expose("/status.json")
    def status_json(self):
        report = report_for_app(current_app)
        response = jsonify(report_json(report, plans(report)))
        response.headers["Cache-Control"] = "no-store"
        return response
