"""Which Alembic revision each environment is on, what is pending there, and the history of
``migrations/`` as a matrix of revisions × environments.

Alembic's API only (``ScriptDirectory`` for the scripts, ``MigrationContext`` for a
database), never a subprocess. The answers are the CLI's: ``current_lines`` is what
``flask db current`` prints for a database and ``Revision.line`` what ``flask db history``
prints for a revision.

Databases are opened read-only with a bounded connect timeout (SQLite ``mode=ro``, so a
missing file is never created; PostgreSQL ``default_transaction_read_only``) and checked
concurrently: one slow or unreachable environment costs its own timeout once, and its failure
never hides the others.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import os
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from .environments import (INVALID_URL, MISSING_VARIABLE, Environment, EnvironmentsConfig,
                           scrub)
from .reference_schema import (BUILD_FAILED, NO_CREATEDB, ReferenceUnavailable,
                               reference_metadata, reflectable)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3          # seconds, per environment
STATEMENT_TIMEOUT_MS = 3000  # PostgreSQL: no status query may hang
MAX_WORKERS = 16
VERSION_TABLE = "alembic_version"
LOG_TABLE = "migration_log"
LOG_LIMIT = 500

UP_TO_DATE = "up_to_date"
PENDING = "pending"
UNKNOWN_REVISION = "unknown_revision"
NOT_INITIALIZED = "not_initialized"
MULTIPLE_HEADS = "multiple_heads"
UNREACHABLE = "unreachable"
STATES = (UP_TO_DATE, PENDING, UNKNOWN_REVISION, NOT_INITIALIZED, MULTIPLE_HEADS, UNREACHABLE)

#: Bootstrap 4 badge class per state.
BADGES = {UP_TO_DATE: "success", PENDING: "warning", UNKNOWN_REVISION: "danger",
          NOT_INITIALIZED: "secondary", MULTIPLE_HEADS: "info", UNREACHABLE: "dark"}

# Matrix marks.
CURRENT, APPLIED, NOT_APPLIED, UNKNOWN = "current", "applied", "pending", "unknown"

# Why an environment could not be checked.
REFUSED, TIMEOUT, AUTH, NO_DATABASE, CANNOT_OPEN, UNSUPPORTED, ERROR = (
    "refused", "timeout", "auth", "no_database", "cannot_open", "unsupported", "error")
FILE_MISSING = "file_missing"

# Why schema drift was not checked (beside reference_schema.NO_CREATEDB and BUILD_FAILED).
DRIFT_FAILED = "comparison_failed"

# Integrity problems of an environment (beside its state): an applied revision whose script
# changed since, or one the scripts no longer hold.
MODIFIED = "modified_after_applied"
MISSING = "missing_script"

# What a revision's downgrade() does, read from its source with ``ast``.
REVERSIBLE, EMPTY_DOWNGRADE, RAISING_DOWNGRADE, NO_DOWNGRADE = (
    "reversible", "empty", "raises", "missing")

_CREATE_DATE = re.compile(r"^Create Date:\s*(.+?)\s*$", re.MULTILINE)


# --------------------------------------------------------------------------- words

def state_label(state: str | None, pending_count: int = 0) -> str:
    """The state as the page says it (pt_BR: em dia, N pendentes, …)."""
    from admin_app.i18n import gettext, ngettext

    # The six state names are fixed by issue 4 (pt_BR: em dia, N pendentes, revisão
    # desconhecida, não inicializado, múltiplas heads, inacessível); tests check them.
    if state == PENDING:
        # TRANSLATORS: migration state, fixed wording: "%(num)s pendente" / "%(num)s pendentes"
        return ngettext("%(num)s pending", "%(num)s pending", pending_count)
    labels = {
        # TRANSLATORS: migration state, fixed wording: "em dia" (not "atualizado")
        UP_TO_DATE: gettext("up to date"),
        # TRANSLATORS: migration state, fixed wording: "revisão desconhecida"
        UNKNOWN_REVISION: gettext("unknown revision"),
        # TRANSLATORS: migration state, fixed wording: "não inicializado"
        NOT_INITIALIZED: gettext("not initialized"),
        # TRANSLATORS: migration state, fixed wording: "múltiplas heads" (feminine, as in
        # "a head"; not "múltiplos heads")
        MULTIPLE_HEADS: gettext("multiple heads"),
        # TRANSLATORS: migration state, fixed wording: "inacessível"
        UNREACHABLE: gettext("unreachable"),
    }
    return labels.get(state, "—")


def error_words(kind: str | None, url_env: str | None = None) -> str:
    from admin_app.i18n import gettext

    words = {
        REFUSED: gettext("connection refused (is the server running on that host and port?)"),
        TIMEOUT: gettext("no answer within the timeout"),
        AUTH: gettext("authentication failed"),
        NO_DATABASE: gettext("the database does not exist"),
        CANNOT_OPEN: gettext("the database file cannot be opened"),
        UNSUPPORTED: gettext("database type not supported (SQLite and PostgreSQL only)"),
        INVALID_URL: gettext("the database URL is invalid"),
        MISSING_VARIABLE: gettext("the environment variable %(name)s is not set",
                                  name=url_env or "?"),
        ERROR: gettext("the database could not be read"),
    }
    return words.get(kind or ERROR, words[ERROR])


def integrity_label(kind: str | None) -> str:
    from admin_app.i18n import gettext

    # TRANSLATORS: fixed wording: "modificada após aplicação" / "ausente nos scripts"
    labels = {MODIFIED: gettext("modified after applied"),
              MISSING: gettext("missing from the scripts")}
    return labels.get(kind, "—")


def rollback_label(kind: str | None) -> str:
    from admin_app.i18n import gettext

    if kind in (EMPTY_DOWNGRADE, RAISING_DOWNGRADE, NO_DOWNGRADE):
        # TRANSLATORS: fixed wording: "sem reversão"
        return gettext("no rollback")
    return ""


def rollback_words(kind: str | None) -> str:
    from admin_app.i18n import gettext

    words = {EMPTY_DOWNGRADE: gettext("its downgrade() is empty"),
             RAISING_DOWNGRADE: gettext("its downgrade() raises an error"),
             NO_DOWNGRADE: gettext("it has no downgrade()")}
    return words.get(kind, "")


def note_words(note: str | None) -> str:
    from admin_app.i18n import gettext

    if note == FILE_MISSING:
        return gettext("the database file does not exist yet; the first upgrade creates it")
    return ""


# --------------------------------------------------------------------------- scripts

@dataclass(frozen=True)
class Revision:
    revision: str
    parents: tuple[str, ...]
    message: str
    date: str | None
    is_head: bool
    is_branch_point: bool
    is_merge_point: bool
    branch_labels: tuple[str, ...]
    #: What ``flask db history`` prints for this revision.
    line: str
    #: SHA-256 of the script file now (what env.py records when it is applied).
    checksum: str | None = None
    #: REVERSIBLE, EMPTY_DOWNGRADE, RAISING_DOWNGRADE or NO_DOWNGRADE (None: unreadable).
    rollback: str | None = None

    @property
    def reversible(self) -> bool:
        return self.rollback not in (EMPTY_DOWNGRADE, RAISING_DOWNGRADE, NO_DOWNGRADE)

    @property
    def rollback_label(self) -> str:
        return rollback_label(self.rollback)

    @property
    def rollback_words(self) -> str:
        return rollback_words(self.rollback)

    def to_dict(self) -> dict:
        return {"revision": self.revision, "parents": list(self.parents),
                "message": self.message, "date": self.date, "is_head": self.is_head,
                "is_branch_point": self.is_branch_point, "is_merge_point": self.is_merge_point,
                "branch_labels": list(self.branch_labels), "line": self.line,
                "checksum": self.checksum, "reversible": self.reversible,
                "rollback": self.rollback,
                "rollback_label": self.rollback_label or None}


def script_checksum(path) -> str | None:
    """SHA-256 of a script file, as ``migrations/env.py`` records it."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (OSError, TypeError):
        return None


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
        and isinstance(node.value.value, str)


