"""Each environment's migration status: its state against the scripts (what ``flask db
current`` and ``flask db history`` say for its database), its pending revisions, the
revisions marked applied or pending in a matrix, scripts modified after they were applied,
and the promotion order between environments. The report of every environment at once."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import text
from .codes import (APPLIED, CURRENT, MISSING, MODIFIED, MULTIPLE_HEADS, NOT_APPLIED,
                    NOT_INITIALIZED, PENDING, UNKNOWN, UNKNOWN_REVISION, UNREACHABLE,
                    UP_TO_DATE)
from .drift import Models, models_for_app, reference_drift
from .engines import CONNECT_TIMEOUT
from .environments import Environment, EnvironmentsConfig, for_app
from .probe import Probe, probe_all
from .scripts import Revision, Scripts, load_scripts

log = logging.getLogger(__name__)


@dataclass
class EnvironmentStatus:
    """One environment checked against the scripts. Its word properties (labels, errors)
    are ops/text.py's, for the page, the command line and the JSON."""

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
        return [text.drift_words(item) for item in self.probe.drift or ()]

    @property
    def drift_not_checked(self) -> str | None:
        """Why schema drift could not be checked (words, then the driver's), or None."""
        probe = self.probe
        if probe.drift_error_kind is None:
            return None
        words = text.drift_error_words(probe.drift_error_kind, probe.drift_revision)
        return f"{words} — {probe.drift_error}" if probe.drift_error else words

    @property
    def upgrade_lock(self) -> dict | None:
        return self.probe.upgrade_lock

    @property
    def upgrade_in_progress_label(self) -> str:
        return text.upgrade_in_progress_label()

    @property
    def drift_label(self) -> str:
        return text.drift_label()

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
        return text.state_label(self.state, self.pending_count)

    @property
    def error_words(self) -> str | None:
        """Why the environment could not be checked, in the user's language."""
        if self.probe.reachable:
            return None
        return text.error_words(self.probe.error_kind, self.environment.url_env)

    @property
    def error(self) -> str | None:
        """``error_words`` and the driver's own message (password removed)."""
        words = self.error_words
        if words and self.probe.error_detail:
            return f"{words} — {self.probe.error_detail}"
        return words

    @property
    def note(self) -> str:
        return text.note_words(self.probe.note)

    def current_revisions(self, scripts: Scripts | None) -> list[dict]:
        rows = []
        for revision in sorted(self.probe.heads):
            known = scripts.by_id.get(revision) if scripts else None
            rows.append({"revision": revision, "known": known is not None,
                         "message": known.message if known else "",
                         "is_head": bool(known and known.is_head),
                         "applied": self.applied_records.get(revision)})
        return rows


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
    return status_report(for_app(app), migrations_dir(app), only=only,
                         models=models_for_app(app))
