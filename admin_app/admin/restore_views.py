"""The restore pages: "Restaurar esta versão" (a confirmation, field by field, then a POST)
from a record's history, "Restaurar" (a POST) from a screen's trash, and "Desfazer" (a
POST) of an import from the list's import page.

Who may: whoever may see the record's history and edit it (an earlier version) or create
it (a deleted record), or import into it (an import) — editors the business records,
administrators everything; users and roles need a fresh password, as editing them does.
Every restore is a POST with CSRF."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from admin_app.extensions import db
from admin_app.models import ImportRun

from . import access
from .history import RecordPages, may_see_history, view_for_entity
from .restore_deleted import restore_deleted
from .restore_text import (IMPORT_UNDONE, NEW_PASSWORD_NEEDED, RESTORED_DELETED,
                           RESTORED_VERSION, RESTORED_WITH_CHILDREN, SECRETS_NOT_RESTORED,
                           UNKNOWN_FIELDS, RestoreRefused)
from .restore_version import prepare, record_for_version, restore_version
from .screens import screens
from .undo_import import undo_import


def may_restore(view, write: str) -> bool:
    """`write`: "edit" for an earlier version, "create" for a deleted record."""
    return view is not None and may_see_history(view) and view.allowed(write)


def may_undo_import(view) -> bool:
    """Undoing an import creates, changes and deletes records of its list."""
    return may_restore(view, "edit") and view.allowed("create") and view.allowed("delete")


def history_url(view, object_id) -> str:
    return url_for("history.object_history", entity=view.model.__name__, object_id=object_id)


class RestoreView(RecordPages):
    def _screen(self, entity: str, write: str):
        view = view_for_entity(entity)
        if view is None:
            abort(404)
        if not may_restore(view, write):
            abort(403)
        return view

    def _fresh_sign_in(self, view):
        if view.writes_need_fresh_sign_in:
            back = request.full_path.rstrip("?") if request.method == "GET" else \
                url_for("history.trash", entity=view.model.__name__)
            return access.fresh_sign_in_or_verify(back)
        return None

    @expose("/<entity>/<object_id>/version/<int:number>/", methods=("GET", "POST"))
    def version(self, entity, object_id, number):
        view = self._screen(entity, "edit")
        refused = self._fresh_sign_in(view)
        if refused is not None:
            return refused
        try:
            model = record_for_version(view, object_id)
        except RestoreRefused as refusal:
            flash(str(refusal), "error")
            return redirect(url_for("history.trash", entity=entity))
        try:
            if request.method == "POST":
                restore_version(view, model, number, request.form.get("version", ""))
                flash(str(RESTORED_VERSION % {"record": model, "number": number,
                                              "now": model.version}), "success")
                return redirect(history_url(view, object_id))
            plan = prepare(view, model, number)
        except RestoreRefused as refusal:
            flash(str(refusal), "error")
            return redirect(self._where_to_restore_first(refusal) or
                            history_url(view, object_id))
        notes = []
        if plan.unknown:
            notes.append(str(UNKNOWN_FIELDS % {"fields": ", ".join(plan.unknown)}))
        if plan.secrets:
            notes.append(str(SECRETS_NOT_RESTORED % {"fields": ", ".join(plan.secrets)}))
        return self.render("admin/restore_version.html", plan=plan, model_view=view,
                           record=model, object_id=object_id, notes=notes,
                           back=history_url(view, object_id))

    @expose("/<entity>/<object_id>/", methods=("POST",))
    def deleted(self, entity, object_id):
        view = self._screen(entity, "create")
        refused = self._fresh_sign_in(view)
        if refused is not None:
            return refused
        try:
            result = restore_deleted(view, object_id)
        except RestoreRefused as refusal:
            flash(str(refusal), "error")
            return redirect(self._where_to_restore_first(refusal) or
                            url_for("history.trash", entity=entity))
        record = result.record
        if result.children:
            flash(str(RESTORED_WITH_CHILDREN % {"record": record, "id": object_id,
                                                "count": len(result.children)}), "success")
        else:
            flash(str(RESTORED_DELETED % {"record": record, "id": object_id}), "success")
        if result.secrets:
            flash(str(NEW_PASSWORD_NEEDED), "warning")
        return redirect(history_url(view, object_id))

    @expose("/import/<int:run_id>/", methods=("POST",))
    def import_run(self, run_id):
        run = db.session.get(ImportRun, run_id)
        view = screens().by_endpoint.get(run.entity) if run is not None else None
        if view is None:
            abort(404)
        if not may_undo_import(view):
            abort(403)
        try:
            done = undo_import(view, run)
        except RestoreRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash(str(IMPORT_UNDONE % {"id": run_id, "deleted": done.deleted,
                                       "reverted": done.reverted}), "success")
        return redirect(url_for(view.endpoint + ".import_view"))

    @staticmethod
    def _where_to_restore_first(refusal: RestoreRefused) -> str | None:
        """The trash holding the record to restore first, found, when the user may use it."""
        if refusal.restore_first:
            target_entity, target_id = refusal.restore_first
            if may_restore(view_for_entity(target_entity), "create"):
                return url_for("history.trash", entity=target_entity, q=target_id)
        return None
