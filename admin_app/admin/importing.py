"""The "Importar" screens of a list: upload, preview, apply (transfer/ does the work).

The preview writes nothing but the import's record and a copy of the file; applying reads
that copy again, previews it again in the apply's transaction, and refuses when the result
differs from what the user saw (a record changed meanwhile). Editors and administrators
only, CSRF on both POSTs (Flask-WTF), the file size limited before it is read.
"""

import secrets
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_security import current_user

from admin_app.extensions import db
from admin_app.i18n import gettext
from admin_app.models.transfer import PREVIEWED, ImportRun
from admin_app.transfer import apply as applying, entities, plan as planning, reading, words

#: Lines shown on the preview page (every error is listed whatever the count).
SHOWN_LINES = 500


def import_dir() -> Path:
    configured = current_app.config.get("GESTAO_IMPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class ImportScreens:
    """Mixed into GestaoModelView: only the screens in entities.IMPORTABLE answer."""

    def can_import(self) -> bool:
        return self.endpoint in entities.IMPORTABLE and self.allowed("create") \
            and self.allowed("edit")

    def _import_page(self, problem=None, status=200):
        planner = planning.Planner(self)
        columns = [planner.columns.label(name) for name in planner.columns.names]
        required = [planner.columns.label(name) for name in planner.columns.required]
        key = entities.KEYS[self.endpoint]
        return self.render("admin/gestao/import.html", problem=problem, columns=columns,
                           required=required,
                           key=planner.columns.label(key.field) if key else None,
                           max_mb=current_app.config["GESTAO_IMPORT_MAX_MB"],
                           max_rows=current_app.config["GESTAO_IMPORT_MAX_ROWS"]), status

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        if not self.can_import():
            abort(404 if self.endpoint not in entities.IMPORTABLE else 403)
        if request.method == "GET":
            return self._import_page()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._import_page(gettext("Choose a file to import."), 400)
        data = upload.read(current_app.config["GESTAO_IMPORT_MAX_MB"] * 1024 * 1024 + 1)
        try:
            plan = self._preview(upload.filename, data)
        except reading.FileProblem as problem:
            db.session.rollback()
            return self._import_page(str(problem), 400)
        run = applying.record_preview(plan, current_user.id, current_user.email)
        if plan.ok:
            stored = f"{run.id}-{secrets.token_hex(8)}{Path(upload.filename).suffix.lower()}"
            (import_dir() / stored).write_bytes(data)
            run.stored_file, run.digest = stored, plan.digest()
        db.session.commit()
        return self.render("admin/gestao/import_preview.html", plan=plan, run=run,
                           lines=_shown(plan), shown=SHOWN_LINES,
                           status_labels=words.STATUS_LABELS)

    @expose("/import/<int:run_id>/apply", methods=("POST",))
    def import_apply(self, run_id):
        if not self.can_import():
            abort(404 if self.endpoint not in entities.IMPORTABLE else 403)
        run = db.session.get(ImportRun, run_id)
        if run is None or run.entity != self.endpoint or run.user_id != current_user.id:
            abort(404)
        back = url_for(".import_view")
        if run.status != PREVIEWED or not run.stored_file:
            flash(gettext("This import was already applied or cannot be applied."), "error")
            return redirect(back)
        path = import_dir() / run.stored_file
        try:
            plan = self._preview(run.file_name, path.read_bytes())
            if plan.digest() != run.digest:
                raise applying.ImportRefused(gettext(
                    "Records of this file changed since the preview; nothing was imported. "
                    "Send the file again to see the new preview."))
            applying.apply(self, plan, run, current_user.id, current_user.email)
        except (reading.FileProblem, OSError, applying.ImportRefused) as problem:
            db.session.rollback()
            applying.mark_failed(run.id, str(problem))
            flash(str(problem), "error")
            return redirect(back)
        finally:
            path.unlink(missing_ok=True)
        flash(gettext("Import no. %(id)d applied: %(new)d new, %(changed)d changed.",
                      id=run.id, new=run.created, changed=run.changed), "success")
        return redirect(url_for(".index_view"))

    def _preview(self, file_name: str, data: bytes):
        config = current_app.config
        return planning.preview(self, file_name, data, config["GESTAO_IMPORT_MAX_ROWS"],
                                config["GESTAO_IMPORT_MAX_MB"])


def _shown(plan):
    """The lines the page lists: every error, then the others up to SHOWN_LINES."""
    errors = [line for line in plan.lines if line.errors]
    others = [line for line in plan.lines if not line.errors and line.status != "unchanged"]
    return errors + others[:max(0, SHOWN_LINES - len(errors))]