def _is_ellipsis(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
        and node.value.value is Ellipsis


def downgrade_kind(source: str) -> str | None:
    """What the script's module-level ``downgrade()`` does, without running it:
    EMPTY_DOWNGRADE (only ``pass``, a docstring or ``...``), RAISING_DOWNGRADE (a top-level
    ``raise``), NO_DOWNGRADE (no such function) or REVERSIBLE; None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    function = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.name == "downgrade":
            function = node  # the last definition wins, as in Python
    if function is None:
        return NO_DOWNGRADE
    body = [n for n in function.body
            if not (isinstance(n, ast.Pass) or _is_docstring(n) or _is_ellipsis(n))]
    if not body:
        return EMPTY_DOWNGRADE
    if any(isinstance(n, ast.Raise) for n in body):
        return RAISING_DOWNGRADE
    return REVERSIBLE


def script_rollback(path) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return downgrade_kind(handle.read())
    except (OSError, TypeError, UnicodeDecodeError):
        return None


def alembic_config(location) -> Config:
    """The configuration ``flask db …`` uses for ``location`` (outside an app: the same
    alembic.ini and script location); logging left alone."""
    location = str(location)
    try:
        from flask import current_app

        cfg = current_app.extensions["migrate"].migrate.get_config(location)
    except (RuntimeError, KeyError):
        ini = os.path.join(location, "alembic.ini")
        cfg = Config(ini if os.path.exists(ini) else None)
        cfg.set_main_option("script_location", location)
    cfg.attributes["skip_logging_config"] = True
    return cfg


class Scripts:
    """The revisions of one migrations folder, loaded once (then only read)."""

    def __init__(self, location):
        self.location = str(location)
        self.script = ScriptDirectory.from_config(alembic_config(self.location))
        walked = list(self.script.walk_revisions(base="base", head="heads"))
        self.heads: list[str] = sorted(self.script.get_heads())
        self.revisions: list[Revision] = [self._revision(sc) for sc in walked]  # newest first
        self.by_id = {r.revision: r for r in self.revisions}
        self.apply_order = [r.revision for r in reversed(self.revisions)]
        self._ancestors: dict[str, frozenset[str]] = {}
        for sc in walked:
            self._ancestors[sc.revision] = frozenset(
                r.revision for r in self.script.iterate_revisions(sc.revision, "base"))

    @staticmethod
    def _revision(sc) -> Revision:
        found = _CREATE_DATE.search(sc.longdoc or "")
        return Revision(
            revision=sc.revision, parents=tuple(sc._versioned_down_revisions),
            message=sc.doc or "", date=found[1] if found else None, is_head=sc.is_head,
            is_branch_point=sc.is_branch_point, is_merge_point=sc.is_merge_point,
            branch_labels=tuple(sorted(sc.branch_labels or ())),
            line=sc.cmd_format(verbose=False, include_branches=True, include_doc=True,
                               include_parents=True),
            checksum=script_checksum(sc.path), rollback=script_rollback(sc.path))

    @property
    def multiple_heads(self) -> bool:
        return len(self.heads) > 1

    @property
    def history_lines(self) -> list[str]:
        """``flask db history``, line by line."""
        return [r.line for r in self.revisions]

    def knows(self, revision: str) -> bool:
        return revision in self.by_id

    def applied(self, current: tuple[str, ...]) -> set[str]:
        applied: set[str] = set()
        for head in current:
            applied |= self._ancestors.get(head, frozenset())
        return applied

    def pending(self, current: tuple[str, ...]) -> list[Revision]:
        """What ``upgrade heads`` would run, in apply order."""
        applied = self.applied(current)
        return [self.by_id[r] for r in self.apply_order if r not in applied]

    def current_lines(self, current: tuple[str, ...]) -> list[str]:
        """``flask db current``, line by line (sorted: Alembic prints a set)."""
        return sorted(sc.cmd_format(False) for sc in self.script.get_all_current(current))


_cache: dict[tuple, Scripts] = {}
_cache_lock = threading.Lock()


def _signature(location: str) -> tuple:
    parts = []
    for directory in (Path(location), Path(location) / "versions"):
        if directory.is_dir():
            for entry in sorted(directory.iterdir()):
                if entry.suffix in (".py", ".ini", ".pyc") and entry.is_file():
                    stat = entry.stat()
                    parts.append((str(entry), stat.st_mtime_ns, stat.st_size))
    return (location, tuple(parts))


def load_scripts(location) -> Scripts:
    """The scripts of ``location``, cached until a file there changes."""
    location = str(Path(location).resolve())
    key = _signature(location)
    with _cache_lock:
        scripts = _cache.get(key)
        if scripts is None:
            scripts = Scripts(location)
            stale = [k for k in _cache if k[0] == location]
            for k in stale:
                del _cache[k]
            _cache[key] = scripts
        return scripts


# --------------------------------------------------------------------------- one database

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


def _sqlite_path(url) -> str | None:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


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
        path = _sqlite_path(url)
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


def _classify(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", None) or exc).lower()
    if "connection refused" in message:
        return REFUSED
    if "timeout" in message or "timed out" in message:
        return TIMEOUT
    if "authentication" in message or "password" in message:
        return AUTH
    if "does not exist" in message and "database" in message:
        return NO_DATABASE
    if "unable to open" in message or "not a database" in message:
        return CANNOT_OPEN
    return ERROR


def _detail(exc: BaseException, environment: Environment) -> str:
    """The driver's own words, first lines only, any password removed."""
    original = getattr(exc, "orig", None) or exc
    words = " ".join(line.strip() for line in str(original).splitlines() if line.strip())
    words = f"{type(original).__name__}: {words}" if words else type(original).__name__
    return scrub(words[:300], environment.password, environment.url)


@dataclass(frozen=True)
class Models:
    """What a database at ``heads`` should hold: the app's metadata (as ``flask db check``
    compares it), with the comparison options of the app's Migrate. ``app`` runs the
    migrations that rebuild the schema of an older revision (see :mod:`.reference_schema`);
    without it, only databases at ``heads`` are compared."""

    metadata: object
    heads: tuple[str, ...]
    options: tuple = ()
    app: object = field(default=None, compare=False, repr=False)


def models_for_app(app) -> Models | None:
    migrate = app.extensions.get("migrate")
    if migrate is None:
        return None
    try:
        heads = tuple(sorted(load_scripts(migrate.directory).heads))
    except Exception:
        return None
    options = tuple((k, v) for k, v in migrate.configure_args.items()
                    if k in ("compare_type", "compare_server_default", "include_object",
                             "include_name", "include_schemas"))
    app = getattr(app, "_get_current_object", lambda: app)()  # not current_app's proxy
    return Models(metadata=migrate.db.metadata, heads=heads, options=options, app=app)


def _drift_item(diff) -> dict:
    """One autogenerate difference as plain data (words come later, in the user's language)."""
    if isinstance(diff, list):  # modify_* come grouped per column
        diff = diff[0]
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return {"kind": kind, "table": diff[1].name}
    if kind in ("add_column", "remove_column"):
        return {"kind": kind, "table": diff[2], "column": diff[3].name}
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint",
                "add_fk", "remove_fk"):
        item = diff[1]
        columns = [c.name if hasattr(c, "name") else str(c)
                   for c in getattr(item, "columns", ())]
        if kind.endswith("_fk"):
            columns = [e.parent.name for e in item.elements]
        table = item.table.name if getattr(item, "table", None) is not None else ""
        return {"kind": kind, "table": table, "name": item.name,
                "columns": columns, "unique": bool(getattr(item, "unique", False))}
    if kind.startswith("modify_"):
        _, _, table, column, _, live, model = diff[:7]
        return {"kind": kind, "table": table, "column": column, "database": str(live),
                "models": str(model)}
    return {"kind": kind, "detail": str(diff)[:300]}


