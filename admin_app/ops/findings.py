"""What a pending revision risks in one environment, found before it runs.

The schema each step leaves in the scratch database (ops/capture.py) is compared with the one
before it: a table or a column gone, a type that can lose data, a NOT NULL column, a new
unique key. The environment's own data decides what is dangerous there (read-only: row
counts, PostgreSQL's estimate; NULLs; duplicates). squawk, the PostgreSQL migration linter,
reads PostgreSQL's SQL for the locks it takes; it matters on big tables. Codes and
parameters only: ops/plan_text.py words them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, Float, Integer, Numeric,
                        SmallInteger, String, Time, inspect, text)

from .capture import CapturedRevision, Schema

DANGEROUS, ATTENTION = "perigoso", "atencao"
#: A table above this many rows makes a lock or a rewrite worth a warning.
BIG_TABLE_ROWS = 100_000

# What a finding is about.
DROP_TABLE = "drop_table"
DROP_COLUMN = "drop_column"
LOSSY_TYPE = "lossy_type"
NOT_NULL_WITHOUT_DEFAULT = "not_null_without_default"
NOT_NULL_OVER_NULLS = "not_null_over_nulls"
UNIQUE_OVER_DUPLICATES = "unique_over_duplicates"
INDEX_WITHOUT_CONCURRENTLY = "index_without_concurrently"
TABLE_REWRITE = "table_rewrite"
LONG_LOCK = "long_lock"
DOWNGRADE_LOSES_DATA = "downgrade_loses_data"
TRIGGERS_DROPPED = "triggers_dropped"
FAILS_TO_RUN = "fails_to_run"

#: squawk's rules that name a lock worth knowing about on a big table (the others are
#: found from the schema and the data, or are style).
SQUAWK_LOCKS = {
    "require-concurrent-index-creation": INDEX_WITHOUT_CONCURRENTLY,
    "require-concurrent-index-deletion": INDEX_WITHOUT_CONCURRENTLY,
    "constraint-missing-not-valid": LONG_LOCK,
    "disallowed-unique-constraint": LONG_LOCK,
    "adding-foreign-key-constraint": LONG_LOCK,
    "adding-serial-primary-key-field": TABLE_REWRITE,
    "adding-field-with-default": TABLE_REWRITE,
}


@dataclass
class Finding:
    level: str
    code: str
    revision: str
    table: str | None = None
    column: str | None = None
    rows: int | None = None
    detail: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"level": self.level, "code": self.code, "revision": self.revision,
                "table": self.table, "column": self.column, "rows": self.rows,
                "detail": self.detail}


# --------------------------------------------------------------------------- the data

class Data:
    """Read-only questions to the environment's database, each answered once."""

    def __init__(self, connection):
        self.connection = connection
        self.dialect = connection.dialect.name if connection is not None else None
        self._rows: dict[str, int | None] = {}
        self._tables: set[str] | None = None

    def _quote(self, name: str) -> str:
        return self.connection.dialect.identifier_preparer.quote(name)

    def rows(self, table: str) -> int | None:
        """The table's row count (PostgreSQL: the planner's estimate once analysed); 0 for a
        table the environment does not have yet; None when unknown."""
        if table not in self._rows:
            self._rows[table] = self._count(table)
        return self._rows[table]

    def _count(self, table: str) -> int | None:
        if self.connection is None:
            return None
        try:
            if self.dialect == "postgresql":
                estimate = self.connection.execute(text(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"),
                    {"t": self._quote(table)}).scalar()
                if estimate is None:
                    return 0
                if estimate >= 0:
                    return int(estimate)
            if not self._exists(table):
                return 0
            cap = f" LIMIT {BIG_TABLE_ROWS + 1}" if self.dialect == "postgresql" else ""
            return int(self.connection.execute(text(
                f"SELECT count(*) FROM (SELECT 1 FROM {self._quote(table)}{cap}) AS n"
            )).scalar())
        except Exception:
            self._rollback()
            return None

    def _exists(self, table: str) -> bool:
        """Whether the environment has the table (its tables read once)."""
        if self._tables is None:
            self._tables = set(inspect(self.connection).get_table_names())
        return table in self._tables

    def has_rows(self, table: str) -> bool | None:
        """Exactly whether the table holds a row (an estimate can be stale at 0)."""
        if self.connection is None:
            return None
        if not self._exists(table):
            return False
        return self._any(f"SELECT 1 FROM {self._quote(table)} LIMIT 1")

    def _rollback(self) -> None:
        if self.connection.in_transaction():
            self.connection.rollback()

    def has_nulls(self, table: str, column: str) -> bool | None:
        return self._any(f"SELECT 1 FROM {self._quote(table)} "
                         f"WHERE {self._quote(column)} IS NULL LIMIT 1")

    def duplicate_groups(self, table: str, columns: tuple[str, ...]) -> int | None:
        """How many values of ``columns`` are held by more than one row (at most 1,000
        counted); None when unknown."""
        if self.connection is None or not self._exists(table):
            return 0 if self.connection is not None else None
        cols = ", ".join(self._quote(c) for c in columns)
        nonnull = " AND ".join(f"{self._quote(c)} IS NOT NULL" for c in columns)
        try:
            return int(self.connection.execute(text(
                f"SELECT count(*) FROM (SELECT 1 FROM {self._quote(table)} WHERE {nonnull} "
                f"GROUP BY {cols} HAVING count(*) > 1 LIMIT 1000) AS dup")).scalar())
        except Exception:
            self._rollback()
            return None

    def _any(self, sql: str) -> bool | None:
        if self.connection is None:
            return None
        try:
            return self.connection.execute(text(sql)).first() is not None
        except Exception:
            self._rollback()
            return None


# --------------------------------------------------------------------------- the schema

_RENAME = re.compile(r'ALTER\s+TABLE\s+"?(\w+)"?\s+RENAME\s+(?:COLUMN\s+)?"?(\w+)"?'
                     r'\s+TO\s+"?(\w+)"?', re.IGNORECASE)
_COPY = re.compile(r'INSERT\s+INTO\s+"?_alembic_tmp_(\w+)"?\s*\((.*?)\)\s*'
                   r'SELECT\s+(.*?)\s+FROM\s+"?(\w+)"?', re.IGNORECASE | re.DOTALL)


def _split_list(items: str) -> list[str]:
    """A comma-separated SQL list, commas inside parentheses kept."""
    parts, depth, current = [], 0, ""
    for char in items:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return parts + [current.strip()] if current.strip() else parts


def renames(statements: list[str]) -> dict[str, dict[str, str]]:
    """table -> {old column: new column}, from ALTER … RENAME and from the copy a SQLite
    batch rebuild makes (``INSERT INTO _alembic_tmp_t (new) SELECT t.old …``)."""
    found: dict[str, dict[str, str]] = {}
    for statement in statements:
        for table, old, new in _RENAME.findall(statement):
            found.setdefault(table, {})[old] = new
        for table, targets, sources, _source_table in _COPY.findall(statement):
            for target, source in zip(_split_list(targets), _split_list(sources)):
                match = re.search(r'"?(\w+)"?\s*(?:AS\s+\w.*)?\)?\s*$', source.split(".")[-1])
                old, new = (match.group(1) if match else None), target.strip('"')
                if old and old != new:
                    found.setdefault(table, {})[old] = new
    return found


_FAMILIES = ((Boolean, "boolean"), (Integer, "integer"), (Numeric, "numeric"),
             (Float, "numeric"), (DateTime, "datetime"), (Date, "date"), (Time, "time"),
             (String, "string"))


def _family(type_) -> str | None:
    return next((name for cls, name in _FAMILIES if isinstance(type_, cls)), None)


def _integer_size(type_) -> int:
    if isinstance(type_, SmallInteger):
        return 2
    return 8 if isinstance(type_, BigInteger) else 4


def lossy(old, new) -> bool:
    """Whether values of type ``old`` can be cut or refused when stored as ``new``."""
    old_family, new_family = _family(old), _family(new)
    if old_family is None or new_family is None:
        return str(old) != str(new)
    if old_family == "integer" and new_family in ("numeric", "string"):
        return new_family == "string" and (getattr(new, "length", None) or 99) < 20
    if old_family != new_family:
        return True
    if old_family == "string":
        old_length, new_length = getattr(old, "length", None), getattr(new, "length", None)
        return new_length is not None and (old_length is None or new_length < old_length)
    if old_family == "integer":
        return _integer_size(new) < _integer_size(old)
    if old_family == "numeric":
        return (getattr(new, "precision", None) or 99) < (getattr(old, "precision", None) or 0) \
            or (getattr(new, "scale", None) or 0) < (getattr(old, "scale", None) or 0)
    return False


def _widening(old, new) -> bool:
    """A longer VARCHAR: PostgreSQL changes it without rewriting the table."""
    return _family(old) == _family(new) == "string" and not lossy(old, new)


def _changes(before: Schema, after: Schema, renamed: dict[str, dict[str, str]]):
    """(kind, table, column, old, new) for every change between two schemas."""
    for table in sorted(set(before) - set(after)):
        yield "drop_table", table, None, None, None
    for table in sorted(set(before) & set(after)):
        yield from _table_changes(table, before[table], after[table], renamed.get(table, {}))


def _table_changes(table: str, old, new, moved: dict[str, str]):
    for column, shape in old.columns.items():
        target = moved.get(column, column)
        if target not in new.columns:
            yield "drop_column", table, column, shape, None
        elif str(new.columns[target].type) != str(shape.type):
            yield "type", table, target, shape, new.columns[target]
        elif shape.nullable and not new.columns[target].nullable:
            yield "not_null", table, target, shape, new.columns[target]
    if old.triggers - new.triggers:
        yield "triggers", table, None, sorted(old.triggers - new.triggers), None
    existing = {moved.get(c, c): c for c in old.columns}
    for column in sorted(set(new.columns) - set(existing)):
        yield "add_column", table, column, None, new.columns[column]
    known = {tuple(moved.get(c, c) for c in u) for u in old.unique}
    for columns in sorted(new.unique - known):
        if all(c in existing for c in columns):  # a new column has no data to check
            yield "unique", table, tuple(existing[c] for c in columns), None, None


# --------------------------------------------------------------------------- findings

def upgrade_findings(captured: CapturedRevision, data: Data) -> list[Finding]:
    """The findings of one revision's upgrade against the environment's data."""
    revision = captured.revision.revision
    if captured.error:
        return [Finding(DANGEROUS, FAILS_TO_RUN, revision, detail={"error": captured.error})]
    if captured.before is None or captured.after is None:
        return []
    findings = []
    renamed = renames(captured.upgrade.statements)
    for kind, table, column, old, new in _changes(captured.before, captured.after, renamed):
        finding = _upgrade_finding(kind, revision, table, column, old, new, data)
        if finding is not None:
            findings.append(finding)
    return findings


def _upgrade_finding(kind, revision, table, column, old, new, data: Data) -> Finding | None:
    rows = data.rows(table)
    plain = {"drop_table": (DANGEROUS, DROP_TABLE), "drop_column": (DANGEROUS, DROP_COLUMN)}
    if kind in plain:
        return Finding(*plain[kind], revision, table, column, rows)
    if kind == "triggers":
        return Finding(ATTENTION, TRIGGERS_DROPPED, revision, table, rows=rows,
                       detail={"triggers": old})
    if kind == "type":
        return _type_finding(revision, table, column, old, new, rows, data.dialect)
    if kind == "not_null" and data.has_rows(table) is not False \
            and data.has_nulls(table, column) is not False:
        return Finding(DANGEROUS, NOT_NULL_OVER_NULLS, revision, table, column, rows)
    if kind == "add_column" and not new.nullable and new.default is None \
            and data.has_rows(table) is not False:
        return Finding(DANGEROUS, NOT_NULL_WITHOUT_DEFAULT, revision, table, column, rows)
    if kind == "unique":
        duplicates = data.duplicate_groups(table, column)
        if duplicates != 0:
            return Finding(DANGEROUS, UNIQUE_OVER_DUPLICATES, revision, table,
                           ", ".join(column), rows, {"groups": duplicates})
    return None


def _type_finding(revision, table, column, old, new, rows, dialect) -> Finding | None:
    types = {"old": old.type_text, "new": new.type_text}
    if lossy(old.type, new.type):
        return Finding(DANGEROUS, LOSSY_TYPE, revision, table, column, rows, types)
    if dialect == "postgresql" and (rows or 0) > BIG_TABLE_ROWS \
            and not _widening(old.type, new.type):
        return Finding(ATTENTION, TABLE_REWRITE, revision, table, column, rows, types)
    return None


def downgrade_findings(captured: CapturedRevision, data: Data) -> list[Finding]:
    """What the revision's downgrade would lose if it had to be run after the upgrade: one
    finding for what it drops, one for the types it narrows."""
    if captured.after is None or captured.after_downgrade is None:
        return []
    revision = captured.revision.revision
    renamed = renames(captured.downgrade.statements)
    lost: dict[str, list[tuple[str, str]]] = {"drop": [], "type": []}
    for kind, table, column, old, new in _changes(captured.after, captured.after_downgrade,
                                                  renamed):
        if kind in ("drop_table", "drop_column"):
            lost["drop"].append((table, column))
        elif kind == "type" and lossy(old.type, new.type):
            lost["type"].append((table, column))
    return [Finding(ATTENTION, DOWNGRADE_LOSES_DATA, revision, objects[0][0],
                    rows=data.rows(objects[0][0]),
                    detail={"change": change,
                            "objects": [f"{t}.{c}" if c else t for t, c in objects]})
            for change, objects in lost.items() if objects]


# --------------------------------------------------------------------------- squawk

_ALTERED = re.compile(r'ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?"?(\w+)"?',
                      re.IGNORECASE)
_INDEXED = re.compile(r'\bON\s+(?:ONLY\s+)?"?(\w+)"?', re.IGNORECASE)


def _table_of(statement: str) -> str | None:
    """The table an ALTER TABLE or a CREATE INDEX works on."""
    match = _ALTERED.search(statement) or _INDEXED.search(statement)
    return match.group(1) if match else None


def squawk_path() -> str | None:
    """squawk-cli's binary: beside this Python (its virtualenv, even when not activated),
    else on PATH."""
    beside = Path(sys.executable).parent / "squawk"
    return str(beside) if beside.exists() else shutil.which("squawk")


def squawk(statements: list[str], pg_version: str | None = None) -> list[tuple[int, str, str]]:
    """(statement index, rule, squawk's message) for each of squawk's findings; [] when
    squawk is not installed."""
    binary = squawk_path()
    if not statements or binary is None:
        return []
    starts, lines = [], 0
    for statement in statements:
        starts.append(lines)
        lines += statement.count("\n") + 2
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as sql:
        sql.write("".join(s + ";\n\n" for s in statements))
        sql.flush()
        args = [binary, "--reporter", "json", "--assume-in-transaction", sql.name]
        if pg_version:
            args[1:1] = ["--pg-version", pg_version]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    try:
        reported = json.loads(done.stdout or "[]")
    except ValueError:
        return []
    found = []
    for item in reported:
        index = max(i for i, start in enumerate(starts) if start <= item.get("line", 0))
        found.append((index, item.get("rule_name", ""), item.get("message", "")))
    return found


def lock_findings(captured: CapturedRevision, data: Data,
                  pg_version: str | None = None) -> list[Finding]:
    """PostgreSQL: squawk's lock findings on tables over BIG_TABLE_ROWS rows."""
    if data.dialect != "postgresql":
        return []
    statements = captured.upgrade.statements
    findings, seen = [], set()
    for index, rule, message in squawk(statements, pg_version):
        code = SQUAWK_LOCKS.get(rule)
        table = _table_of(statements[index]) if code else None
        if table is None:
            continue
        rows = data.rows(table)
        if (rows or 0) <= BIG_TABLE_ROWS or (code, table, index) in seen:
            continue
        seen.add((code, table, index))
        findings.append(Finding(ATTENTION, code, captured.revision.revision, table, rows=rows,
                                detail={"rule": rule, "squawk": message,
                                        "statement": statements[index][:300]}))
    return findings
