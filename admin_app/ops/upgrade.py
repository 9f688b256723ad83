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

from admin_app.i18n import gettext

from .backup import Backup, BackupError, make_backup, restore_hint
from .environments import Environment
from .lock import LOCK_WAIT, LockBusy, deploy_lock
from .codes import (FILE_MISSING, MODIFIED, MULTIPLE_HEADS, NOT_INITIALIZED, UNKNOWN_REVISION,
                    UNREACHABLE, UP_TO_DATE)
from . import engines
from .errors import driver_words
from .plan import REFUSE, plan_for
from .plan_text import finding_line
from .probe import probe
from .reference_schema import ALEMBIC_LOCK
from .scripts import Revision, alembic_config, load_scripts
from .status import environment_status, promotion
from .text import integrity_label


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
    refused: bool = False
    busy: bool = False
    #: How many times a step was tried again after timing out on a lock.
    lock_retries: int = 0


@dataclass(frozen=True)
class StepLimits:
    """PostgreSQL: how long each step may wait for a lock and run (seconds; 0: no limit),
    and how many times a step that timed out on a lock is tried again."""
    lock_timeout: float = 5
    statement_timeout: float = 0
    lock_retries: int = 3

    @classmethod
    def from_config(cls, config) -> "StepLimits":
        return cls(config.get("GESTAO_MIGRATION_LOCK_TIMEOUT", 5),
                   config.get("GESTAO_MIGRATION_STATEMENT_TIMEOUT", 0),
                   config.get("GESTAO_MIGRATION_LOCK_RETRIES", 3))


#: Seconds between two tries of a step that timed out waiting for a lock.
LOCK_BACKOFF = (1, 2, 4, 8, 16)


def pause_before_retry(seconds: float) -> None:
    time.sleep(seconds)


def lock_timed_out(exc: BaseException) -> bool:
    """PostgreSQL gave up waiting for a lock (SQLSTATE 55P03, lock_not_available)."""
    original = getattr(exc, "orig", None) or exc
    return getattr(original, "sqlstate", None) == "55P03" \
        or "lock timeout" in str(original).lower()


def run_alembic(url: str, location, operation: str = "upgrade", target: str = "heads",
                applied_by: str | None = None, on_step: Callable | None = None,
                limits: StepLimits | None = None) -> None:
    """``flask db upgrade|downgrade|stamp TARGET`` on another database, in-process: the
    project's env.py runs on a connection to ``url`` (and records the steps there), within
    ``limits`` on PostgreSQL. Needs an app context (env.py reads the app's metadata and
    options)."""
    limits = limits or StepLimits(lock_timeout=0)
    engine = engines.engine(url, lock_timeout_ms=int(limits.lock_timeout * 1000),
                            statement_timeout_ms=int(limits.statement_timeout * 1000))
    try:
        with ALEMBIC_LOCK, engine.connect() as connection:  # Alembic's context: one a process
            cfg = alembic_config(location)
            cfg.attributes["connection"] = connection
            if applied_by:
                cfg.attributes["applied_by"] = applied_by
            if on_step is not None:
                cfg.attributes["on_version_apply"] = [on_step]
            getattr(command, operation)(cfg, target)
    finally:
        engine.dispose()


ALLOW_MODIFIED_FLAG = "--allow-modified"
ACCEPT_RISK_FLAG = "--accept-risk"


def integrity_words(status) -> str:
    """The modified / missing scripts of ``status``, one per line, both checksums shown."""
    lines = []
    for issue in status.integrity:
        if issue["kind"] == MODIFIED:
            lines.append(gettext("%(rev)s: %(label)s (checksum when applied %(recorded)s, "
                                 "now %(current)s)", rev=issue["revision"],
                                 label=integrity_label(issue["kind"]),
                                 recorded=issue["recorded_checksum"],
                                 current=issue["current_checksum"]))
        else:
            lines.append(f"{issue['revision']}: {integrity_label(issue['kind'])}")
    return "\n".join(lines)


def override_note(status) -> str:
    """What is recorded in migration_log.applied_by when the refusal is overridden."""
    revisions = ",".join(issue["revision"] for issue in status.integrity)
    return f" [{ALLOW_MODIFIED_FLAG}: {revisions}]"


