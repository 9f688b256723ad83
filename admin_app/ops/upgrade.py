"""The guarded upgrade of one environment: check, back up, upgrade to head, verify.

Each applied step is recorded by ``migrations/env.py`` in the environment's own
``migration_log`` (in the step's transaction) and reported back here as it happens. A failed
step is rolled back with its transaction, so the database stays at the last good revision;
the result names the step, the error and the backup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from admin_app.i18n import gettext

from .backup import Backup, BackupError, make_backup, restore_hint
from .environments import Environment, scrub
from .migrations import (CONNECT_TIMEOUT, FILE_MISSING, MULTIPLE_HEADS, NOT_INITIALIZED,
                         UNKNOWN_REVISION, UNREACHABLE, UP_TO_DATE, Revision, alembic_config,
                         environment_status, load_scripts, probe)


@dataclass
class Step:
    revision: str
    message: str
    direction: str
    duration_ms: int


@dataclass
class UpgradeResult:
    environment: str
    ok: bool = False
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    pending: list[Revision] = field(default_factory=list)
    backup: Backup | None = None
    steps: list[Step] = field(default_factory=list)
    failed: Revision | None = None
    error: str | None = None
    restore_hint: str | None = None
    nothing_to_do: bool = False


def _words(exc: BaseException, environment: Environment) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = f"{type(original).__name__}: {' '.join(lines[:2])}" if lines \
        else type(original).__name__
    return scrub(text[:400], environment.password, environment.url)


def _engine(url: str):
    connect_args = {"connect_timeout": CONNECT_TIMEOUT} if url.startswith("postgresql") \
        else {"timeout": CONNECT_TIMEOUT}
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def run_alembic(url: str, location, operation: str = "upgrade", target: str = "heads",
                applied_by: str | None = None, on_step: Callable | None = None) -> None:
    """``flask db upgrade|downgrade|stamp TARGET`` on another database, in-process: the
    project's env.py runs on a connection to ``url`` (and records the steps there).
    Needs an app context (env.py reads the app's metadata and options)."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            cfg = alembic_config(location)
            cfg.attributes["connection"] = connection
            if applied_by:
                cfg.attributes["applied_by"] = applied_by
            if on_step is not None:
                cfg.attributes["on_version_apply"] = [on_step]
            getattr(command, operation)(cfg, target)
    finally:
        engine.dispose()


def _refusal(status, scripts, environment: Environment) -> str | None:
    """Why this environment must not be upgraded as it is, or None."""
    if status.state == UNREACHABLE:
        return gettext("%(env)s is unreachable: %(error)s", env=environment.name,
                       error=status.error)
    if status.state == UNKNOWN_REVISION:
        return gettext(
            "%(env)s is on revision %(rev)s, which the migration scripts do not know. Deploy "
            "the code that has it, or fix the version with `flask db stamp` (see "
            "docs/migracoes.md).", env=environment.name, rev=", ".join(status.current))
    if status.state == MULTIPLE_HEADS:
        return gettext(
            "The migration scripts have more than one head (%(heads)s): merge them first "
            "with `flask db merge heads -m \"merge\"`.", heads=", ".join(scripts.heads))
    return None


def upgrade_environment(environment: Environment, *, location, backup_directory: Path,
                        applied_by: str | None = None,
                        report: Callable[[str], None] | None = None) -> UpgradeResult:
    """Back up, upgrade to head, verify. Never raises for a database problem: the result
    says what happened (``ok``, ``error``, ``failed``, ``backup``)."""
    say = report or (lambda message: None)
    result = UpgradeResult(environment=environment.name)
    scripts = load_scripts(location)
    status = environment_status(environment, probe(environment), scripts)
    result.before = status.current
    result.pending = status.pending

    result.error = _refusal(status, scripts, environment)
    if result.error:
        return result
    if status.state == UP_TO_DATE:
        result.ok = result.nothing_to_do = True
        result.after = status.current
        return result

    # 1. Backup first; without one, nothing is changed.
    if status.state == NOT_INITIALIZED and status.probe.note == FILE_MISSING:
        say(gettext("No backup: the database file does not exist yet."))
    else:
        try:
            result.backup = make_backup(environment, status.current, backup_directory)
        except BackupError as exc:
            result.error = gettext("Backup failed, nothing was changed: %(error)s",
                                   error=str(exc))
            return result
        result.restore_hint = restore_hint(result.backup.path, environment)
        say(gettext("Backup: %(path)s (%(size)s bytes)", path=str(result.backup.path),
                    size=result.backup.size))

    # 2. Upgrade, step by step (env.py records each one in the database).
    clock = {"t": time.perf_counter()}

    def on_step(ctx, step, heads, run_args, **kw):
        now = time.perf_counter()
        revision = scripts.by_id.get(step.up_revision_id)
        applied = Step(revision=step.up_revision_id or "",
                       message=revision.message if revision else "",
                       direction="upgrade" if step.is_upgrade else "downgrade",
                       duration_ms=int((now - clock["t"]) * 1000))
        clock["t"] = now
        result.steps.append(applied)
        say(gettext("Applied %(rev)s (%(message)s) in %(ms)s ms", rev=applied.revision,
                    message=applied.message, ms=applied.duration_ms))

    try:
        run_alembic(environment.url, location, "upgrade", "heads",
                    applied_by=applied_by, on_step=on_step)
    except Exception as exc:
        done = {step.revision for step in result.steps}
        result.failed = next((r for r in result.pending if r.revision not in done), None)
        result.after = probe(environment).heads
        step_words = (f"{result.failed.revision} ({result.failed.message})"
                      if result.failed else "?")
        result.error = gettext(
            "Step %(step)s failed: %(error)s. The database stays at %(rev)s.",
            step=step_words, error=_words(exc, environment),
            rev=", ".join(result.after) or "base")
        return result

    # 3. Verify.
    after = environment_status(environment, probe(environment), scripts)
    result.after = after.current
    if after.state != UP_TO_DATE:
        result.error = gettext("After the upgrade %(env)s is not at head: %(state)s "
                               "(current: %(rev)s).", env=environment.name,
                               state=after.state_label, rev=", ".join(after.current) or "base")
        return result
    result.ok = True
    return result
