"""The schema a revision should hold, for environments that are not at head: the project's
migrations run up to that revision in a scratch database of the same dialect, then reflected.

SQLite: an in-memory database. PostgreSQL: a database ``gestao_drift_<random>`` created on
the environment's own server through its URL (its user needs CREATE DATABASE), always dropped
afterwards, even when the build fails. The live environment is never written: only its
server is asked to create and drop the scratch database.

A built reference is kept in-process per (dialect, revision, checksum of the scripts up to
that revision and of env.py), so the migrations page rebuilds it only when a script changes.
Failures are not cached. Running the migrations needs an app context (``migrations/env.py``
reads the app's metadata and options).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from admin_app.extensions import SEARCH_PREFIX

from . import engines
from .errors import driver_words
from .scripts import VERSION_TABLE, alembic_config

log = logging.getLogger(__name__)

SCRATCH_PREFIX = "gestao_drift_"
APPLIED_BY = "gestao-admin (schema drift reference)"
BUILD_STATEMENT_TIMEOUT_MS = 60000  # PostgreSQL scratch database: no step may hang
CACHE_SIZE = 16

# Why a reference could not be built.
NO_CREATEDB = "no_createdb"
BUILD_FAILED = "build_failed"


class ReferenceUnavailable(Exception):
    """The reference schema could not be built; ``kind`` says why, ``detail`` in the
    driver's words (the caller scrubs any password)."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail


def reflectable(name: str, _metadata=None) -> bool:
    """Tables the reference holds: not Alembic's version table, nor the search objects
    (SQLite FTS5 virtual tables and their shadow tables), which the models do not declare."""
    return name != VERSION_TABLE and not name.startswith(SEARCH_PREFIX)


