"""The migration plan in words, in the user's language: each finding's risk and what to do
instead, the levels, the verdict, how a step's SQL was obtained. Codes come from
ops/findings.py and ops/plan.py; the command line, the page and the JSON say them here."""

from admin_app.i18n import gettext

from . import findings as f
from .capture import CAPTURED, OFFLINE
from .plan import NOTHING_PENDING, REFUSE, SAFE, UNKNOWN, WARNINGS
from .text import state_label


def level_label(level: str) -> str:
    # TRANSLATORS: finding levels, fixed wording: "perigoso" / "atenção"
    labels = {f.DANGEROUS: gettext("dangerous"), f.ATTENTION: gettext("attention")}
    return labels.get(level, level)


def verdict_label(verdict: str) -> str:
    return {
        NOTHING_PENDING: gettext("nothing pending"),
        SAFE: gettext("no risk found"),
        WARNINGS: gettext("attention: read the findings"),
        REFUSE: gettext("dangerous: refused in production without --accept-risk"),
        UNKNOWN: gettext("not planned: the environment could not be checked"),
    }.get(verdict, verdict)


def source_label(source: str | None) -> str:
    return {
        OFFLINE: gettext("rendered offline (as flask db upgrade --sql)"),
        CAPTURED: gettext("captured from a run in a scratch database at this revision"),
    }.get(source, gettext("not available"))


def _rows(rows) -> str:
    if rows is None:
        return gettext("row count unknown")
    return gettext("%(rows)s rows", rows=f"{rows:,}".replace(",", "."))


def _where(finding: f.Finding) -> str:
    if finding.column:
        return f"{finding.table}.{finding.column}"
    return finding.table or "—"


def _downgrade_words(finding: f.Finding, where: str) -> str:
    objects = finding.detail.get("objects") or [where]
    where = ", ".join(objects[:6]) + (" …" if len(objects) > 6 else "")
    if finding.detail.get("change") == "type":
        return gettext("its downgrade narrows the type of %(where)s: values written since "
                       "can be cut", where=where)
    return gettext("its downgrade drops %(where)s: undoing it loses data written since",
                   where=where)


def risk_words(finding: f.Finding) -> str:
    """What could go wrong, naming the table and column."""
    where, detail = _where(finding), finding.detail
    words = {
        f.DROP_TABLE: gettext("drops the table %(where)s and all its data", where=where),
        f.DROP_COLUMN: gettext("drops the column %(where)s and its data", where=where),
        f.LOSSY_TYPE: gettext("changes %(where)s from %(old)s to %(new)s: values can be cut "
                              "or refused", where=where, old=detail.get("old"),
                              new=detail.get("new")),
        f.NOT_NULL_WITHOUT_DEFAULT: gettext("adds %(where)s as NOT NULL without a server "
                                            "default to a table with rows: the upgrade fails",
                                            where=where),
        f.NOT_NULL_OVER_NULLS: gettext("makes %(where)s NOT NULL while rows hold NULL there: "
                                       "the upgrade fails", where=where),
        f.UNIQUE_OVER_DUPLICATES: gettext("makes (%(where)s) unique while %(groups)s values "
                                          "are repeated in this environment: the upgrade "
                                          "fails", where=where,
                                          groups=detail.get("groups") or "?"),
        f.INDEX_WITHOUT_CONCURRENTLY: gettext("builds or drops an index on %(where)s without "
                                              "CONCURRENTLY: writes wait until it ends",
                                              where=where),
        f.TABLE_REWRITE: gettext("rewrites the table %(where)s: reads and writes wait until "
                                 "it ends", where=where),
        f.LONG_LOCK: gettext("holds a long lock on %(where)s (%(rule)s)", where=where,
                             rule=detail.get("rule", "")),
        f.DOWNGRADE_LOSES_DATA: _downgrade_words(finding, where),
        f.TRIGGERS_DROPPED: gettext("rebuilds the table %(where)s without its triggers "
                                    "(%(triggers)s): what they kept up to date (the search "
                                    "index) stops following it", where=where,
                                    triggers=", ".join(detail.get("triggers", ()))),
        f.FAILS_TO_RUN: gettext("fails when run on a copy of this schema: %(error)s",
                                error=detail.get("error", "")),
    }
    return words.get(finding.code, finding.code)


