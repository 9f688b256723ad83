"""What each pending revision of an environment will run, before it runs: its SQL, upgrade
and downgrade, rendered as Alembic's offline mode (``flask db upgrade --sql``) does where that
works, else captured by running the step in a scratch database of the environment's dialect
built at the environment's revision (SQLite's batch rebuilds need a live table to reflect;
data migrations read the database). The scratch database also gives the schema before and
after each step, which the findings compare (ops/findings.py). The environment itself is
never written."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from alembic import command
from sqlalchemy import create_engine, event, inspect, text

from .errors import driver_words
from .reference_schema import (ALEMBIC_LOCK, ReferenceUnavailable, reflectable,
                               scratch_connection)
from .scripts import Revision, alembic_config

# How a step's SQL was obtained.
OFFLINE, CAPTURED = "offline", "captured"
APPLIED_BY = "gestao-admin (migration plan)"
#: Statements a step's SQL leaves out: transaction control, and the reads Alembic and the
#: batch mode make of the catalogue, of the version table and of the migration log.
_NOISE = re.compile(r"^\s*(PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SELECT|SHOW)\b",
                    re.IGNORECASE)
_BOOKKEEPING = re.compile(r"\bmigration_log\b", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnShape:
    type: object            # the reflected SQLAlchemy type
    nullable: bool
    default: str | None     # the server default, as the database says it

    @property
    def type_text(self) -> str:
        return str(self.type)


@dataclass
class TableShape:
    columns: dict[str, ColumnShape]
    #: Column tuples that must be unique: unique constraints and unique indexes.
    unique: set[tuple[str, ...]]
    triggers: set[str] = field(default_factory=set)


Schema = dict[str, TableShape]


@dataclass
class StepSQL:
    statements: list[str] = field(default_factory=list)
    source: str | None = None   # OFFLINE or CAPTURED; None: neither way worked
    error: str | None = None    # why not (the driver's or Alembic's words)


@dataclass
class CapturedRevision:
    revision: Revision
    upgrade: StepSQL = field(default_factory=StepSQL)
    downgrade: StepSQL = field(default_factory=StepSQL)
    before: Schema | None = None
    after: Schema | None = None
    after_downgrade: Schema | None = None
    #: The upgrade failed in the scratch database (its words), or was not reached.
    error: str | None = None
    not_reached: bool = False


def snapshot(connection) -> Schema:
    """The tables of the connection's database, as the findings compare them (a few
    catalogue queries for all tables at once)."""
    inspector = inspect(connection)
    tables = [t for t in inspector.get_table_names()
              if reflectable(t) and t != "migration_log"]
    if not tables:
        return {}
    columns = inspector.get_multi_columns(filter_names=tables)
    uniques = inspector.get_multi_unique_constraints(filter_names=tables)
    indexes = inspector.get_multi_indexes(filter_names=tables)
    triggers = _triggers(connection)
    schema = {}
    for (_schema, table), found in columns.items():
        shapes = {c["name"]: ColumnShape(c["type"], bool(c["nullable"]),
                                         None if c.get("default") is None
                                         else str(c["default"]))
                  for c in found}
        table_indexes = indexes.get((_schema, table), [])
        unique = {tuple(u["column_names"]) for u in uniques.get((_schema, table), [])}
        unique |= {tuple(i["column_names"]) for i in table_indexes if i.get("unique")}
        schema[table] = TableShape(shapes, unique, triggers.get(table, set()))
    if connection.in_transaction():  # Alembic must start the next step's transaction itself
        connection.rollback()
    return schema


def _triggers(connection) -> dict[str, set[str]]:
    """Each table's own triggers (SQLite's search index is kept by triggers, which a batch
    rebuild drops with the table)."""
    if connection.dialect.name == "sqlite":
        sql = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = ("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c "
               "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal")
    found: dict[str, set[str]] = {}
    for table, name in connection.execute(text(sql)):
        found.setdefault(table, set()).add(name)
    return found


def split_statements(script: str) -> list[str]:
    """Alembic's offline output, one statement a string (its statements end with ``;`` and
    a blank line), without its comments and transaction control."""
    script = "\n".join(line for line in script.splitlines() if not line.startswith("-- "))
    parts = [part.strip() for part in re.split(r";\s*\n\s*\n", script + "\n\n")]
    return [p.rstrip(";").strip() for p in parts
            if p and not re.match(r"^(BEGIN|COMMIT)\b", p, re.IGNORECASE)]


def _config(location, connection):
    cfg = alembic_config(location)
    cfg.attributes["connection"] = connection
    cfg.attributes["applied_by"] = APPLIED_BY
    return cfg


def render_offline(url: str, location, revision: Revision, direction: str) -> StepSQL:
    """The step's SQL as ``--sql`` renders it for ``url``'s dialect (nothing connects)."""
    parent = revision.parents[0] if len(revision.parents) == 1 else None
    if len(revision.parents) > 1:
        return StepSQL(error="a merge revision: rendered by running it")
    engine = create_engine(url)  # only its dialect is used: offline mode connects nowhere
    cfg = _config(location, engine)
    cfg.output_buffer = io.StringIO()
    try:
        if direction == "upgrade":
            span = f"{parent}:{revision.revision}" if parent else revision.revision
            command.upgrade(cfg, span, sql=True)
        else:
            command.downgrade(cfg, f"{revision.revision}:{parent or 'base'}", sql=True)
    except Exception as exc:  # batch rebuilds, data migrations: captured instead
        return StepSQL(error=driver_words(exc, lines=2))
    finally:
        engine.dispose()
    return StepSQL(split_statements(cfg.output_buffer.getvalue()), OFFLINE)


def _run_recording(connection, step) -> list[str]:
    """Run ``step()`` (an Alembic command on ``connection``) and return the statements it
    sent that change something."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if _NOISE.match(statement) or _BOOKKEEPING.search(statement):
            return
        text = statement.strip()
        if parameters:
            text += f"  -- {parameters!r}"
        sent.append(text)

    event.listen(connection, "before_cursor_execute", record)
    try:
        step()
        if connection.in_transaction():
            connection.commit()
    finally:
        event.remove(connection, "before_cursor_execute", record)
        if connection.in_transaction():
            connection.rollback()
    return sent


