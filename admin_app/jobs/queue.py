"""The huey instance web and worker share, and each job's live progress.

Configured from the environment when imported, the same way in both processes: `REDIS_URL`
(redis://host:6379/0) for Redis, else a SQLite file (`GESTAO_JOBS_DB`, default
instance/jobs.db, which needs no server).
"""

import os
import time
from pathlib import Path

from huey import RedisHuey, SqliteHuey
from huey.constants import EmptyData

#: A running job whose worker has not reported for this long is taken as dead.
STALE_SECONDS = 60
INSTANCE = Path(__file__).resolve().parents[2] / "instance"


def make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("gestao", url=redis_url)
    path = Path(os.environ.get("GESTAO_JOBS_DB") or INSTANCE / "jobs.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("gestao", filename=str(path))


huey = make_huey()


def report(job_id: int, done: int, total: int) -> None:
    """The worker's word that job `job_id` is alive and at `done` of `total`."""
    huey.storage.put_data(f"job-progress-{job_id}", _encode(done, total, time.time()))


def progress(job_id: int) -> tuple[int, int, float] | None:
    """(done, total, when reported) of a job, or None before its first report."""
    raw = huey.storage.peek_data(f"job-progress-{job_id}")
    if raw is None or raw is EmptyData:
        return None
    try:
        done, total, when = raw.decode().split()
        return int(done), int(total), float(when)
    except (AttributeError, ValueError):
        return None


def forget(job_id: int) -> None:
    huey.storage.pop_data(f"job-progress-{job_id}")


def _encode(done: int, total: int, when: float) -> bytes:
    return f"{done} {total} {when}".encode()