def advice_words(finding: f.Finding) -> str:
    """What to do instead."""
    words = {
        f.DROP_TABLE: gettext("back the data up or move it first; drop in a later release "
                              "once nothing reads it"),
        f.DROP_COLUMN: gettext("stop using the column in one release, drop it in the next "
                               "(and keep a backup)"),
        f.LOSSY_TYPE: gettext("add a new column, copy and check the values, then switch"),
        f.NOT_NULL_WITHOUT_DEFAULT: gettext("give the column a server_default, or add it "
                                            "nullable, fill it, then make it NOT NULL"),
        f.NOT_NULL_OVER_NULLS: gettext("fill the NULLs in a data migration before the NOT "
                                       "NULL"),
        f.UNIQUE_OVER_DUPLICATES: gettext("resolve the repeated values first (a data "
                                          "migration or by hand)"),
        f.INDEX_WITHOUT_CONCURRENTLY: gettext("use postgresql_concurrently=True inside "
                                              "op.get_context().autocommit_block()"),
        f.TABLE_REWRITE: gettext("run it in a maintenance window, or add a new column and "
                                 "backfill it in batches"),
        f.LONG_LOCK: gettext("add the constraint NOT VALID, then VALIDATE it in a later "
                             "step"),
        f.DOWNGRADE_LOSES_DATA: gettext("restore from the backup instead of downgrading "
                                        "once the new schema holds data"),
        f.TRIGGERS_DROPPED: gettext("create the triggers again at the end of the same "
                                    "migration (as the search revision does)"),
        f.FAILS_TO_RUN: gettext("fix the revision and plan again"),
    }
    return words.get(finding.code, "")


def finding_line(finding: f.Finding) -> str:
    """``[perigoso] rev: risk (N rows). Instead: advice.``"""
    return gettext("[%(level)s] %(revision)s: %(risk)s (%(rows)s). Instead: %(advice)s.",
                   level=level_label(finding.level), revision=finding.revision,
                   risk=risk_words(finding), rows=_rows(finding.rows),
                   advice=advice_words(finding))


def _sql_lines(title: str, step, with_sql: bool) -> list[str]:
    lines = [f"    {title}: {source_label(step.source)}"
             + (f" — {step.error}" if step.source is None and step.error else "")]
    if with_sql:
        for statement in step.statements:
            lines += ["      " + line for line in (statement + ";").splitlines()]
    return lines


def plan_lines(plan, with_sql: bool = False) -> list[str]:
    """The plan as the command line prints it: the environment, each pending revision in
    the order it will run (its SQL with ``with_sql``), its findings, the verdict."""
    status = plan.status
    production = " [" + gettext("production") + "]" if status.production else ""
    lines = [f"{status.name}{production}: "
             f"{state_label(status.state, status.pending_count)}"]
    if status.error:
        lines.append("  " + gettext("Error") + f": {status.error}")
    if plan.scratch_error:
        lines.append("  " + gettext("No scratch database (only the offline SQL): %(error)s",
                                    error=plan.scratch_error))
    if plan.data_error:
        lines.append("  " + gettext("The data could not be read: %(error)s",
                                    error=plan.data_error))
    for number, planned in enumerate(plan.revisions, 1):
        revision, captured = planned.revision, planned.captured
        lines.append(f"  {number}. {revision.revision} {revision.message}")
        if captured.not_reached:
            lines.append("    " + gettext("not run: an earlier revision failed"))
        lines += _sql_lines(gettext("upgrade"), captured.upgrade, with_sql)
        if revision.reversible:
            lines += _sql_lines(gettext("downgrade"), captured.downgrade, with_sql)
        for finding in planned.findings:
            lines.append("    " + finding_line(finding))
    lines.append("  " + gettext("Verdict: %(verdict)s", verdict=verdict_label(plan.verdict)))
    return lines
