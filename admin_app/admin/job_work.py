"""What the worker does for each kind of job, through the entity's screen, in the app's
context and the asking user's language. The app hands `run` to jobs/tasks.py (jobs/ knows
no screen). A job that raises is marked failed with its reason; an import's writes are one
transaction, so a failure, or a worker killed half-way, leaves the database as it was."""

import logging
from pathlib import Path

from flask import current_app

from admin_app.extensions import db
from admin_app.i18n import gettext
from admin_app.models.base import utcnow
from admin_app.models.jobs import DONE, EXPORT, FAILED, IMPORT_APPLY, IMPORT_PREVIEW, QUEUED, \
    RUNNING, Job
from admin_app.jobs import queue
from admin_app.models.transfer import FAILED as IMPORT_FAILED, ImportRun
from admin_app.transfer import apply as applying, export
from admin_app.transfer.reading import FileProblem

from .importing import apply_stored, import_dir, save_report
from .screens import screens

log = logging.getLogger(__name__)
REPORT_LINES = 500


class JobRefused(Exception):
    """The job cannot do its work; the message is for the person who asked."""


def export_dir() -> Path:
    configured = current_app.config.get("GESTAO_EXPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def screen(endpoint: str):
    view = screens().by_endpoint.get(endpoint)
    if view is None:
        raise JobRefused(f"unknown screen {endpoint}")
    return view


def run(job_id: int) -> None:
    job = db.session.get(Job, job_id)
    if job is None or job.status != QUEUED:
        return
    job.status = RUNNING
    db.session.commit()
    queue.report(job_id, 0, 0)
    args = dict(job.args or {})
    view = screen(job.entity)
    query = {"lang": args.get("lang", "pt_BR"), **(args.get("query") or {})}
    try:
        with current_app.test_request_context(view.url + "/", query_string=query):
            KINDS[job.kind](job, view, args, lambda done, total: queue.report(job_id, done,
                                                                              total))
    except Exception as problem:  # the job's outcome, whatever went wrong
        db.session.rollback()
        expected = isinstance(problem, (JobRefused, FileProblem, applying.ImportRefused))
        if not expected:
            log.exception("job %s failed", job_id)
        fail(job_id, str(problem) if expected else gettext(
            "The work stopped on an unexpected error; nothing was written."))
        return
    job = db.session.get(Job, job_id)
    job.status, job.finished_at = DONE, utcnow()
    db.session.commit()
    queue.forget(job_id)


def fail(job_id: int, reason: str) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    job.status, job.message, job.finished_at = FAILED, reason[:2000], utcnow()
    if job.import_id:
        run_row = db.session.get(ImportRun, job.import_id)
        if run_row is not None and run_row.status != "applied":
            run_row.status, run_row.message = IMPORT_FAILED, reason[:2000]
    db.session.commit()
    queue.forget(job_id)


def _import_preview(job, view, args, progress) -> None:
    run_row = db.session.get(ImportRun, job.import_id)
    data = (import_dir() / run_row.stored_file).read_bytes()
    plan = view._preview(run_row.file_name, data, progress)
    applying.count_preview(run_row, plan)
    save_report(run_row, plan)
    if not plan.ok:
        (import_dir() / run_row.stored_file).unlink(missing_ok=True)
        run_row.stored_file = None
    job.rows = len(plan.lines)
    db.session.commit()


def _import_apply(job, view, args, progress) -> None:
    run_row = db.session.get(ImportRun, job.import_id)
    apply_stored(view, run_row, job.user_id, args["actor"], progress)
    job = db.session.get(Job, job.id)
    job.rows = run_row.rows
    db.session.commit()


def _export(job, view, args, progress) -> None:
    total = int(args.get("total") or 0)
    _count, rows = view._export_data()
    name = f"{job.id}-{view.get_export_name(args['format'])}"
    target = export_dir() / name
    counted = export.Counted(rows, progress, total)
    if args["format"] == "csv":
        with open(target, "w", encoding="utf-8", newline="") as out:
            for chunk in export.csv_chunks(view, counted):
                out.write(chunk)
    else:
        export.write_xlsx(view, counted, target)
    job = db.session.get(Job, job.id)
    job.result_file, job.rows = name, counted.count
    db.session.commit()


KINDS = {IMPORT_PREVIEW: _import_preview, IMPORT_APPLY: _import_apply, EXPORT: _export}