def _compare_options(models: Models) -> dict:
    """The app's comparison options, always skipping the search objects (``search_*``
    tables and indexes, made by migrations outside the models): with the app's own
    ``include_object``, and before reflection (``include_name``: SQLite's FTS5 virtual
    tables are never reflected)."""
    from admin_app.extensions import include_object as searchless

    options = dict(models.options)
    configured_object = options.get("include_object")
    configured_name = options.get("include_name")

    def include_object(obj, name, type_, reflected, compare_to):
        if not searchless(obj, name, type_, reflected, compare_to):
            return False
        return configured_object is None or configured_object(obj, name, type_, reflected,
                                                              compare_to)

    def include_name(name, type_, parent_names):
        if type_ == "table" and not reflectable(name or ""):
            return False
        return configured_name is None or configured_name(name, type_, parent_names)

    options.update(include_object=include_object, include_name=include_name)
    return options


def schema_drift(connection, models: Models, reference=None) -> list[dict]:
    """How the live schema differs from the models, or from ``reference`` (the reflected
    schema of the environment's revision, for one below head); read-only: Alembic's
    autogenerate comparison, what ``flask db check`` reports."""
    from alembic.autogenerate import compare_metadata

    context = MigrationContext.configure(connection, opts=_compare_options(models))
    target = models.metadata if reference is None else reference
    return [_drift_item(diff) for diff in compare_metadata(context, target)]


