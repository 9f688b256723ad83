"""Schema drift: how an environment's live schema differs from what it should hold, read-only
(Alembic's autogenerate comparison, what ``flask db check`` reports). At head it is
compared with the app's models; below head with its revision's schema, rebuilt from the
migrations in a scratch database (ops/reference_schema.py). Differences come as plain data;
ops/text.py words them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from admin_app.extensions import include_object as searchless

from .codes import DRIFT_FAILED, PENDING, UP_TO_DATE
from .engines import CONNECT_TIMEOUT, open_readonly
from .environments import scrub
from .errors import driver_words
from .reference_schema import ReferenceUnavailable, reference_metadata, reflectable
from .scripts import Scripts, load_scripts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Models:
    """What a database at ``heads`` should hold: the app's metadata (as ``flask db check``
    compares it), with the comparison options of the app's Migrate. ``app`` runs the
    migrations that rebuild the schema of an older revision (see :mod:`.reference_schema`);
    without it, only databases at ``heads`` are compared."""

    metadata: object
    heads: tuple[str, ...]
    options: tuple = ()
    app: object = field(default=None, compare=False, repr=False)


def models_for_app(app) -> Models | None:
    migrate = app.extensions.get("migrate")
    if migrate is None:
        return None
    try:
        heads = tuple(sorted(load_scripts(migrate.directory).heads))
    except Exception:
        return None
    options = tuple((k, v) for k, v in migrate.configure_args.items()
                    if k in ("compare_type", "compare_server_default", "include_object",
                             "include_name", "include_schemas"))
    app = getattr(app, "_get_current_object", lambda: app)()  # not current_app's proxy
    return Models(metadata=migrate.db.metadata, heads=heads, options=options, app=app)


def _drift_item(diff) -> dict:
    """One autogenerate difference as plain data (words come later, in the user's language)."""
    if isinstance(diff, list):  # modify_* come grouped per column
        diff = diff[0]
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return {"kind": kind, "table": diff[1].name}
    if kind in ("add_column", "remove_column"):
        return {"kind": kind, "table": diff[2], "column": diff[3].name}
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint",
                "add_fk", "remove_fk"):
        item = diff[1]
        columns = [c.name if hasattr(c, "name") else str(c)
                   for c in getattr(item, "columns", ())]
        if kind.endswith("_fk"):
            columns = [e.parent.name for e in item.elements]
        table = item.table.name if getattr(item, "table", None) is not None else ""
        return {"kind": kind, "table": table, "name": item.name,
                "columns": columns, "unique": bool(getattr(item, "unique", False))}
    if kind.startswith("modify_"):
        _, _, table, column, _, live, model = diff[:7]
        return {"kind": kind, "table": table, "column": column, "database": str(live),
                "models": str(model)}
    return {"kind": kind, "detail": str(diff)[:300]}


def _compare_options(models: Models) -> dict:
    """The app's comparison options, always skipping the search objects (``search_*``
    tables and indexes, made by migrations outside the models): with the app's own
    ``include_object``, and before reflection (``include_name``: SQLite's FTS5 virtual
    tables are never reflected)."""
    options = dict(models.options)
    configured_object = options.get("include_object")
    configured_name = options.get("include_name")

    def include_object(obj, name, type_, reflected, compare_to):
        if not searchless(obj, name, type_, reflected, compare_to):
            return False
        return configured_object is None or configured_object(obj, name, type_, reflected,
                                                              compare_to)

    def include_name(name, type_, parent_names):
        if type_ == "table" and not reflectable(name or ""):
            return False
        return configured_name is None or configured_name(name, type_, parent_names)

    options.update(include_object=include_object, include_name=include_name)
    return options


def schema_drift(connection, models: Models, reference=None) -> list[dict]:
    """How the live schema differs from the models, or from ``reference`` (the reflected
    schema of the environment's revision, for one below head); read-only: Alembic's
    autogenerate comparison, what ``flask db check`` reports."""
    context = MigrationContext.configure(connection, opts=_compare_options(models))
    target = models.metadata if reference is None else reference
    return [_drift_item(diff) for diff in compare_metadata(context, target)]


def reference_revision(status, scripts: Scripts | None,
                       models: Models | None) -> str | None:
    """The revision whose rebuilt schema ``status``'s environment is compared with: its
    single, known current revision, when it is not the models' (not already compared)."""
    result = status.probe
    if models is None or models.app is None or scripts is None or not result.reachable:
        return None
    if result.drift is not None or result.drift_error_kind is not None:
        return None
    if status.state not in (PENDING, UP_TO_DATE) or len(status.current) != 1:
        return None
    revision = status.current[0]
    return revision if scripts.knows(revision) else None


def reference_drift(status, scripts: Scripts | None,
                    models: Models | None, timeout: float = CONNECT_TIMEOUT) -> None:
    """Schema drift of an environment below head: its live schema (read-only) against its
    revision's schema, rebuilt from the migrations in a scratch database (cached)."""
    revision = reference_revision(status, scripts, models)
    if revision is None:
        return
    environment, result = status.environment, status.probe
    result.drift_revision = revision
    try:
        reference = reference_metadata(environment.url, scripts, revision, app=models.app)
    except ReferenceUnavailable as exc:
        result.drift_error_kind = exc.kind
        result.drift_error = scrub(exc.detail, environment.password, environment.url) or None
        log.warning("schema drift of %s not checked: %s %s", environment.name, exc.kind,
                    result.drift_error or "")
        return
    try:
        with open_readonly(environment.url, timeout) as connection:
            result.drift = schema_drift(connection, models, reference)
    except Exception as exc:  # the comparison's failure is reported, not raised
        result.drift_error_kind = DRIFT_FAILED
        result.drift_error = driver_words(exc, environment)