def scripts_checksum(scripts, revision: str) -> str:
    """SHA-256 over env.py and every script from base up to ``revision``, in apply order."""
    digest = hashlib.sha256()
    env_py = Path(scripts.location) / "env.py"
    try:
        digest.update(env_py.read_bytes())
    except OSError:
        digest.update(b"-")
    applied = scripts.applied((revision,))
    for rev in scripts.apply_order:
        if rev in applied:
            digest.update(f"{rev}:{scripts.by_id[rev].checksum}\n".encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- cache

_cache: OrderedDict[tuple, MetaData] = OrderedDict()
_cache_lock = threading.Lock()
#: One build at a time in this process: Alembic's ``context`` (what env.py configures) is
#: module-global, so two migration runs in two threads would step on each other.
_build_lock = threading.RLock()
#: The same lock, for every other migration run in this process (ops/capture.py, the
#: upgrades of ops/upgrade.py).
ALEMBIC_LOCK = _build_lock


def cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def _cached(key: tuple) -> MetaData | None:
    with _cache_lock:
        metadata = _cache.get(key)
        if metadata is not None:
            _cache.move_to_end(key)
        return metadata


def _store(key: tuple, metadata: MetaData) -> None:
    with _cache_lock:
        _cache[key] = metadata
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def reference_metadata(url: str, scripts, revision: str, app=None,
                       use_cache: bool = True) -> MetaData:
    """The reflected schema of ``revision`` (built from ``scripts`` in a scratch database of
    ``url``'s dialect), from the cache when the same scripts built it before. Raises
    :class:`ReferenceUnavailable`."""
    dialect = make_url(url).get_backend_name()
    key = (dialect, revision, scripts_checksum(scripts, revision))
    if use_cache:
        metadata = _cached(key)
        if metadata is not None:
            return metadata
    with _build_lock:  # a page loaded twice at once builds once; the other reuses it
        metadata = _cached(key) if use_cache else None
        if metadata is None:
            metadata = build_reference(url, scripts.location, revision, app)
            _store(key, metadata)
    return metadata


# --------------------------------------------------------------------------- build

@contextmanager
def _app_context(app):
    from flask import has_app_context

    if app is None or has_app_context():
        yield
    else:
        with app.app_context():
            yield


def build_reference(url: str, location, revision: str, app=None) -> MetaData:
    """Run the migrations of ``location`` up to ``revision`` in a scratch database of
    ``url``'s dialect and reflect it (no cache)."""
    dialect = make_url(url).get_backend_name()
    with _app_context(app):
        if dialect == "sqlite":
            return _build_sqlite(location, revision)
        if dialect == "postgresql":
            return _build_postgresql(url, location, revision)
    raise ReferenceUnavailable(BUILD_FAILED, f"unsupported dialect {dialect}")


def _migrate_and_reflect(connection, location, revision: str) -> MetaData:
    from alembic import command

    cfg = alembic_config(location)
    cfg.attributes["connection"] = connection
    cfg.attributes["applied_by"] = APPLIED_BY
    command.upgrade(cfg, revision)
    if connection.in_transaction():
        connection.commit()
    metadata = MetaData()
    metadata.reflect(bind=connection, only=reflectable)
    if connection.in_transaction():
        connection.rollback()
    return metadata


def _build_sqlite(location, revision: str) -> MetaData:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with engine.connect() as connection:
            return _migrate_and_reflect(connection, location, revision)
    except ReferenceUnavailable:
        raise
    except Exception as exc:
        raise ReferenceUnavailable(BUILD_FAILED, driver_words(exc)) from exc
    finally:
        engine.dispose()


def _pg_engine(url, autocommit: bool = False):
    """Connections to the environment's server (autocommit: CREATE / DROP DATABASE) or to
    the scratch database (a statement timeout: no migration step may hang)."""
    return engines.engine(url, autocommit=autocommit, application_name="gestao-admin schema drift",
                          statement_timeout_ms=None if autocommit
                          else BUILD_STATEMENT_TIMEOUT_MS)


def may_create_database(connection) -> bool:
    row = connection.execute(text(
        "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")).first()
    return bool(row and row[0])


@contextmanager
def _scratch_database(url: str):
    """The URL of a new scratch database on ``url``'s PostgreSQL server, dropped after;
    what fails inside comes out as :class:`ReferenceUnavailable`."""
    name = SCRATCH_PREFIX + uuid.uuid4().hex[:16]
    server = _pg_engine(url, autocommit=True)
    try:
        with server.connect() as connection:
            if not may_create_database(connection):
                raise ReferenceUnavailable(NO_CREATEDB)
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(url).set(database=name)
        finally:
            _drop(server, name, make_url(url).password)
    except ReferenceUnavailable:
        raise
    except Exception as exc:
        kind = NO_CREATEDB if "permission denied" in str(exc).lower() else BUILD_FAILED
        raise ReferenceUnavailable(kind, driver_words(exc)) from exc
    finally:
        server.dispose()


def _build_postgresql(url: str, location, revision: str) -> MetaData:
    with _scratch_database(url) as scratch_url:
        return _build_in(scratch_url, location, revision)


@contextmanager
def scratch_connection(url: str):
    """A connection to an empty scratch database of ``url``'s dialect (SQLite in memory,
    PostgreSQL a database of its own on the same server, dropped after). Hold
    ``ALEMBIC_LOCK`` while migrations run on it."""
    dialect = make_url(url).get_backend_name()
    if dialect == "postgresql":
        with _scratch_database(url) as scratch_url:
            engine = _pg_engine(scratch_url)
            try:
                with engine.connect() as connection:
                    # nothing here is worth waiting for the disk: commits return at once
                    connection.exec_driver_sql("SET synchronous_commit = off")
                    connection.commit()
                    yield connection
            finally:
                engine.dispose()
        return
    if dialect != "sqlite":
        raise ReferenceUnavailable(BUILD_FAILED, f"unsupported dialect {dialect}")
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _build_in(scratch_url, location, revision: str) -> MetaData:
    engine = _pg_engine(scratch_url)
    try:
        with engine.connect() as connection:
            return _migrate_and_reflect(connection, location, revision)
    finally:
        engine.dispose()


def _drop(server, name: str, password=None) -> None:
    """Drop the scratch database (its sessions ended first); a failure is logged, never
    raised over the build's own result or error."""
    try:
        with server.connect() as connection:
            force = " WITH (FORCE)" if connection.dialect.server_version_info >= (13,) else ""
            if not force:
                connection.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"{force}')
    except Exception as exc:
        words = driver_words(exc)
        if password and len(str(password)) >= 2:
            words = words.replace(str(password), "***")
        log.warning("schema drift: the scratch database %s could not be dropped: %s", name,
                    words)
