"""What one environment's database answers, read-only: its Alembic heads, the migration log,
an upgrade holding its lock, and (at the models' heads) schema drift. Every environment is
asked at once: a slow or unreachable one costs its own timeout once, and its failure never
hides the others. Plain data (``Probe``), no Alembic logic and no words."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from admin_app.models.ops import LOG_TABLE

from .codes import DRIFT_FAILED, ERROR, FILE_MISSING, TIMEOUT, UNSUPPORTED
from .drift import Models, schema_drift
from .engines import CONNECT_TIMEOUT, UnsupportedDatabase, open_readonly
from .environments import INVALID_URL, Environment, sqlite_file
from .errors import classify, driver_words
from .lock import pg_holder, sqlite_holder
from .scripts import VERSION_TABLE

MAX_WORKERS = 16
LOG_LIMIT = 500


@dataclass
class Probe:
    """What one database answered (or why it did not): plain data, no Alembic logic."""

    reachable: bool
    dialect: str | None = None
    server_version: str | None = None
    has_version_table: bool = False
    heads: tuple[str, ...] = ()
    log: list[dict] = field(default_factory=list)
    error_kind: str | None = None
    error_detail: str | None = None
    note: str | None = None
    elapsed_ms: int = 0
    #: Schema differences with the models (None: not compared), see :func:`schema_drift`.
    drift: list[dict] | None = None
    #: Why drift was not compared (a DRIFT_* kind), with the driver's words.
    drift_error_kind: str | None = None
    drift_error: str | None = None
    #: The revision whose schema, rebuilt from the migrations, was the reference (an
    #: environment below head); None when the reference is the models (at head).
    drift_revision: str | None = None
    #: An upgrade holding the environment's lock right now: {"by", "since", …}, or None.
    upgrade_lock: dict | None = None


def _server_version(connection) -> str | None:
    if connection.dialect.name == "sqlite":
        return sqlite3.sqlite_version
    info = connection.dialect.server_version_info
    return ".".join(str(part) for part in info) if info else None


def _read_log(connection) -> list[dict]:
    rows = connection.execute(text(
        f"SELECT revision, direction, message, applied_at, applied_by, duration_ms, checksum "
        f"FROM {LOG_TABLE} ORDER BY applied_at DESC, id DESC LIMIT {LOG_LIMIT}")).mappings()
    entries = []
    for row in rows:
        entry = dict(row)
        if isinstance(entry["applied_at"], str):  # SQLite through a textual query
            try:
                entry["applied_at"] = datetime.fromisoformat(entry["applied_at"])
            except ValueError:
                pass
        entries.append(entry)
    return entries


def probe(environment: Environment, timeout: float = CONNECT_TIMEOUT,
          models: Models | None = None) -> Probe:
    """Connect read-only and read the version table (and the migration log if there); with
    ``models``, a database at their heads is also compared with them (schema drift)."""
    started = time.perf_counter()
    result = _probe(environment, timeout, models)
    result.elapsed_ms = int((time.perf_counter() - started) * 1000)
    return result


def _lock_holder(url_text: str) -> dict | None:
    return sqlite_holder(url_text)


def _look_further(connection, result: Probe, environment: Environment,
                  models: Models | None) -> None:
    """On the same read-only connection: an upgrade holding the lock, and schema drift."""
    try:
        result.upgrade_lock = pg_holder(connection) \
            if result.dialect == "postgresql" else _lock_holder(environment.url)
    except Exception:  # pg_locks unreadable: no news, not an error
        if result.dialect == "postgresql":
            connection.rollback()
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    if models is not None and result.heads and tuple(sorted(result.heads)) == models.heads:
        try:
            result.drift = schema_drift(connection, models)
        except Exception as exc:  # the comparison's failure is reported, not raised
            result.drift_error_kind = DRIFT_FAILED
            result.drift_error = driver_words(exc, environment)


def _probe(environment: Environment, timeout: float, models: Models | None = None) -> Probe:
    if environment.problem or not environment.url:
        return Probe(reachable=False, error_kind=environment.problem or INVALID_URL)
    dialect = environment.dialect
    url = make_url(environment.url)
    if dialect == "sqlite":
        path = sqlite_file(url)
        if path is not None and not Path(path).exists():
            return Probe(reachable=True, dialect=dialect, server_version=sqlite3.sqlite_version,
                         note=FILE_MISSING, upgrade_lock=_lock_holder(environment.url))
    try:
        with open_readonly(environment.url, timeout) as connection:
            table_names = set(inspect(connection).get_table_names())
            has_version = VERSION_TABLE in table_names
            heads = tuple(MigrationContext.configure(connection).get_current_heads()) \
                if has_version else ()
            result = Probe(reachable=True, dialect=dialect,
                           server_version=_server_version(connection),
                           has_version_table=has_version, heads=heads,
                           log=_read_log(connection) if LOG_TABLE in table_names else [])
            _look_further(connection, result, environment, models)
            return result
    except UnsupportedDatabase:
        return Probe(reachable=False, dialect=dialect, error_kind=UNSUPPORTED)
    except Exception as exc:  # the environment's failure is its own, never the page's
        return Probe(reachable=False, dialect=dialect, error_kind=classify(exc),
                     error_detail=driver_words(exc, environment))


def probe_all(environments: list[Environment], timeout: float = CONNECT_TIMEOUT,
              deadline: float | None = None, models: Models | None = None) -> list[Probe]:
    """Every environment at once; whatever has not answered by ``deadline`` is unreachable."""
    if not environments:
        return []
    deadline = deadline if deadline is not None else timeout * 2 + 1
    pool = ThreadPoolExecutor(max_workers=min(len(environments), MAX_WORKERS),
                              thread_name_prefix="migration-status")
    try:
        futures = [pool.submit(probe, env, timeout, models) for env in environments]
        done, _ = wait(futures, timeout=deadline)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    results = []
    for environment, future in zip(environments, futures):
        if future in done:
            try:
                results.append(future.result())
            except Exception as exc:  # defensive: probe() catches its own errors
                results.append(Probe(reachable=False, error_kind=ERROR,
                                     error_detail=driver_words(exc, environment)))
        else:
            results.append(Probe(reachable=False, dialect=environment.dialect,
                                 error_kind=TIMEOUT, elapsed_ms=int(deadline * 1000)))
    return results
