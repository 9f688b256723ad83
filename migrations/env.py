"""Alembic environment for Flask-Migrate: the app's metadata and engine, batch mode for
SQLite (so ALTERs work there too), one transaction per migration where the database allows.

Every step applied (upgrade, downgrade, stamp) is recorded in the database's own
``migration_log`` table, in the step's transaction, once that table exists: revision,
direction, when, by whom, duration and the script's checksum. ``flask db upgrade`` records
as much as ``python manage.py migrations upgrade``.

On SQLite each migration runs inside an explicit BEGIN … COMMIT (the driver would otherwise
commit DDL statement by statement), so a failing migration leaves the database at the last
good revision there too. Foreign keys are off while the migrations run (batch mode rebuilds
a table by copying it, dropping the original and renaming the copy: with them on, dropping
a referenced table fails or cascades) and each migration ends with ``PRAGMA
foreign_key_check`` before its COMMIT: a row left pointing at nothing fails that migration,
which is rolled back. This is what Alembic's batch documentation asks for.

``admin_app.ops`` runs this same file against other environments by passing, in
``config.attributes``: ``connection`` (an open connection to migrate through, not in a
transaction with uncommitted changes; an Engine is accepted too),
``applied_by`` (who to record) and ``on_version_apply`` (extra step callbacks).
"""

import logging
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from admin_app.models.ops import LOG_TABLE
from admin_app.ops.actor import default_actor
from admin_app.ops.scripts import script_checksum

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_db = migrate_ext.db


def get_metadata():
    return target_db.metadata


def _url() -> str:
    connection = config.attributes.get("connection")
    url = connection.engine.url if connection is not None else target_db.engine.url
    return url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", _url())


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=get_metadata(), literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


# --------------------------------------------------------------------------- migration log

def _checksum(step, revision: str | None) -> str | None:
    if not revision:
        return None
    try:
        return script_checksum(step.revision_map.get_revision(revision).path)
    except Exception:  # a stamp to an unknown or sourceless revision: no checksum
        return None


def _message(step, revision: str | None) -> str | None:
    if not revision:
        return None
    try:
        return (step.revision_map.get_revision(revision).doc or "")[:255] or None
    except Exception:
        return None


class StepRecorder:
    """The on_version_apply callback: one migration_log row per step, same transaction."""

    def __init__(self, applied_by: str):
        self.applied_by = applied_by
        self.started = time.perf_counter()

    def restart(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, ctx, step, heads, run_args, **kw):
        try:
            self._record(ctx, step)
        finally:
            self.restart()

    def _record(self, ctx, step) -> None:
        table = get_metadata().tables.get(LOG_TABLE)
        if ctx.as_sql or table is None or ctx.connection is None:
            return
        if not sa.inspect(ctx.connection).has_table(LOG_TABLE):
            return  # before the revision creating the log, or after reverting it
        if step.is_stamp:
            direction = "stamp"
            revision = ",".join(step.destination_revision_ids) or "base"
        else:
            direction = "upgrade" if step.is_upgrade else "downgrade"
            revision = step.up_revision_id
        single = revision if revision and "," not in revision and revision != "base" else None
        ctx.connection.execute(table.insert().values(
            revision=revision[:64],
            from_revision=(",".join(step.source_revision_ids) or None),
            direction=direction,
            message=_message(step, single),
            applied_at=datetime.now(timezone.utc).replace(tzinfo=None),
            applied_by=self.applied_by,
            duration_ms=int((time.perf_counter() - self.started) * 1000),
            checksum=_checksum(step, single),
        ))


# --------------------------------------------------------------------------- online

@contextmanager
def sqlite_transactional(connection):
    """Make pysqlite run each migration in a real transaction (BEGIN … COMMIT), the
    SQLAlchemy recipe for SQLite's transactional DDL, on this connection only."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    if connection.in_transaction():
        if driver.in_transaction:
            raise RuntimeError(
                "migrations/env.py: the SQLite connection passed in "
                "config.attributes['connection'] has uncommitted changes; commit or roll "
                "them back before migrating (SQLite would commit its DDL piecemeal)")
        connection.rollback()  # only an autobegun transaction with nothing written
    previous = driver.isolation_level

    def emit_begin(conn):
        conn.exec_driver_sql("BEGIN")

    driver.isolation_level = None
    foreign_keys = driver.execute("PRAGMA foreign_keys").fetchone()[0]
    driver.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction: here
    sa.event.listen(connection, "begin", emit_begin)
    try:
        yield
    finally:
        sa.event.remove(connection, "begin", emit_begin)
        if connection.in_transaction():
            connection.rollback()
        driver.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        driver.isolation_level = previous


def check_foreign_keys(ctx, step, heads, run_args, **kw):
    """On SQLite, after each migration and before its COMMIT: the rows it left pointing at
    nothing (foreign keys are off while it runs) fail it, and it is rolled back."""
    connection = ctx.connection
    if ctx.as_sql or connection is None or connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _key = broken[0]
        raise ForeignKeyCheckFailed(
            f"FOREIGN KEY constraint failed after the "
            f"{'upgrade to' if step.is_upgrade else 'downgrade from'} "
            f"{','.join(step.up_revision_ids)}: {len(broken)} row(s) "
            f"point at nothing, the first {table} rowid {rowid} -> {parent}; "
            f"the migration was rolled back")


class ForeignKeyCheckFailed(sa.exc.DatabaseError):
    """A migration left rows whose foreign key points at nothing (SQLite)."""

    def __init__(self, message: str):
        super().__init__("PRAGMA foreign_key_check", None, RuntimeError(message))


def run_migrations_online():
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    recorder = StepRecorder(config.attributes.get("applied_by") or default_actor())
    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("transaction_per_migration", True)
    conf_args["on_version_apply"] = [recorder, check_foreign_keys,
                                     *config.attributes.get("on_version_apply", ())]

    def run(connection):
        with sqlite_transactional(connection):
            context.configure(connection=connection, target_metadata=get_metadata(),
                              **conf_args)
            recorder.restart()
            with context.begin_transaction():
                context.run_migrations()

    shared = config.attributes.get("connection")
    if isinstance(shared, sa.engine.Connection):
        run(shared)
    else:  # nothing passed, or an Engine (as pytest-alembic passes it)
        with (shared or target_db.engine).connect() as connection:
            run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
