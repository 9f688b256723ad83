"""Engines for the environments' databases, every wait bounded. Read-only ones for the
status: SQLite opened ``mode=ro`` (a missing file raises instead of being created),
PostgreSQL in read-only transactions with a statement timeout, one engine per URL, kept.
Read-write ones (``engine``) for upgrades, locks and scratch databases, made per use."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from .environments import sqlite_file

CONNECT_TIMEOUT = 3          # seconds, per environment
STATEMENT_TIMEOUT_MS = 3000  # PostgreSQL: no status query may hang


_engines: dict[tuple[str, float], object] = {}
_engines_lock = threading.Lock()
ENGINE_CACHE_SIZE = 64


def _readonly_engine(url_text: str, timeout: float):
    """An engine that only opens read-only connections, kept per URL (NullPool: every check
    connects afresh; only the dialect's first-connect setup is reused)."""
    key = (url_text, timeout)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is not None:
            return engine
    url = make_url(url_text)
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = sqlite_file(url)
        if path is None:
            engine = create_engine(url, poolclass=NullPool)
        else:
            target = f"file:{quote(path)}?mode=ro"

            def creator():
                return sqlite3.connect(target, uri=True, timeout=timeout,
                                       check_same_thread=False)

            engine = create_engine("sqlite://", creator=creator, poolclass=NullPool)
    elif backend == "postgresql":
        options = (f"-c default_transaction_read_only=on "
                   f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")
        engine = create_engine(url, poolclass=NullPool, connect_args={
            "connect_timeout": max(1, int(timeout)), "options": options,
            "application_name": "gestao-admin migration status"})
    else:
        raise UnsupportedDatabase(backend)
    with _engines_lock:
        if len(_engines) >= ENGINE_CACHE_SIZE:
            _engines.clear()
        return _engines.setdefault(key, engine)


@contextmanager
def open_readonly(url_text: str, timeout: float = CONNECT_TIMEOUT):
    """A connection on which nothing can be written, opened within ``timeout`` seconds.

    SQLite: ``mode=ro`` (a missing file raises instead of being created). PostgreSQL:
    ``default_transaction_read_only`` for the session, ``SET TRANSACTION READ ONLY``, a
    statement timeout, and ``connect_timeout``.
    """
    engine = _readonly_engine(url_text, timeout)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        yield connection
        connection.rollback()


class UnsupportedDatabase(Exception):
    pass


def engine(url, *, autocommit: bool = False, application_name: str | None = None,
           statement_timeout_ms: int | None = None, lock_timeout_ms: int | None = None):
    """A read-write engine without a pool: PostgreSQL connects within CONNECT_TIMEOUT (and
    bounds each statement, and each wait for a lock, when asked); SQLite waits as long for a
    locked file."""
    if make_url(url).get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": CONNECT_TIMEOUT}
        if application_name:
            connect_args["application_name"] = application_name
        options = [f"-c statement_timeout={statement_timeout_ms}" if statement_timeout_ms
                   else "", f"-c lock_timeout={lock_timeout_ms}" if lock_timeout_ms else ""]
        if any(options):
            connect_args["options"] = " ".join(o for o in options if o)
    else:
        connect_args = {"timeout": CONNECT_TIMEOUT}
    options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    return create_engine(url, poolclass=NullPool, connect_args=connect_args, **options)