def recorded_actor(applied_by: str | None, status, accepted: list | None = None) -> str | None:
    """``applied_by``, with the overrides that were needed appended: --allow-modified and
    the dangerous findings accepted with --accept-risk."""
    notes = override_note(status) if status.integrity else ""
    if accepted:
        risks = ",".join(f"{f.revision}:{f.code}:{f.table or ''}"
                         f"{'.' + f.column if f.column else ''}" for f in accepted)
        notes += f" [{ACCEPT_RISK_FLAG}: {risks}]"
    if not notes:
        return applied_by
    return ((applied_by or "") + notes).strip()[:255]


def _risk_refusal(status, location, accept_risk: bool,
                  say: Callable[[str], None]) -> tuple[str | None, list | None]:
    """Production: the plan's dangerous findings stop the upgrade unless ``accept_risk``.
    Returns (why not to go on, the findings accepted)."""
    if not status.environment.production or not status.pending:
        return None, None
    plan = plan_for(status, location)
    for finding in plan.findings:
        say(finding_line(finding))
    if plan.verdict != REFUSE:
        return None, None
    if not accept_risk:
        return gettext(
            "%(env)s is a production environment and its migration plan has dangerous "
            "findings (above). Nothing was changed. Change the migrations (see `migrations "
            "plan --env %(env)s`), or, if the risk is understood, run again with %(flag)s "
            "(recorded in migration_log).", env=status.name, flag=ACCEPT_RISK_FLAG), None
    say(gettext("Going on despite the dangerous findings (%(flag)s).", flag=ACCEPT_RISK_FLAG))
    return None, plan.dangerous


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


def upgrade_environment(environment: Environment, *, applied_by: str | None = None,
                        lock_wait: float = LOCK_WAIT, **options) -> UpgradeResult:
    """:func:`_upgrade_environment` (``options`` are its keywords) holding the environment's
    upgrade lock (one deploy at a time): a second upgrade waits up to ``lock_wait``
    seconds, then stops, changing nothing."""
    if not environment.url:
        return _upgrade_environment(environment, applied_by=applied_by, **options)
    lock = deploy_lock(environment.url, applied_by or "?", wait=lock_wait)
    try:
        lock.__enter__()
    except LockBusy as busy:
        result = UpgradeResult(environment=environment.name, refused=True, busy=True)
        since = busy.holder.get("since")
        since = since.strftime("%Y-%m-%d %H:%M:%S UTC") if hasattr(since, "strftime") \
            else (since or "?")
        result.error = gettext(
            "Another upgrade of %(env)s is in progress (by %(who)s, since %(since)s); waited "
            "%(seconds)s s. Nothing was changed: run again when it has finished.",
            env=environment.name, who=busy.holder.get("by") or "?", since=since,
            seconds=f"{lock_wait:g}")
        return result
    except Exception as exc:  # the lock itself could not be taken (server down, …)
        status = environment_status(environment, probe(environment), None)
        return UpgradeResult(environment=environment.name, error=gettext(
            "%(env)s is unreachable: %(error)s", env=environment.name,
            error=status.error or driver_words(exc, environment, lines=2, limit=400)))
    try:
        return _upgrade_environment(environment, applied_by=applied_by, **options)
    finally:
        lock.__exit__(None, None, None)


def _safety_refusal(status, scripts, environment: Environment,
                    predecessor: Environment | None, allow_modified: bool,
                    say: Callable[[str], None]) -> str | None:
    """Promotion order and modified / missing scripts: why not to go on, or None."""
    if environment.production and environment.follows and status.pending:
        checked = environment_status(predecessor, probe(predecessor), scripts) \
            if predecessor is not None else None
        order = promotion(status, checked, scripts)
        if order["waiting"]:
            return gettext(
                "%(env)s follows %(pred)s, which has not applied %(revs)s yet: upgrade "
                "%(pred)s first (promotion order, see docs/migracoes.md). Nothing was changed.",
                env=environment.name, pred=environment.follows,
                revs=", ".join(order["waiting"]))
    if not status.integrity:
        return None
    if not allow_modified:
        return gettext(
            "%(env)s has applied migrations whose scripts changed or are gone since:\n"
            "%(problems)s\nRestore the scripts as they were applied (see "
            "docs/migracoes.md), or, if the change is deliberate, run again with "
            "%(flag)s (recorded in migration_log).", env=environment.name,
            problems=integrity_words(status), flag=ALLOW_MODIFIED_FLAG)
    say(gettext("Going on despite modified or missing scripts (%(flag)s):\n%(problems)s",
                flag=ALLOW_MODIFIED_FLAG, problems=integrity_words(status)))
    return None


