"""An environment's migration plan: its pending revisions in the order `migrations upgrade`
would run them, each with its SQL for that environment's dialect (upgrade and downgrade, and
how it was obtained: ops/capture.py) and its findings against that environment's data
(ops/findings.py); and the verdict. Read-only for the environment. Codes, no words."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from .capture import CapturedRevision, capture
from .codes import UNKNOWN_REVISION, UNREACHABLE
from .engines import CONNECT_TIMEOUT, open_readonly
from .environments import Environment, scrub
from .errors import driver_words
from .findings import (ATTENTION, DANGEROUS, Data, Finding, downgrade_findings,
                       lock_findings, upgrade_findings)
from .probe import probe
from .scripts import load_scripts
from .status import EnvironmentStatus, environment_status

# The verdict of a plan.
NOTHING_PENDING, SAFE, WARNINGS, REFUSE, UNKNOWN = (
    "nothing_pending", "ok", ATTENTION, DANGEROUS, "unknown")


@dataclass
class PlannedRevision:
    captured: CapturedRevision
    findings: list[Finding] = field(default_factory=list)

    @property
    def revision(self):
        return self.captured.revision


@dataclass
class Plan:
    status: EnvironmentStatus
    revisions: list[PlannedRevision] = field(default_factory=list)
    #: Why the scratch database could not be used (the SQL is then offline only).
    scratch_error: str | None = None
    #: Why the environment's data could not be read (findings then assume the worst).
    data_error: str | None = None

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.revisions for f in r.findings]

    @property
    def dangerous(self) -> list[Finding]:
        return [f for f in self.findings if f.level == DANGEROUS]

    @property
    def verdict(self) -> str:
        if self.status.state in (UNREACHABLE, UNKNOWN_REVISION) or self.status.state is None:
            return UNKNOWN
        if not self.revisions:
            return NOTHING_PENDING
        levels = {f.level for f in self.findings}
        if DANGEROUS in levels:
            return REFUSE
        # without the scratch database the schema was not compared: not known to be safe
        return WARNINGS if ATTENTION in levels or self.scratch_error else SAFE


def _pg_version(status: EnvironmentStatus) -> str | None:
    version = status.probe.server_version
    return version if status.probe.dialect == "postgresql" else None


def plan_for(status: EnvironmentStatus, location) -> Plan:
    """The plan of an environment already probed (the page's and the command's status)."""
    plan = Plan(status)
    if status.state in (UNREACHABLE, UNKNOWN_REVISION, None) or not status.pending:
        return plan
    environment = status.environment
    captured, scratch_error = capture(environment.url, location, status.current,
                                      status.pending)
    plan.scratch_error = _scrubbed(scratch_error, environment)
    for revision in captured:  # what the driver said, without the environment's password
        revision.error = _scrubbed(revision.error, environment)
        for step in (revision.upgrade, revision.downgrade):
            step.error = _scrubbed(step.error, environment)
    try:
        with open_readonly(environment.url, CONNECT_TIMEOUT) as connection:
            data = Data(connection)
            plan.revisions = [_findings(c, data, _pg_version(status)) for c in captured]
    except Exception as exc:  # the data could not be read: findings without it
        plan.data_error = driver_words(exc, environment)
        data = Data(None)
        data.dialect = make_url(environment.url).get_backend_name()
        plan.revisions = [_findings(c, data, _pg_version(status)) for c in captured]
    return plan


def _scrubbed(words: str | None, environment: Environment) -> str | None:
    return scrub(words, environment.password, environment.url) if words else words


def _findings(captured: CapturedRevision, data: Data, pg_version) -> PlannedRevision:
    findings = upgrade_findings(captured, data) + lock_findings(captured, data, pg_version) \
        + downgrade_findings(captured, data)
    return PlannedRevision(captured, findings)


def plan_environment(environment: Environment, location, scripts=None) -> Plan:
    """Probe one environment and plan its pending revisions (``scripts``: those of
    ``location``, when already loaded). Needs an app context."""
    scripts = scripts or load_scripts(location)
    status = environment_status(environment, probe(environment), scripts)
    return plan_for(status, location)


#: Plans kept per environment while its revision and its pending scripts stay the same.
PLAN_SECONDS = 300
_plans: dict[tuple, tuple[float, Plan]] = {}
_plans_lock = threading.Lock()


def cached_plan(status: EnvironmentStatus, location) -> Plan:
    """:func:`plan_for`, reused for PLAN_SECONDS while nothing it depends on changed
    (the metrics and the page ask often; a plan builds a scratch database)."""
    environment = status.environment
    key = (environment.name, environment.url, str(location), status.current,
           tuple((r.revision, r.checksum) for r in status.pending))
    with _plans_lock:
        kept = _plans.get(key)
        if kept is not None and time.monotonic() - kept[0] < PLAN_SECONDS:
            return kept[1]
    plan = plan_for(status, location)
    with _plans_lock:
        _plans[key] = (time.monotonic(), plan)
        for stale in [k for k, (at, _p) in _plans.items()
                      if time.monotonic() - at >= PLAN_SECONDS]:
            del _plans[stale]
    return plan


def plans_for(report, location) -> dict[str, Plan]:
    """The plan of each reachable environment of a status report with pending revisions
    and no upgrade under way (its plan is about to change), by name; cached."""
    return {status.name: cached_plan(status, location) for status in report.environments
            if status.reachable and status.pending and not status.upgrade_lock
            and report.scripts is not None}
