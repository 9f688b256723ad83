"""A backup of one environment's database before it is changed, and its restore.

SQLite: the online backup API (a consistent copy even while the app writes) into
``instance/backups/``. PostgreSQL: ``pg_dump --format=custom`` to a file there (the password,
if any, goes through ``PGPASSWORD``, never the command line). Files are named
``<environment>_<revision>_<UTC timestamp>.<ext>``.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from admin_app.i18n import gettext

from .environments import Environment, scrub, sqlite_file
from .engines import CONNECT_TIMEOUT

PG_DUMP, PG_RESTORE = "pg_dump", "pg_restore"
DUMP_TIMEOUT = 3600


class BackupError(Exception):
    """The backup could not be made (or restored); the message says why, in words."""


@dataclass(frozen=True)
class Backup:
    environment: str
    revision: str
    path: Path
    size: int


def backup_dir(app=None) -> Path:
    """``GESTAO_BACKUP_DIR`` if configured, else ``instance/backups``."""
    if app is None:
        from flask import current_app as app
    configured = app.config.get("GESTAO_BACKUP_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "backups"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def backup_name(environment: str, revision: str, extension: str,
                now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{_safe(environment)}_{_safe(revision)}_{stamp}.{extension}"


def revision_tag(heads) -> str:
    return "+".join(sorted(heads)) if heads else "base"


def make_backup(environment: Environment, heads, directory: Path) -> Backup:
    """Back ``environment`` up into ``directory``; raise :class:`BackupError` on failure."""
    if not environment.url:
        raise BackupError(gettext("environment %(env)s has no usable database URL",
                                  env=environment.name))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    revision = revision_tag(heads)
    dialect = environment.dialect
    if dialect == "sqlite":
        path = directory / backup_name(environment.name, revision, "sqlite3")
        _sqlite_backup(environment, path)
    elif dialect == "postgresql":
        path = directory / backup_name(environment.name, revision, "dump")
        _pg_dump(environment, path)
    else:
        raise BackupError(gettext("no backup method for database type %(type)s",
                                  type=str(dialect)))
    return Backup(environment.name, revision, path, path.stat().st_size)


def _sqlite_file(environment: Environment) -> str:
    database = sqlite_file(environment.url)
    if database is None:
        raise BackupError(gettext("environment %(env)s is an in-memory database",
                                  env=environment.name))
    return database


def _sqlite_copy(source_file: str, target_file: str) -> None:
    """SQLite's online backup API: a consistent copy even while the source is in use."""
    with closing(sqlite3.connect(f"file:{quote(source_file)}?mode=ro", uri=True,
                                 timeout=CONNECT_TIMEOUT)) as source, \
            closing(sqlite3.connect(target_file, timeout=CONNECT_TIMEOUT)) as destination:
        source.backup(destination)


def _sqlite_backup(environment: Environment, target: Path) -> None:
    source_file = _sqlite_file(environment)
    if not Path(source_file).exists():
        raise BackupError(gettext("the database file %(path)s does not exist", path=source_file))
    try:
        _sqlite_copy(source_file, str(target))
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise BackupError(gettext("SQLite backup of %(path)s failed: %(error)s",
                                  path=source_file, error=str(exc))) from None


def _libpq(environment: Environment) -> tuple[str, dict]:
    """A libpq connection URL without the password, and the environment carrying it."""
    url = make_url(environment.url)
    env = dict(os.environ, PGCONNECT_TIMEOUT=str(CONNECT_TIMEOUT))
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(gettext("%(tool)s was not found on PATH: install the PostgreSQL "
                                  "client tools (Debian: apt-get install postgresql-client), "
                                  "of a version at least the server's", tool=name))
    return found


def _run(command: list[str], env: dict, environment: Environment, what: str) -> None:
    try:
        proc = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=DUMP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BackupError(gettext("%(tool)s took longer than %(seconds)s s and was stopped",
                                  tool=what, seconds=DUMP_TIMEOUT)) from None
    if proc.returncode != 0:
        words = " ".join(proc.stderr.split())[:500] or f"exit code {proc.returncode}"
        raise BackupError(gettext("%(tool)s failed: %(error)s", tool=what,
                                  error=scrub(words, environment.password)))


def _pg_dump(environment: Environment, target: Path) -> None:
    url, env = _libpq(environment)
    command = [_tool(PG_DUMP), "--format=custom", "--no-owner", f"--file={target}",
               f"--dbname={url}"]
    try:
        _run(command, env, environment, "pg_dump")
    except BackupError:
        target.unlink(missing_ok=True)
        raise


def restore_backup(backup_path: Path, environment: Environment) -> None:
    """Put a backup back into ``environment``'s database (replacing what is there)."""
    backup_path = Path(backup_path)
    if not backup_path.exists():
        raise BackupError(gettext("the backup %(path)s does not exist", path=str(backup_path)))
    dialect = environment.dialect
    if dialect == "sqlite":
        _sqlite_copy(str(backup_path), _sqlite_file(environment))
    elif dialect == "postgresql":
        url, env = _libpq(environment)
        _run([_tool(PG_RESTORE), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={url}", str(backup_path)], env, environment, "pg_restore")
    else:
        raise BackupError(gettext("no restore method for database type %(type)s",
                                  type=str(dialect)))


def restore_hint(backup_path: Path, environment: Environment) -> str:
    """The command that restores ``backup_path`` by hand (no password in it)."""
    if environment.dialect == "sqlite":
        return gettext("cp '%(backup)s' '%(file)s'  (with the app stopped)",
                       backup=str(backup_path), file=_sqlite_file(environment))
    if environment.dialect == "postgresql":
        url, _ = _libpq(environment)
        return f"pg_restore --clean --if-exists --no-owner --dbname='{url}' {backup_path}"
    return str(backup_path)