def reference_revision(status: "EnvironmentStatus", scripts: Scripts | None,
                       models: Models | None) -> str | None:
    """The revision whose rebuilt schema ``status``'s environment is compared with: its
    single, known current revision, when it is not the models' (not already compared)."""
    result = status.probe
    if models is None or models.app is None or scripts is None or not result.reachable:
        return None
    if result.drift is not None or result.drift_error_kind is not None:
        return None
    if status.state not in (PENDING, UP_TO_DATE) or len(status.current) != 1:
        return None
    revision = status.current[0]
    return revision if scripts.knows(revision) else None


def reference_drift(status: "EnvironmentStatus", scripts: Scripts | None,
                    models: Models | None, timeout: float = CONNECT_TIMEOUT) -> None:
    """Schema drift of an environment below head: its live schema (read-only) against its
    revision's schema, rebuilt from the migrations in a scratch database (cached)."""
    revision = reference_revision(status, scripts, models)
    if revision is None:
        return
    environment, result = status.environment, status.probe
    result.drift_revision = revision
    try:
        reference = reference_metadata(environment.url, scripts, revision, app=models.app)
    except ReferenceUnavailable as exc:
        result.drift_error_kind = exc.kind
        result.drift_error = scrub(exc.detail, environment.password, environment.url) or None
        log.warning("schema drift of %s not checked: %s %s", environment.name, exc.kind,
                    result.drift_error or "")
        return
    try:
        with open_readonly(environment.url, timeout) as connection:
            result.drift = schema_drift(connection, models, reference)
    except Exception as exc:  # the comparison's failure is reported, not raised
        result.drift_error_kind = DRIFT_FAILED
        result.drift_error = _detail(exc, environment)