def _downgrade_target(revision: Revision) -> str | None:
    if len(revision.parents) > 1:
        return None  # a merge: which branch to go back on is not one step
    return revision.parents[0] if revision.parents else "base"


def _capture_upgrade(connection, cfg, result: CapturedRevision) -> None:
    revision = result.revision
    result.before = snapshot(connection)
    upgraded = _run_recording(connection, lambda: command.upgrade(cfg, revision.revision))
    if result.upgrade.source is None:
        result.upgrade = StepSQL(upgraded, CAPTURED)
    result.after = snapshot(connection)


def _capture_downgrades(connection, cfg, upgraded: list[CapturedRevision]) -> None:
    """From the last revision back, each downgrade run and recorded: the database is then
    at the revision's own state, as after its upgrade. Stops at a revision that cannot be
    undone one step (no downgrade, a merge) or whose downgrade fails."""
    for result in reversed(upgraded):
        target = _downgrade_target(result.revision)
        if target is None or not result.revision.reversible:
            return
        try:
            downgraded = _run_recording(connection, lambda: command.downgrade(cfg, target))
        except Exception as exc:
            result.downgrade = StepSQL(error=driver_words(exc, lines=2))
            return
        result.after_downgrade = snapshot(connection)
        if result.downgrade.source is None:
            result.downgrade = StepSQL(downgraded, CAPTURED)


def capture(url: str, location, current: tuple[str, ...],
            pending: list[Revision]) -> tuple[list[CapturedRevision], str | None]:
    """Every pending revision's SQL and schemas, in apply order; and why the scratch database
    could not be used, if it could not (the offline SQL is still there then). Needs an app
    context (migrations/env.py reads the app's metadata)."""
    results = [CapturedRevision(revision) for revision in pending]
    with ALEMBIC_LOCK:  # Alembic's context is one per process
        for result in results:
            result.upgrade = render_offline(url, location, result.revision, "upgrade")
            if result.revision.reversible:
                result.downgrade = render_offline(url, location, result.revision, "downgrade")
        try:
            with scratch_connection(url) as connection:
                cfg = _config(location, connection)
                for head in current:
                    _run_recording(connection, lambda head=head: command.upgrade(cfg, head))
                _capture_all(connection, cfg, results)
        except ReferenceUnavailable as exc:
            return results, exc.detail or exc.kind
    return results, None


def _capture_all(connection, cfg, results: list[CapturedRevision]) -> None:
    upgraded = []
    for result in results:
        if upgraded is None:
            result.not_reached = True
            continue
        try:
            _capture_upgrade(connection, cfg, result)
            upgraded.append(result)
        except Exception as exc:  # the revision raises: reported, later ones not reached
            result.error = driver_words(exc, lines=3)
            _capture_downgrades(connection, cfg, upgraded)
            upgraded = None
    if upgraded:
        _capture_downgrades(connection, cfg, upgraded)
