"""Per-object history: the audit entries of one record, newest first, in words.

Reached by the "Histórico" link on every edit and details screen. Administrators see any
record's history; editors the history of the business records they may change; readers none.
"""

from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_security import current_user
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.i18n import lazy_gettext as _l
from admin_app.models import AuditEntry

from . import access

ACTION_LABELS = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}
HISTORY_LIMIT = 200


def view_for_entity(entity: str):
    from flask import current_app

    admin = current_app.extensions["gestao_admin"]
    for view in admin._views:
        if getattr(view, "model", None) is not None and view.model.__name__ == entity:
            return view
    return None


def may_see_history(view) -> bool:
    if access.user_has_role(access.ADMINS):
        return True
    return view is not None and view.allowed("list") and access.user_has_role(view.write_roles) \
        and view.write_roles != access.ADMINS


def field_label(view, field: str) -> str:
    labels = (getattr(view, "column_labels", None) or {}) if view is not None else {}
    return str(labels.get(field, field.replace("_", " ").capitalize()))


def readable_changes(view, changes: dict | None) -> list[dict]:
    """[{label, old, new, secret}] for a template: labels from the screen, values as text."""
    rows = []
    for field, change in (changes or {}).items():
        if field == "id":
            continue
        rows.append({"label": field_label(view, field), "old": _text(change.get("old")),
                     "new": _text(change.get("new")), "secret": change.get("secret", False)})
    return rows


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


class HistoryView(BaseView):
    def is_visible(self):
        return False

    def is_accessible(self):
        return current_user.is_authenticated and current_user.active

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("security.login", next=request.full_path.rstrip("?")))
        return None

    @expose("/")
    def index(self):
        """The whole trail lives on the audit screen."""
        return redirect(url_for("auditentry.index_view"))

    @expose("/<entity>/<object_id>/")
    def object_history(self, entity, object_id):
        view = view_for_entity(entity)
        if view is None:
            abort(404)
        if not may_see_history(view):
            abort(403)
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == entity,
                                     AuditEntry.object_id == object_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(HISTORY_LIMIT)
        ).all()
        items = [{"entry": e, "action": str(ACTION_LABELS.get(e.action, e.action)),
                  "changes": readable_changes(view, e.changes)} for e in entries]
        return self.render("admin/history.html", items=items, model_view=view,
                           object_id=object_id)


def last_change(entity: str, object_id) -> AuditEntry | None:
    return db.session.scalar(
        select(AuditEntry).where(AuditEntry.entity == entity,
                                 AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id.desc()).limit(1))