def drift_error_words(kind: str | None, revision: str | None = None) -> str:
    """Why schema drift was not checked, in the user's language."""
    from admin_app.i18n import gettext

    if kind == NO_CREATEDB:
        return gettext(
            "schema drift not checked: the schema of revision %(rev)s is rebuilt in a scratch "
            "database, and this environment's database user may not create databases "
            "(CREATE DATABASE)", rev=revision or "?")
    if kind == BUILD_FAILED:
        return gettext("schema drift not checked: the schema of revision %(rev)s could not "
                       "be rebuilt from the migration scripts", rev=revision or "?")
    return gettext("schema drift not checked: the comparison failed")


def _drift_messages() -> dict:
    from admin_app.i18n import gettext

    return {
        "add_table": lambda v: gettext(
            "table %(table)s is in the models but not in the database", **v),
        "remove_table": lambda v: gettext(
            "table %(table)s is in the database but not in the models", **v),
        "add_column": lambda v: gettext(
            "column %(table)s.%(column)s is in the models but not in the database", **v),
        "remove_column": lambda v: gettext(
            "column %(table)s.%(column)s is in the database but not in the models", **v),
        "add_index": lambda v: gettext(
            "index %(name)s on %(table)s (%(columns)s) is in the models but not in the "
            "database", **v),
        "remove_index": lambda v: gettext(
            "index %(name)s on %(table)s (%(columns)s) is in the database but not in the "
            "models", **v),
        "add_constraint": lambda v: gettext(
            "constraint %(name)s on %(table)s (%(columns)s) is in the models but not in the "
            "database", **v),
        "remove_constraint": lambda v: gettext(
            "constraint %(name)s on %(table)s (%(columns)s) is in the database but not in the "
            "models", **v),
        "modify_type": lambda v: gettext(
            "column %(table)s.%(column)s has type %(database)s in the database and "
            "%(models)s in the models", **v),
        "modify_nullable": lambda v: gettext(
            "column %(table)s.%(column)s: nullable is %(database)s in the database and "
            "%(models)s in the models", **v),
        "modify": lambda v: gettext(
            "column %(table)s.%(column)s: %(what)s is %(database)s in the database and "
            "%(models)s in the models", **v),
    }


def drift_words(item: dict) -> str:
    """One schema difference in words (as ``flask db check`` lists them, in the user's
    language)."""
    kind = item["kind"]
    values = dict(item, columns=", ".join(item.get("columns") or ()))
    messages = _drift_messages()
    kind = {"add_fk": "add_constraint", "remove_fk": "remove_constraint"}.get(kind, kind)
    if kind not in messages and kind.startswith("modify_"):
        values["what"] = kind[len("modify_"):]
        kind = "modify"
    message = messages.get(kind)
    return message(values) if message else (item.get("detail") or kind)


def probe(environment: Environment, timeout: float = CONNECT_TIMEOUT,
          models: Models | None = None) -> Probe:
    """Connect read-only and read the version table (and the migration log if there); with
    ``models``, a database at their heads is also compared with them (schema drift)."""
    started = time.perf_counter()
    result = _probe(environment, timeout, models)
    result.elapsed_ms = int((time.perf_counter() - started) * 1000)
    return result


def _lock_holder(url_text: str) -> dict | None:
    from .lock import sqlite_holder

    return sqlite_holder(url_text)


def _look_further(connection, result: Probe, environment: Environment,
                  models: Models | None) -> None:
    """On the same read-only connection: an upgrade holding the lock, and schema drift."""
    from .lock import pg_holder

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
            result.drift_error = _detail(exc, environment)


def _probe(environment: Environment, timeout: float, models: Models | None = None) -> Probe:
    if environment.problem or not environment.url:
        return Probe(reachable=False, error_kind=environment.problem or INVALID_URL)
    dialect = environment.dialect
    url = make_url(environment.url)
    if dialect == "sqlite":
        path = _sqlite_path(url)
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
        return Probe(reachable=False, dialect=dialect, error_kind=_classify(exc),
                     error_detail=_detail(exc, environment))


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
                                     error_detail=_detail(exc, environment)))
        else:
            results.append(Probe(reachable=False, dialect=environment.dialect,
                                 error_kind=TIMEOUT, elapsed_ms=int(deadline * 1000)))
    return results


