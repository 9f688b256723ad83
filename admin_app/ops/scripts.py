"""The revisions of a migrations folder, as ``flask db history`` and ``flask db current`` see
them: Alembic's ``ScriptDirectory``, each script's checksum (what migrations/env.py records
when it runs one) and what its ``downgrade()`` does. Files only: no database, no words.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from .codes import EMPTY_DOWNGRADE, NO_DOWNGRADE, RAISING_DOWNGRADE, REVERSIBLE

#: Alembic's own table of the current revisions.
VERSION_TABLE = "alembic_version"

_CREATE_DATE = re.compile(r"^Create Date:\s*(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Revision:
    revision: str
    parents: tuple[str, ...]
    message: str
    date: str | None
    is_head: bool
    is_branch_point: bool
    is_merge_point: bool
    branch_labels: tuple[str, ...]
    #: What ``flask db history`` prints for this revision.
    line: str
    #: SHA-256 of the script file now (what env.py records when it is applied).
    checksum: str | None = None
    #: REVERSIBLE, EMPTY_DOWNGRADE, RAISING_DOWNGRADE or NO_DOWNGRADE (None: unreadable).
    rollback: str | None = None

    @property
    def reversible(self) -> bool:
        return self.rollback not in (EMPTY_DOWNGRADE, RAISING_DOWNGRADE, NO_DOWNGRADE)


def script_checksum(path) -> str | None:
    """SHA-256 of a script file, as ``migrations/env.py`` records it."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (OSError, TypeError):
        return None


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
        and isinstance(node.value.value, str)


def _is_ellipsis(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
        and node.value.value is Ellipsis


def downgrade_kind(source: str) -> str | None:
    """What the script's module-level ``downgrade()`` does, without running it:
    EMPTY_DOWNGRADE (only ``pass``, a docstring or ``...``), RAISING_DOWNGRADE (a top-level
    ``raise``), NO_DOWNGRADE (no such function) or REVERSIBLE; None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    function = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.name == "downgrade":
            function = node  # the last definition wins, as in Python
    if function is None:
        return NO_DOWNGRADE
    body = [n for n in function.body
            if not (isinstance(n, ast.Pass) or _is_docstring(n) or _is_ellipsis(n))]
    if not body:
        return EMPTY_DOWNGRADE
    if any(isinstance(n, ast.Raise) for n in body):
        return RAISING_DOWNGRADE
    return REVERSIBLE


def script_rollback(path) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return downgrade_kind(handle.read())
    except (OSError, TypeError, UnicodeDecodeError):
        return None


def alembic_config(location) -> Config:
    """The configuration ``flask db …`` uses for ``location`` (outside an app: the same
    alembic.ini and script location); logging left alone."""
    location = str(location)
    try:
        from flask import current_app

        cfg = current_app.extensions["migrate"].migrate.get_config(location)
    except (RuntimeError, KeyError):
        ini = os.path.join(location, "alembic.ini")
        cfg = Config(ini if os.path.exists(ini) else None)
        cfg.set_main_option("script_location", location)
    cfg.attributes["skip_logging_config"] = True
    return cfg


class Scripts:
    """The revisions of one migrations folder, loaded once (then only read)."""

    def __init__(self, location):
        self.location = str(location)
        self.script = ScriptDirectory.from_config(alembic_config(self.location))
        walked = list(self.script.walk_revisions(base="base", head="heads"))
        self.heads: list[str] = sorted(self.script.get_heads())
        self.revisions: list[Revision] = [self._revision(sc) for sc in walked]  # newest first
        self.by_id = {r.revision: r for r in self.revisions}
        self.apply_order = [r.revision for r in reversed(self.revisions)]
        self._ancestors: dict[str, frozenset[str]] = {}
        for sc in walked:
            self._ancestors[sc.revision] = frozenset(
                r.revision for r in self.script.iterate_revisions(sc.revision, "base"))

    @staticmethod
    def _revision(sc) -> Revision:
        found = _CREATE_DATE.search(sc.longdoc or "")
        return Revision(
            revision=sc.revision, parents=tuple(sc._versioned_down_revisions),
            message=sc.doc or "", date=found[1] if found else None, is_head=sc.is_head,
            is_branch_point=sc.is_branch_point, is_merge_point=sc.is_merge_point,
            branch_labels=tuple(sorted(sc.branch_labels or ())),
            line=sc.cmd_format(verbose=False, include_branches=True, include_doc=True,
                               include_parents=True),
            checksum=script_checksum(sc.path), rollback=script_rollback(sc.path))

    @property
    def multiple_heads(self) -> bool:
        return len(self.heads) > 1

    @property
    def history_lines(self) -> list[str]:
        """``flask db history``, line by line."""
        return [r.line for r in self.revisions]

    def knows(self, revision: str) -> bool:
        return revision in self.by_id

    def applied(self, current: tuple[str, ...]) -> set[str]:
        applied: set[str] = set()
        for head in current:
            applied |= self._ancestors.get(head, frozenset())
        return applied

    def pending(self, current: tuple[str, ...]) -> list[Revision]:
        """What ``upgrade heads`` would run, in apply order."""
        applied = self.applied(current)
        return [self.by_id[r] for r in self.apply_order if r not in applied]

    def current_lines(self, current: tuple[str, ...]) -> list[str]:
        """``flask db current``, line by line (sorted: Alembic prints a set)."""
        return sorted(sc.cmd_format(False) for sc in self.script.get_all_current(current))


_cache: dict[tuple, Scripts] = {}
_cache_lock = threading.Lock()


def _signature(location: str) -> tuple:
    parts = []
    for directory in (Path(location), Path(location) / "versions"):
        if directory.is_dir():
            for entry in sorted(directory.iterdir()):
                if entry.suffix in (".py", ".ini", ".pyc") and entry.is_file():
                    stat = entry.stat()
                    parts.append((str(entry), stat.st_mtime_ns, stat.st_size))
    return (location, tuple(parts))


def load_scripts(location) -> Scripts:
    """The scripts of ``location``, cached until a file there changes."""
    location = str(Path(location).resolve())
    key = _signature(location)
    with _cache_lock:
        scripts = _cache.get(key)
        if scripts is None:
            scripts = Scripts(location)
            stale = [k for k in _cache if k[0] == location]
            for k in stale:
                del _cache[k]
            _cache[key] = scripts
        return scripts
