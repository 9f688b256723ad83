"""A background job's page: its progress, updated live (static/gestao.js polls
`status.json`), then its result: an import's preview, an applied import, an export's file.
Only the person who started it (or an administrator) sees it; the others get 404."""

import time

from flask import abort, jsonify, send_file, url_for
from flask_admin import BaseView, expose
from flask_security import current_user
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.formats import short_datetime
from admin_app.i18n import lazy_gettext as _l
from admin_app.jobs import queue
from admin_app.models.jobs import DONE, EXPORT, FAILED, IMPORT_PREVIEW, QUEUED, RUNNING, Job
from admin_app.models.transfer import ImportRun
from admin_app.transfer.export import XLSX_MIMETYPE

from . import access, job_work as work
from .importing import load_report, render_preview

STATUS_LABELS = {QUEUED: _l("Waiting for the worker"), RUNNING: _l("Running"),
                 DONE: _l("Done"), FAILED: _l("Failed")}
WORKER_GONE = _l("The worker stopped before finishing; nothing was written. Start it again "
                 "and repeat the operation.")


class JobsView(access.Gated, BaseView):
    def __init__(self, **kwargs):
        super().__init__(name=_l("Jobs"), endpoint="jobs", url="/admin/jobs", **kwargs)

    def is_visible(self):
        return False

    def is_accessible(self):
        return access.user_has_role(access.EVERYONE)

    def _job(self, job_id: int) -> Job:
        job = db.session.get(Job, job_id)
        mine = job is not None and (job.user_id == current_user.id
                                    or access.user_has_role(access.ADMINS))
        if not mine:
            abort(404)
        check_alive(job)
        return job

    @expose("/")
    def index(self):
        """The person's own latest jobs."""
        jobs = db.session.scalars(select(Job).where(Job.user_id == current_user.id)
                                  .order_by(Job.created_at.desc(), Job.id.desc()).limit(20))
        rows = [(job, short_datetime(job.created_at)) for job in jobs]
        return self.render("admin/jobs.html", rows=rows, status_labels=STATUS_LABELS)

    @expose("/<int:job_id>/")
    def job_page(self, job_id):
        job = self._job(job_id)
        if job.status == DONE and job.kind == IMPORT_PREVIEW:
            run = db.session.get(ImportRun, job.import_id)
            report = load_report(run) if run is not None else None
            if report is not None:
                view = work.screen(job.entity)
                return render_preview(view, run, report)
        return self.render("admin/job.html", job=job, state=state(job),
                           status_labels=STATUS_LABELS,
                           list_url=url_for(f"{job.entity}.index_view"))

    @expose("/<int:job_id>/status.json")
    def job_status(self, job_id):
        response = jsonify(state(self._job(job_id)))
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/<int:job_id>/download")
    def download(self, job_id):
        job = self._job(job_id)
        if job.kind != EXPORT or job.status != DONE or not job.result_file:
            abort(404)
        path = work.export_dir() / job.result_file
        if not path.exists():
            abort(404)
        mimetype = "text/csv" if path.suffix == ".csv" else XLSX_MIMETYPE
        return send_file(path, mimetype=mimetype, as_attachment=True,
                         download_name=job.result_file.split("-", 1)[1])


def check_alive(job: Job) -> None:
    """A running job whose worker stopped reporting is marked failed (its transaction
    died with the worker: nothing it did is in the database)."""
    if job.status != RUNNING:
        return
    reported = queue.progress(job.id)
    if reported is not None and time.time() - reported[2] > queue.STALE_SECONDS:
        work.fail(job.id, str(WORKER_GONE))
        db.session.refresh(job)


def state(job: Job) -> dict:
    reported = queue.progress(job.id) if job.status == RUNNING else None
    done, total = (reported[0], reported[1]) if reported else (job.rows or 0, job.rows or 0)
    percent = 100 if job.status == DONE else (int(100 * done / total) if total else 0)
    return {"id": job.id, "status": job.status, "label": str(STATUS_LABELS[job.status]),
            "done": done, "total": total, "percent": percent, "message": job.message,
            "finished": job.status in (DONE, FAILED),
            "page": url_for("jobs.job_page", job_id=job.id)}
