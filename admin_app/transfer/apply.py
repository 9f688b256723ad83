"""An import applied: all of its lines or none, in one transaction, through the ORM.

The session's listeners then do for each record what they do for a form's save: business
rules (models/lifecycle.py), the version counter, and one audit entry per record, marked
with the import's id (audit.py). A record changed by someone else since the preview
refuses the whole import rather than overwrite that change.
"""

from sqlalchemy.exc import IntegrityError

from admin_app import audit
from admin_app.extensions import db
from admin_app.models.base import utcnow
from admin_app.models.transfer import APPLIED, FAILED, PREVIEWED, ImportRun
from admin_app.rules import BusinessRuleError

from . import words
from .plan import CHANGED, ERROR, NEW, UNCHANGED, Plan

FLUSH_EVERY = 250


class ImportRefused(Exception):
    """Nothing was written; the message says why (in the user's language)."""


def record_preview(plan: Plan, user_id, actor: str) -> ImportRun:
    """The import's record, with the preview's counts (the caller commits)."""
    run = ImportRun(user_id=user_id, actor=actor, entity=plan.entity,
                    file_name=plan.file_name[:255], status=PREVIEWED)
    count_preview(run, plan)
    db.session.add(run)
    db.session.flush()
    return run


def count_preview(run: ImportRun, plan: Plan) -> None:
    run.rows, run.created, run.changed = len(plan.lines), plan.count(NEW), plan.count(CHANGED)
    run.unchanged, run.errors = plan.count(UNCHANGED), plan.count(ERROR)
    run.digest = plan.digest() if plan.ok else None


def apply(view, plan: Plan, run: ImportRun, user_id, actor: str, progress=None) -> ImportRun:
    """Write every new and changed line and commit; on any refusal roll back everything,
    mark the import failed with the reason, and raise ImportRefused."""
    if not plan.ok:
        raise ImportRefused("\n".join(plan.error_messages()))
    run_id = run.id
    db.session.info[audit.IMPORT_KEY] = run_id
    db.session.info[audit.ACTOR_KEY] = (user_id, actor)
    try:
        _write(view.model, plan, progress)
        run.status, run.finished_at = APPLIED, utcnow()
        db.session.commit()
    except (ImportRefused, BusinessRuleError, IntegrityError) as problem:
        db.session.rollback()
        mark_failed(run_id, _reason(problem))
        raise ImportRefused(_reason(problem)) from None
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop(audit.IMPORT_KEY, None)
        db.session.info.pop(audit.ACTOR_KEY, None)
    return run


def _write(model, plan: Plan, progress=None) -> None:
    stale, pending, total = [], 0, len(plan.lines)
    for done, line in enumerate(plan.lines):
        if progress is not None and done % FLUSH_EVERY == 0:
            progress(done, total)
        if line.status == NEW:
            record = model()
            for name, value in line.assignments(plan.names):
                setattr(record, name, value)
            db.session.add(record)
        elif line.status == CHANGED:
            record = db.session.get(model, line.record_id)
            if record is None or getattr(record, "version", None) != line.version:
                stale.append(line.key)
                continue
            for name, value in line.assignments(plan.names):
                setattr(record, name, value)
        else:
            continue
        pending += 1
        if pending % FLUSH_EVERY == 0:
            db.session.flush()
    if stale:
        raise ImportRefused(words.CHANGED_RECORDS % {"keys": ", ".join(stale[:20])})
    db.session.flush()


def _reason(problem) -> str:
    if isinstance(problem, IntegrityError):
        from admin_app.admin.errors import describe_integrity_error
        return describe_integrity_error(problem)
    return str(problem)


def mark_failed(run_id: int, reason: str) -> None:
    """The import's record survives the rollback of its writes, marked failed."""
    run = db.session.get(ImportRun, run_id)
    if run is None:
        return
    run.status, run.message, run.finished_at = FAILED, reason[:2000], utcnow()
    db.session.commit()
