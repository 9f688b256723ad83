"""One deploy at a time: the lock `migrations upgrade` holds on an environment.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
own, held for the whole upgrade (backup included) and released when it ends, even if the
process dies (the server drops a closed session's locks). SQLite: an exclusive ``flock`` on a
file next to the database (``<database>.upgrade.lock``), released the same way by the kernel.

The second upgrade retries for a bounded time, then stops with :class:`LockBusy`, which
names who holds the lock. Status checks only look (``pg_locks``; a non-blocking shared
``flock`` on an existing lock file): they never take or create anything.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from .engines import engine as server_engine
from .environments import sqlite_file

#: The advisory lock key (fits in 32 bits: pg_locks shows it as classid 0, objid KEY).
LOCK_KEY = 0x6E57A0
LOCK_WAIT = 10.0  # seconds a second upgrade waits before giving up
POLL = 0.2
APP_NAME = "gestao-admin upgrade"
SUFFIX = ".upgrade.lock"


class LockBusy(Exception):
    """Another upgrade holds the environment's lock; ``holder`` says who, if known."""

    def __init__(self, holder: dict | None, waited: float):
        super().__init__(f"upgrade lock held by {holder}")
        self.holder = holder or {}
        self.waited = waited


def lock_file(url_text: str) -> Path | None:
    """SQLite: the lock file next to the database file (None for in-memory databases)."""
    database = sqlite_file(url_text)
    return None if database is None else Path(database + SUFFIX)


@contextmanager
def deploy_lock(url_text: str, holder: str, wait: float = LOCK_WAIT):
    """Hold the environment's upgrade lock, or raise :class:`LockBusy` after ``wait`` s."""
    backend = make_url(url_text).get_backend_name()
    if backend == "postgresql":
        with _pg_lock(url_text, holder, wait):
            yield
    elif backend == "sqlite":
        with _file_lock(lock_file(url_text), holder, wait):
            yield
    else:
        yield


@contextmanager
def _pg_lock(url_text: str, holder: str, wait: float):
    name = f"{APP_NAME}: {holder}"[:63]
    engine = server_engine(url_text, autocommit=True, application_name=name)
    started = time.monotonic()
    try:
        with engine.connect() as connection:
            while not connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                         {"k": LOCK_KEY}).scalar():
                waited = time.monotonic() - started
                if waited >= wait:
                    raise LockBusy(pg_holder(connection), waited)
                time.sleep(POLL)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
    finally:
        engine.dispose()


_HOLDER_SQL = text("""
    SELECT a.pid, a.application_name, a.backend_start, a.client_addr
    FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :k
      AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    LIMIT 1""")


def pg_holder(connection) -> dict | None:
    """Who holds the upgrade lock of this PostgreSQL database (read-only), or None."""
    row = connection.execute(_HOLDER_SQL, {"k": LOCK_KEY}).mappings().first()
    if row is None:
        return None
    who = row["application_name"] or ""
    who = who[len(APP_NAME) + 2:] if who.startswith(APP_NAME + ": ") else who
    since = row["backend_start"]
    return {"by": who or f"pid {row['pid']}",
            "since": since.astimezone(timezone.utc).replace(tzinfo=None) if since else None,
            "pid": row["pid"]}


@contextmanager
def _file_lock(path: Path | None, holder: str, wait: float):
    if path is None or not path.parent.is_dir():
        yield  # in-memory database, or no folder yet: nothing else can be upgrading it
        return
    started = time.monotonic()
    handle = open(path, "a+")
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait:
                    raise LockBusy(_read_holder(path), waited) from None
                time.sleep(POLL)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"by": holder, "pid": os.getpid(),
                                 "since": datetime.now(timezone.utc).replace(tzinfo=None)
                                 .isoformat(timespec="seconds")}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _read_holder(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return None
    if data.get("since"):
        try:
            data["since"] = datetime.fromisoformat(data["since"])
        except ValueError:
            pass
    return data or None


def sqlite_holder(url_text: str) -> dict | None:
    """Who holds the upgrade lock of this SQLite database, or None; never creates the file."""
    path = lock_file(url_text)
    if path is None or not path.exists():
        return None
    try:
        with open(path, "r") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read_holder(path) or {"by": "?"}
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:
        return None
    return None
