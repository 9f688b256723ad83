"""The migration status as JSON (``/admin/migrations/status.json`` and ``manage.py
migrations status --json``): the codes, and beside each its words in the user's language."""

from __future__ import annotations

from datetime import datetime

from . import plan_text, text
from .plan import Plan
from .scripts import Revision, Scripts
from .status import EnvironmentStatus, StatusReport


def revision_json(revision: Revision) -> dict:
    return {"revision": revision.revision, "parents": list(revision.parents),
            "message": revision.message, "date": revision.date, "is_head": revision.is_head,
            "is_branch_point": revision.is_branch_point,
            "is_merge_point": revision.is_merge_point,
            "branch_labels": list(revision.branch_labels), "line": revision.line,
            "checksum": revision.checksum, "reversible": revision.reversible,
            "rollback": revision.rollback,
            "rollback_label": text.rollback_label(revision.rollback) or None}


def environment_json(status: EnvironmentStatus, scripts: Scripts | None) -> dict:
    probe = status.probe
    return {
        "name": status.name, "url": status.url, "production": status.production,
        "dialect": probe.dialect, "server_version": probe.server_version,
        "reachable": probe.reachable, "error": status.error, "note": status.note or None,
        "state": status.state, "state_label": status.state_label,
        "up_to_date": status.up_to_date, "pending_count": status.pending_count,
        "current": [dict(row, applied=_jsonable(row["applied"]))
                    for row in status.current_revisions(scripts)],
        "current_lines": status.current_lines, "heads": status.heads,
        "pending": [revision_json(r) for r in status.pending],
        "integrity": [dict(_jsonable(issue), label=text.integrity_label(issue["kind"]))
                      for issue in status.integrity],
        "upgrade_in_progress": _jsonable(status.upgrade_lock),
        "follows": status.environment.follows,
        "promotion": status.promotion,
        "drift": None if probe.drift is None else [
            dict(item, words=text.drift_words(item)) for item in probe.drift],
        "drift_label": status.drift_label if probe.drift else None,
        "drift_reference": None if probe.drift is None else (
            {"source": "models", "revision": None} if probe.drift_revision is None
            else {"source": "migrations", "revision": probe.drift_revision}),
        "drift_error": status.drift_not_checked,
        "ok": status.ok,
        "elapsed_ms": probe.elapsed_ms,
    }


def _step_json(step) -> dict:
    return {"sql": step.statements, "source": step.source,
            "source_label": plan_text.source_label(step.source), "error": step.error}


def plan_json(plan: Plan) -> dict:
    """The environment's plan: each pending revision's SQL and findings, and the verdict."""
    return {
        "verdict": plan.verdict, "verdict_label": plan_text.verdict_label(plan.verdict),
        "scratch_error": plan.scratch_error, "data_error": plan.data_error,
        "revisions": [{
            "revision": planned.revision.revision, "message": planned.revision.message,
            "upgrade": _step_json(planned.captured.upgrade),
            "downgrade": _step_json(planned.captured.downgrade),
            "error": planned.captured.error, "not_reached": planned.captured.not_reached,
            "findings": [dict(finding.as_json(),
                              level_label=plan_text.level_label(finding.level),
                              risk=plan_text.risk_words(finding),
                              advice=plan_text.advice_words(finding))
                         for finding in planned.findings],
        } for planned in plan.revisions],
    }


def report_json(report: StatusReport, plans: dict[str, Plan] | None = None) -> dict:
    """The report; with ``plans`` (by environment name), each environment's plan too."""
    plans = plans or {}
    scripts = report.scripts
    return {
        "generated_at": report.generated_at.isoformat(),
        "elapsed_ms": report.elapsed_ms,
        "ok": report.all_up_to_date,
        "config": {"path": str(report.config.path), "from_file": report.config.from_file,
                   "error": report.config_error},
        "scripts": {"location": scripts.location if scripts else None,
                    "heads": scripts.heads if scripts else [],
                    "multiple_heads": scripts.multiple_heads if scripts else False,
                    "error": report.scripts_error},
        "environments": [dict(environment_json(e, scripts),
                              plan=plan_json(plans[e.name]) if e.name in plans else None)
                         for e in report.environments],
        "history": [dict(revision_json(row["revision"]),
                         environments={name: mark for name, mark, _ in row["marks"]},
                         modified_in=row["modified_in"])
                    for row in report.matrix()],
    }


def _jsonable(record: dict | None) -> dict | None:
    if record is None:
        return None
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in record.items()}
