"""The queue's one task: run a job by its id (work.py), inside a Flask app context."""

from .queue import huey

#: The worker's app, set by `run_worker` (the web process hands over only the job's id).
#: Given, not built here: jobs/ imports nothing of the app factory that imports it.
_app = None


def flask_app():
    if _app is None:
        raise RuntimeError("jobs run in `python manage.py worker`, which sets their app")
    return _app


#: Where an app keeps the function that does a job's work (admin/job_work.py's `run`).
WORK = "gestao_job_work"


@huey.task()
def run_job(job_id: int, app=None) -> None:
    app = app or flask_app()
    with app.app_context():
        app.extensions[WORK](job_id)


def enqueue(job_id: int) -> None:
    """Hand the job to the worker; with `GESTAO_JOBS_INLINE` (the tests) run it at once in
    this process instead, in an app context of its own."""
    from flask import current_app

    if current_app.config.get("GESTAO_JOBS_INLINE"):
        run_job.call_local(job_id, current_app._get_current_object())
    else:
        run_job(job_id)


def run_worker(app, workers: int) -> None:
    """`python manage.py worker`: huey's consumer, its threads running jobs in `app`."""
    global _app
    _app = app
    huey.create_consumer(workers=workers, worker_type="thread").run()