# --------------------------------------------------------------------------- status

@dataclass
class EnvironmentStatus:
    environment: Environment
    probe: Probe
    state: str | None
    current_lines: list[str] | None
    pending: list[Revision]
    heads: list[str]
    applied_records: dict[str, dict]
    marks: dict[str, str]
    #: Applied revisions whose script changed since (MODIFIED) or is gone (MISSING).
    integrity: list[dict] = field(default_factory=list)
    #: With ``follows``: which pending revisions the predecessor has applied (ready to
    #: promote) and which it has not (waiting), see :func:`promotion`.
    promotion: dict | None = None

    @property
    def name(self) -> str:
        return self.environment.name

    @property
    def url(self) -> str:
        return self.environment.masked_url

    @property
    def production(self) -> bool:
        return self.environment.production

    @property
    def reachable(self) -> bool:
        return self.probe.reachable

    @property
    def current(self) -> tuple[str, ...]:
        return self.probe.heads

    @property
    def up_to_date(self) -> bool:
        return self.state == UP_TO_DATE

    @property
    def pending_count(self) -> int:
        return len(self.pending)

    @property
    def drift(self) -> list[dict] | None:
        """Differences between the live schema and the models (at head) or the schema the
        migrations build at its revision (below head); None: not compared."""
        return self.probe.drift

    @property
    def drift_words(self) -> list[str]:
        return [drift_words(item) for item in self.probe.drift or ()]

    @property
    def drift_not_checked(self) -> str | None:
        """Why schema drift could not be checked (words, then the driver's), or None."""
        probe = self.probe
        if probe.drift_error_kind is None:
            return None
        words = drift_error_words(probe.drift_error_kind, probe.drift_revision)
        return f"{words} — {probe.drift_error}" if probe.drift_error else words

    @property
    def upgrade_lock(self) -> dict | None:
        return self.probe.upgrade_lock

    @property
    def upgrade_in_progress_label(self) -> str:
        from admin_app.i18n import gettext

        # TRANSLATORS: fixed wording: "upgrade em andamento"
        return gettext("upgrade in progress")

    @property
    def drift_label(self) -> str:
        from admin_app.i18n import gettext

        # TRANSLATORS: fixed wording: "divergência de esquema"
        return gettext("schema drift")

    @property
    def ok(self) -> bool:
        """Up to date, no applied script modified or missing, no schema drift."""
        return self.up_to_date and not self.integrity and not self.probe.drift

    @property
    def modified(self) -> list[dict]:
        return [issue for issue in self.integrity if issue["kind"] == MODIFIED]

    @property
    def missing(self) -> list[dict]:
        return [issue for issue in self.integrity if issue["kind"] == MISSING]

    @property
    def irreversible_pending(self) -> list[Revision]:
        return [r for r in self.pending if not r.reversible]

    @property
    def state_label(self) -> str:
        return state_label(self.state, self.pending_count)

    @property
    def badge(self) -> str:
        return BADGES.get(self.state, "light")

    @property
    def error_words(self) -> str | None:
        """Why the environment could not be checked, in the user's language."""
        if self.probe.reachable:
            return None
        return error_words(self.probe.error_kind, self.environment.url_env)

    @property
    def error(self) -> str | None:
        """``error_words`` and the driver's own message (password removed)."""
        words = self.error_words
        if words and self.probe.error_detail:
            return f"{words} — {self.probe.error_detail}"
        return words

    @property
    def note(self) -> str:
        return note_words(self.probe.note)

    def current_revisions(self, scripts: Scripts | None) -> list[dict]:
        rows = []
        for revision in sorted(self.probe.heads):
            known = scripts.by_id.get(revision) if scripts else None
            rows.append({"revision": revision, "known": known is not None,
                         "message": known.message if known else "",
                         "is_head": bool(known and known.is_head),
                         "applied": self.applied_records.get(revision)})
        return rows

    def to_dict(self, scripts: Scripts | None) -> dict:
        probe = self.probe
        return {
            "name": self.name, "url": self.url, "production": self.production,
            "dialect": probe.dialect, "server_version": probe.server_version,
            "reachable": probe.reachable, "error": self.error, "note": self.note or None,
            "state": self.state, "state_label": self.state_label,
            "up_to_date": self.up_to_date, "pending_count": self.pending_count,
            "current": [dict(row, applied=_jsonable(row["applied"]))
                        for row in self.current_revisions(scripts)],
            "current_lines": self.current_lines, "heads": self.heads,
            "pending": [r.to_dict() for r in self.pending],
            "integrity": [dict(_jsonable(issue), label=integrity_label(issue["kind"]))
                          for issue in self.integrity],
            "upgrade_in_progress": _jsonable(self.upgrade_lock),
            "follows": self.environment.follows,
            "promotion": self.promotion,
            "drift": None if probe.drift is None else [
                dict(item, words=drift_words(item)) for item in probe.drift],
            "drift_label": self.drift_label if probe.drift else None,
            "drift_reference": None if probe.drift is None else (
                {"source": "models", "revision": None} if probe.drift_revision is None
                else {"source": "migrations", "revision": probe.drift_revision}),
            "drift_error": self.drift_not_checked,
            "ok": self.ok,
            "elapsed_ms": probe.elapsed_ms,
        }