def _run_with_retries(environment, location, applied_by, on_step, limits: StepLimits,
                      result: UpgradeResult, say) -> None:
    """Upgrade to head; a step that timed out waiting for a lock (rolled back with its
    transaction) is tried again after a pause, up to ``limits.lock_retries`` times."""
    while True:
        try:
            run_alembic(environment.url, location, "upgrade", "heads", applied_by=applied_by,
                        on_step=on_step, limits=limits)
            return
        except Exception as exc:
            if not lock_timed_out(exc) or result.lock_retries >= limits.lock_retries:
                raise
        pause = LOCK_BACKOFF[min(result.lock_retries, len(LOCK_BACKOFF) - 1)]
        result.lock_retries += 1
        say(gettext("A step waited more than %(seconds)s s for a lock; trying again in "
                    "%(pause)s s (%(n)s of %(max)s).", seconds=f"{limits.lock_timeout:g}",
                    pause=pause, n=result.lock_retries, max=limits.lock_retries))
        pause_before_retry(pause)


def _record_failure(result: UpgradeResult, exc: Exception, environment: Environment,
                    limits: StepLimits) -> None:
    """The failed step, where the database stays and why, in ``result``."""
    done = {step.revision for step in result.steps}
    result.failed = next((r for r in result.pending if r.revision not in done), None)
    result.after = probe(environment).heads
    step_words = (f"{result.failed.revision} ({result.failed.message})"
                  if result.failed else "?")
    result.error = gettext(
        "Step %(step)s failed: %(error)s. The database stays at %(rev)s.",
        step=step_words, error=driver_words(exc, environment, lines=2, limit=400),
        rev=", ".join(result.after) or "base")
    if lock_timed_out(exc):
        result.error += " " + gettext(
            "It waited for a lock %(n)s time(s) of %(seconds)s s; another session holds "
            "the table (see pg_locks): run again when it is free.",
            n=result.lock_retries + 1, seconds=f"{limits.lock_timeout:g}")


def _upgrade_environment(environment: Environment, *, location, backup_directory: Path,
                         applied_by: str | None = None,
                         report: Callable[[str], None] | None = None,
                         allow_modified: bool = False,
                         predecessor: Environment | None = None,
                         accept_risk: bool = False,
                         limits: StepLimits | None = None) -> UpgradeResult:
    """Back up, upgrade to head, verify. Never raises for a database problem: the result
    says what happened (``ok``, ``error``, ``failed``, ``backup``).

    An environment with an applied script modified since or missing from the scripts is
    refused unless ``allow_modified``; the override is then recorded with every step, in
    ``migration_log.applied_by``. A production environment that follows ``predecessor`` is
    refused while the predecessor has not applied every pending revision, and while its plan
    has a dangerous finding unless ``accept_risk`` (recorded like the other override)."""
    say = report or (lambda message: None)
    limits = limits or StepLimits()
    result = UpgradeResult(environment=environment.name)
    scripts = load_scripts(location)
    status = environment_status(environment, probe(environment), scripts)
    result.before = status.current
    result.pending = status.pending

    result.error = _refusal(status, scripts, environment) or _safety_refusal(
        status, scripts, environment, predecessor, allow_modified, say)
    result.error, accepted = (result.error, None) if result.error \
        else _risk_refusal(status, location, accept_risk, say)
    if result.error:
        result.refused = True
        return result
    applied_by = recorded_actor(applied_by, status, accepted)
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
        _run_with_retries(environment, location, applied_by, on_step, limits, result, say)
    except Exception as exc:
        _record_failure(result, exc, environment, limits)
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
