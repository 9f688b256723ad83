"""Per-object history: the audit entries of one record, newest first, in words.

Reached by the "Histórico" link on every edit and details screen; each earlier version
links to its restore (admin/restore_views.py). Administrators see any
record's history; editors the history of the business records they may change; readers none.
"""

from datetime import date, datetime
from decimal import Decimal

from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy import Date, DateTime, Numeric, and_, inspect, or_, select

from admin_app import formats
from admin_app.extensions import db
from admin_app.i18n import lazy_gettext as _l
from admin_app.models import AuditEntry

from . import access
from .screens import screens
from .trash import deleted_entries
from .versions import restorable_versions

ACTION_LABELS = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}
HISTORY_LIMIT = 200
SUMMARY_FIELDS = 3


def view_for_entity(entity: str):
    """The screen of a model name as the audit trail writes it (`Customer`), or None."""
    return screens().by_model_name.get(entity)


def may_see_history(view) -> bool:
    if access.user_has_role(access.ADMINS):
        return True
    return view is not None and view.allowed("list") and access.user_has_role(view.write_roles) \
        and view.write_roles != access.ADMINS


def _relationship_for(view, field: str):
    """The many-to-one relationship a foreign-key column belongs to, if any."""
    if view is None:
        return None
    for rel in inspect(view.model).relationships:
        if rel.direction.name == "MANYTOONE" and any(c.key == field for c in rel.local_columns):
            return rel
    return None


def field_label(view, field: str) -> str:
    labels = (getattr(view, "column_labels", None) or {}) if view is not None else {}
    rel = _relationship_for(view, field)
    if rel is not None and rel.key in labels:
        return str(labels[rel.key])
    return str(labels.get(field, field.replace("_", " ").capitalize()))


def _display(view, field: str, value):
    """A stored value as the screens show it: choice labels, related records by name."""
    if value is None:
        return "—"
    choices = dict((getattr(view, "form_choices", None) or {}).get(field, []))
    if value in choices:
        return str(choices[value])
    rel = _relationship_for(view, field)
    if rel is not None:
        related = db.session.get(rel.mapper.class_, value)
        return str(related) if related is not None else f"#{value}"
    column = inspect(view.model).columns.get(field) if view is not None else None
    if column is not None and isinstance(value, str):
        return _format_typed(column.type, value)
    return _text(value)


def load_referenced(entries) -> list:
    """Load, one query per related model, every record the entries' changes point to, so
    that showing a page of the audit trail by name does not cost a query per value. Keep
    the returned list while rendering: the session only holds its records weakly."""
    wanted: dict[type, set] = {}
    for entry in entries:
        view = view_for_entity(entry.entity)
        for field, change in (entry.changes or {}).items():
            rel = _relationship_for(view, field) if isinstance(change, dict) else None
            if rel is None:
                continue
            for value in (change.get("old"), change.get("new")):
                if isinstance(value, int):
                    wanted.setdefault(rel.mapper.class_, set()).add(value)
    loaded = []
    for model, ids in wanted.items():
        pk = inspect(model).primary_key[0]
        loaded += db.session.scalars(select(model).where(pk.in_(sorted(ids)))).all()
    return loaded


def _format_typed(column_type, value: str) -> str:
    """Audit values are stored as text (ISO dates, decimal strings); show them localised."""
    try:
        if isinstance(column_type, DateTime):
            return formats.short_datetime(datetime.fromisoformat(value))
        if isinstance(column_type, Date):
            return formats.short_date(date.fromisoformat(value))
        if isinstance(column_type, Numeric):
            number = Decimal(value)
            if column_type.scale == 2:
                return formats.money(number)
            return formats.quantity(number)
    except (ValueError, ArithmeticError):
        pass
    return value


def readable_changes(view, changes: dict | None) -> list[dict]:
    """[{label, old, new, secret}] for a template: labels from the screen, values as text."""
    rows = []
    for field, change in (changes or {}).items():
        if field == "id":
            continue
        rows.append({"label": field_label(view, field),
                     "old": _display(view, field, change.get("old")),
                     "new": _display(view, field, change.get("new")),
                     "secret": change.get("secret", False)})
    return rows


def record_entries(entity: str, object_id: str, newest_first: bool = False,
                   limit: int | None = None) -> list[AuditEntry]:
    """One record's audit entries (its versions), oldest or newest first."""
    order = (AuditEntry.created_at.desc(), AuditEntry.id.desc()) if newest_first \
        else (AuditEntry.created_at, AuditEntry.id)
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.object_id == object_id)
        .order_by(*order).limit(limit)).all()


def summary(view, entry: AuditEntry) -> str:
    """What a deleted record held, in a few of its fields (secrets left out)."""
    shown = []
    for field, change in (entry.changes or {}).items():
        if field == "id" or change.get("secret") or change.get("old") is None:
            continue
        shown.append(f"{field_label(view, field)}: {_display(view, field, change['old'])}")
        if len(shown) == SUMMARY_FIELDS:
            break
    return " · ".join(shown)


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


class RecordPages(access.SignedInPages, BaseView):
    """Pages about one record or one screen's records (history, trash, restores). Their
    index is the whole trail, on the audit screen."""

    @expose("/")
    def index(self):
        return redirect(url_for("auditentry.index_view"))


class HistoryView(RecordPages):

    @expose("/<entity>/<object_id>/")
    def object_history(self, entity, object_id):
        view = view_for_entity(entity)
        if view is None:
            abort(404)
        if not may_see_history(view):
            abort(403)
        entries = record_entries(entity, object_id, newest_first=True, limit=HISTORY_LIMIT)
        items = [{"entry": e, "action": str(ACTION_LABELS.get(e.action, e.action)),
                  "changes": readable_changes(view, e.changes)} for e in entries]
        record = view.get_one(object_id)
        restorable = restorable_versions(entries, getattr(record, "version", None)) \
            if record is not None and view.allowed("edit") else set()
        deleted = record is None and bool(entries) and entries[0].action == "delete" \
            and view.allowed("create")
        return self.render("admin/history.html", items=items, model_view=view,
                           object_id=object_id, restorable=restorable, deleted=deleted)

    @expose("/<entity>/trash/")
    def trash(self, entity):
        """The screen's deleted records (its "Lixeira"): admin/trash.py."""
        view = view_for_entity(entity)
        if view is None:
            abort(404)
        if not may_see_history(view):
            abort(403)
        search = request.args.get("q", "").replace("\x00", "")[:200]  # PostgreSQL refuses NUL
        page = _page_number(request.args.get("page", ""))
        entries, more = deleted_entries(view, search, page)
        items = [{"entry": e, "summary": summary(view, e)} for e in entries]
        return self.render("admin/trash.html", items=items, model_view=view, search=search,
                           page=page, more=more, may_restore=view.allowed("create"))


def _page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) <= 6 else 0


def last_change(records: list[tuple[str, object]]) -> AuditEntry | None:
    """The newest audit entry of any of the (entity, object id) pairs."""
    if not records:
        return None
    conditions = [and_(AuditEntry.entity == entity, AuditEntry.object_id == str(object_id))
                  for entity, object_id in records]
    return db.session.scalar(
        select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.id.desc()).limit(1))