def _jsonable(record: dict | None) -> dict | None:
    if record is None:
        return None
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in record.items()}


def _applied_records(log_rows: list[dict], applied: set[str]) -> dict[str, dict]:
    """For each applied revision, its latest recorded upgrade (or stamp), if any."""
    records: dict[str, dict] = {}
    for row in log_rows:  # newest first
        for revision in str(row["revision"]).split(","):
            if revision in records or revision not in applied:
                continue
            if row["direction"] == "downgrade":
                records[revision] = None
            else:
                records[revision] = {"applied_at": row["applied_at"],
                                     "applied_by": row["applied_by"],
                                     "direction": row["direction"],
                                     "duration_ms": row["duration_ms"]}
    return {k: v for k, v in records.items() if v}


def _integrity(log_rows: list[dict], applied: set[str], current: tuple[str, ...],
               scripts: Scripts) -> list[dict]:
    """The applied revisions whose script changed since it was applied (the checksum
    env.py recorded differs from the file's now), and those the scripts no longer hold."""
    latest: dict[str, dict] = {}
    for row in log_rows:  # newest first
        for revision in str(row["revision"]).split(","):
            latest.setdefault(revision, row)
    issues = []
    for revision in scripts.apply_order:
        row = latest.get(revision)
        if revision not in applied or not row or row["direction"] == "downgrade":
            continue
        known = scripts.by_id[revision]
        if row.get("checksum") and known.checksum and row["checksum"] != known.checksum:
            issues.append({"kind": MODIFIED, "revision": revision, "message": known.message,
                           "recorded_checksum": row["checksum"],
                           "current_checksum": known.checksum,
                           "applied_at": row["applied_at"], "applied_by": row["applied_by"]})
    missing = [r for r in sorted(current) if not scripts.knows(r)]
    for revision, row in latest.items():
        if revision and revision != "base" and not scripts.knows(revision) \
                and row["direction"] == "upgrade" and revision not in missing:
            missing.append(revision)
    for revision in missing:
        row = latest.get(revision) or {}
        issues.append({"kind": MISSING, "revision": revision,
                       "message": row.get("message") or "",
                       "recorded_checksum": row.get("checksum"), "current_checksum": None,
                       "applied_at": row.get("applied_at"),
                       "applied_by": row.get("applied_by")})
    return issues


def environment_status(environment: Environment, probe_result: Probe,
                       scripts: Scripts | None) -> EnvironmentStatus:
    current = probe_result.heads
    heads = list(scripts.heads) if scripts else []
    state, lines, pending, applied = None, None, [], set()
    if not probe_result.reachable:
        state = UNREACHABLE
    elif scripts is not None:
        if any(not scripts.knows(r) for r in current):
            state = UNKNOWN_REVISION
        else:
            applied = scripts.applied(current)
            pending = scripts.pending(current)
            lines = scripts.current_lines(current)
            if scripts.multiple_heads:
                state = MULTIPLE_HEADS
            elif not probe_result.has_version_table:
                state = NOT_INITIALIZED
            else:
                state = PENDING if pending else UP_TO_DATE
    marks = {}
    if scripts is not None:
        for revision in scripts.by_id:
            if state in (UNREACHABLE, UNKNOWN_REVISION, None):
                marks[revision] = UNKNOWN
            elif revision in current:
                marks[revision] = CURRENT
            else:
                marks[revision] = APPLIED if revision in applied else NOT_APPLIED
    integrity = _integrity(probe_result.log, applied, current, scripts) \
        if scripts is not None and probe_result.reachable else []
    return EnvironmentStatus(environment=environment, probe=probe_result, state=state,
                             current_lines=lines, pending=pending, heads=heads,
                             applied_records=_applied_records(probe_result.log, applied),
                             marks=marks, integrity=integrity)


