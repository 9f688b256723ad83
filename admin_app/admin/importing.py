"""The "Importar" screens of a list: upload, preview, apply (transfer/ does the work).

The preview writes nothing but the import's record and a copy of the file; applying reads
that copy again, previews it again in the apply's transaction, and refuses when the result
differs from what the user saw (a record changed meanwhile). A file of more than
`GESTAO_JOB_ROWS` lines is previewed and applied by the worker (jobs/), the page following
its progress. Editors and administrators only, CSRF on both POSTs (Flask-WTF), the file
size limited before it is read.
"""

import json
import secrets
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_security import current_user

from admin_app.extensions import db
from admin_app.i18n import gettext
from admin_app.jobs import tasks
from admin_app.models.jobs import IMPORT_APPLY, IMPORT_PREVIEW, Job
from admin_app.models.transfer import APPLIED, PREVIEWED, UNDONE, ImportRun
from admin_app.transfer import apply as applying, entities, plan as planning, reading, words

#: Lines shown on the preview page (every error is listed whatever the count).
SHOWN_LINES = 500
#: Imports into the list shown on its import page, newest first, each undoable.
RECENT_IMPORTS = 5


def import_dir() -> Path:
    configured = current_app.config.get("GESTAO_IMPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_report(run: ImportRun, plan) -> dict:
    report = plan.report(SHOWN_LINES)
    (import_dir() / f"{run.id}.json").write_text(json.dumps(report), encoding="utf-8")
    return report


def load_report(run: ImportRun) -> dict | None:
    path = import_dir() / f"{run.id}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def render_preview(view, run: ImportRun, report: dict):
    return view.render("admin/gestao/import_preview.html", report=report, run=run,
                       shown=SHOWN_LINES, status_labels=words.STATUS_LABELS)


def apply_stored(view, run: ImportRun, user_id, actor: str, progress=None) -> None:
    """Preview the kept file again and apply it if nothing changed since the preview the
    user saw; the kept file is removed either way. Raises ImportRefused or FileProblem."""
    path = import_dir() / run.stored_file
    try:
        plan = view._preview(run.file_name, path.read_bytes(), progress)
        if plan.digest() != run.digest:
            raise applying.ImportRefused(gettext(
                "Records of this file changed since the preview; nothing was imported. "
                "Send the file again to see the new preview."))
        applying.apply(view, plan, run, user_id, actor, progress)
    finally:
        path.unlink(missing_ok=True)


def start_job(kind: str, entity: str, **fields) -> Job:
    job = Job(kind=kind, entity=entity, user_id=current_user.id, **fields)
    db.session.add(job)
    db.session.commit()
    tasks.enqueue(job.id)
    return job


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
                           max_rows=current_app.config["GESTAO_IMPORT_MAX_ROWS"],
                           recent=self._recent_imports()), status

    def _recent_imports(self) -> list[ImportRun]:
        """The list's last applied (or undone) imports: "Desfazer" on the import page."""
        return db.session.scalars(
            db.select(ImportRun).where(ImportRun.entity == self.endpoint,
                                       ImportRun.status.in_((APPLIED, UNDONE)))
            .order_by(ImportRun.created_at.desc(), ImportRun.id.desc())
            .limit(RECENT_IMPORTS)).all()

    def _check_import_access(self):
        if not self.can_import():
            abort(404 if self.endpoint not in entities.IMPORTABLE else 403)

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        self._check_import_access()
        if request.method == "GET":
            return self._import_page()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._import_page(gettext("Choose a file to import."), 400)
        config = current_app.config
        with upload.stream:  # a big upload is spooled to a temporary file: closed here
            data = upload.read(config["GESTAO_IMPORT_MAX_MB"] * 1024 * 1024 + 1)
        try:
            table = reading.read(upload.filename, data, config["GESTAO_IMPORT_MAX_ROWS"],
                                 config["GESTAO_IMPORT_MAX_MB"])
            big = len(table.rows) > config["GESTAO_JOB_ROWS"]
            plan = None if big else planning.Planner(self).plan(upload.filename, table)
        except reading.FileProblem as problem:
            db.session.rollback()
            return self._import_page(str(problem), 400)
        run = ImportRun(user_id=current_user.id, actor=current_user.email, entity=self.endpoint,
                        file_name=upload.filename[:255], status=PREVIEWED, rows=len(table.rows))
        if plan is not None:
            applying.count_preview(run, plan)
        db.session.add(run)
        db.session.flush()
        if big or plan.ok:
            suffix = Path(upload.filename).suffix.lower()
            run.stored_file = f"{run.id}-{secrets.token_hex(8)}{suffix}"
            (import_dir() / run.stored_file).write_bytes(data)
        db.session.commit()
        if big:
            job = start_job(IMPORT_PREVIEW, self.endpoint, import_id=run.id)
            return redirect(url_for("jobs.job_page", job_id=job.id))
        return render_preview(self, run, save_report(run, plan))

    @expose("/import/<int:run_id>/apply", methods=("POST",))
    def import_apply(self, run_id):
        self._check_import_access()
        run = db.session.get(ImportRun, run_id)
        if run is None or run.entity != self.endpoint or run.user_id != current_user.id:
            abort(404)
        back = url_for(".import_view")
        if run.status != PREVIEWED or not run.stored_file or not run.digest:
            flash(gettext("This import was already applied or cannot be applied."), "error")
            return redirect(back)
        if run.rows > current_app.config["GESTAO_JOB_ROWS"]:
            job = start_job(IMPORT_APPLY, self.endpoint, import_id=run.id,
                            args={"actor": current_user.email})
            return redirect(url_for("jobs.job_page", job_id=job.id))
        try:
            apply_stored(self, run, current_user.id, current_user.email)
        except (reading.FileProblem, OSError, applying.ImportRefused) as problem:
            db.session.rollback()
            applying.mark_failed(run.id, str(problem))
            flash(str(problem), "error")
            return redirect(back)
        flash(gettext("Import no. %(id)d applied: %(new)d new, %(changed)d changed.",
                      id=run.id, new=run.created, changed=run.changed), "success")
        return redirect(url_for(".index_view"))

    def _preview(self, file_name: str, data: bytes, progress=None):
        config = current_app.config
        return planning.preview(self, file_name, data, config["GESTAO_IMPORT_MAX_ROWS"],
                                config["GESTAO_IMPORT_MAX_MB"], progress)