def promotion(status: EnvironmentStatus, predecessor: EnvironmentStatus | None,
              scripts: Scripts | None) -> dict | None:
    """For an environment that follows another: its pending revisions the predecessor has
    already applied (``ready``, may be promoted) and those it has not (``waiting``)."""
    follows = status.environment.follows
    if not follows or scripts is None:
        return None
    known = predecessor is not None and predecessor.reachable \
        and predecessor.state not in (UNKNOWN_REVISION, UNREACHABLE, None)
    done = scripts.applied(predecessor.current) if known else set()
    return {"follows": follows, "predecessor_checked": known,
            "predecessor_state": predecessor.state if predecessor else None,
            "ready": [r.revision for r in status.pending if r.revision in done],
            "waiting": [r.revision for r in status.pending if r.revision not in done]}


@dataclass
class StatusReport:
    config: EnvironmentsConfig
    scripts: Scripts | None
    scripts_error: str | None
    environments: list[EnvironmentStatus]
    generated_at: datetime
    elapsed_ms: int

    @property
    def all_up_to_date(self) -> bool:
        return self.config.error is None and self.scripts_error is None \
            and all(e.ok for e in self.environments)

    @property
    def config_error(self) -> str | None:
        return self.config.error.message() if self.config.error else None

    def matrix(self) -> list[dict]:
        """History rows, newest first, each with one mark per environment."""
        if self.scripts is None:
            return []
        return [{"revision": revision,
                 "marks": [(e.name, e.marks.get(revision.revision, UNKNOWN),
                            e.applied_records.get(revision.revision))
                           for e in self.environments],
                 "modified_in": [e.name for e in self.environments
                                 if any(i["revision"] == revision.revision
                                        for i in e.modified)]}
                for revision in self.scripts.revisions]

    def to_dict(self) -> dict:
        scripts = self.scripts
        return {
            "generated_at": self.generated_at.isoformat(),
            "elapsed_ms": self.elapsed_ms,
            "ok": self.all_up_to_date,
            "config": {"path": str(self.config.path), "from_file": self.config.from_file,
                       "error": self.config_error},
            "scripts": {"location": scripts.location if scripts else None,
                        "heads": scripts.heads if scripts else [],
                        "multiple_heads": scripts.multiple_heads if scripts else False,
                        "error": self.scripts_error},
            "environments": [e.to_dict(scripts) for e in self.environments],
            "history": [dict(row["revision"].to_dict(),
                             environments={name: mark for name, mark, _ in row["marks"]},
                             modified_in=row["modified_in"])
                        for row in self.matrix()],
        }


def status_report(config: EnvironmentsConfig, location, only: list[str] | None = None,
                  timeout: float = CONNECT_TIMEOUT, models: Models | None = None) -> StatusReport:
    """The status of every environment of ``config`` (or those named in ``only``)."""
    started = time.perf_counter()
    if config.error:
        log.warning("%s", config.error)
    scripts, scripts_error = None, None
    try:
        scripts = load_scripts(location)
    except Exception as exc:  # a broken revision file: say so, still show the databases
        scripts_error = f"{type(exc).__name__}: {exc}"
        log.warning("migration status: the scripts in %s cannot be read: %s", location,
                    scripts_error)
    wanted = [e for e in config.environments if only is None or e.name in only]
    # Predecessors (``follows``) are checked too, for the promotion order, but not listed.
    extra = [e for e in config.environments if e not in wanted
             and any(w.follows == e.name for w in wanted)]
    environments = wanted + extra
    probes = probe_all(environments, timeout, models=models)
    checked = {env.name: environment_status(env, result, scripts)
               for env, result in zip(environments, probes)}
    statuses = [checked[env.name] for env in wanted]
    for status in statuses:  # below head: compared with their revision's rebuilt schema
        reference_drift(status, scripts, models, timeout)
    for status in statuses:
        status.promotion = promotion(status, checked.get(status.environment.follows or ""),
                                     scripts)
    for status in statuses:
        if not status.reachable:
            log.warning("migration status: environment %s (%s) unreachable: %s",
                        status.name, status.url or "-",
                        status.probe.error_detail or status.probe.error_kind)
    return StatusReport(config=config, scripts=scripts, scripts_error=scripts_error,
                        environments=statuses, generated_at=datetime.now(timezone.utc),
                        elapsed_ms=int((time.perf_counter() - started) * 1000))


def migrations_dir(app) -> str:
    """The app's migrations folder (``GESTAO_MIGRATIONS_DIR`` overrides, for tests)."""
    return str(app.config.get("GESTAO_MIGRATIONS_DIR") or app.extensions["migrate"].directory)


def report_for_app(app, only: list[str] | None = None) -> StatusReport:
    from .environments import for_app

    return status_report(for_app(app), migrations_dir(app), only=only,
                         models=models_for_app(app))
