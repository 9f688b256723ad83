"""`python manage.py history ENTITY ID`: a record's versions as its history page numbers
them — number, when, who, what changed — oldest first. Exit 0; 2 for an unknown entity or
record. ENTITY is a screen's name (`customer`) or a model's (`Customer`).

`python manage.py restore ENTITY ID [--version N]`: restore version N of a record, or with
no version bring a deleted one back, as the panel's restore does; `restore import N` undoes
import no. N. Exit 0 restored, 1 refused (the reason on stderr), 2 unknown entity, record
or import."""

import click
from flask import current_app
from flask.cli import with_appcontext

from admin_app import formats
from admin_app.extensions import db
from admin_app.i18n import gettext
from admin_app.models import AuditEntry, ImportRun

from .fields import is_id
from .history import ACTION_LABELS, field_label, record_entries
from .restore_deleted import restore_deleted
from .restore_text import IMPORT_UNDONE, NEW_PASSWORD_NEEDED, RESTORED_DELETED, \
    RESTORED_VERSION, RestoreRefused
from .restore_version import record_for_version, restore_version
from .screens import screens
from .undo_import import undo_import

#: `restore import N`: the ENTITY that names an import rather than a list.
IMPORT = "import"


def version_label(entry: AuditEntry) -> str:
    if entry.version is None:  # written before versions were recorded
        return gettext("version ?")
    return gettext("version %(number)s", number=entry.version)


def version_line(view, entry: AuditEntry) -> str:
    fields = ", ".join(field_label(view, name) for name in (entry.changes or {}))
    if entry.restored_version:
        fields += " — " + gettext("Restored version %(number)s", number=entry.restored_version)
    return gettext("%(version)s  %(when)s  %(who)s  %(action)s: %(fields)s",
                   version=version_label(entry), when=formats.short_datetime(entry.created_at),
                   who=entry.actor, action=ACTION_LABELS.get(entry.action, entry.action),
                   fields=fields or "—")


@click.command("history")
@click.argument("entity")
@click.argument("object_id")
@with_appcontext
def history_command(entity, object_id):
    """List a record's versions (number, when, who, fields changed)."""
    view = _screen_or_exit(entity)
    entries = record_entries(view.model.__name__, object_id) if is_id(object_id) else []
    if not entries:
        click.echo(gettext("No record %(entity)s #%(id)s with a history.", entity=entity,
                           id=object_id), err=True)
        raise click.exceptions.Exit(2)
    for entry in entries:
        click.echo(version_line(view, entry))


def _screen_or_exit(entity: str):
    found = screens()
    view = found.by_endpoint.get(entity) or found.by_model_name.get(entity)
    if view is None:
        click.echo(gettext("Unknown entity %(entity)s; one of: %(known)s", entity=entity,
                           known=", ".join(sorted(found.by_endpoint))), err=True)
        raise click.exceptions.Exit(2)
    return view


@click.command("restore")
@click.argument("entity")
@click.argument("object_id")
@click.option("--version", "number", type=click.IntRange(min=1),
              help="The version to restore; without it, restore a deleted record.")
@with_appcontext
def restore_command(entity, object_id, number):
    """Restore a record's earlier version, or a deleted record; `import N` undoes an import."""
    view, run = _import_or_exit(object_id) if entity == IMPORT else (_screen_or_exit(entity),
                                                                     None)
    # the screen's form and save hooks run as they do for a request
    with current_app.test_request_context("/"):
        try:
            click.echo(_undo(view, run) if run is not None else
                       _restore(view, object_id, number))
        except RestoreRefused as refusal:
            click.echo(str(refusal), err=True)
            raise click.exceptions.Exit(2 if refusal.code == "NOT_A_RECORD" else 1)


def _restore(view, object_id: str, number: int | None) -> str:
    """What was restored, in words; raises RestoreRefused."""
    if number is None:
        result = restore_deleted(view, object_id)
        words = str(RESTORED_DELETED % {"record": result.record, "id": object_id})
        return words + ("\n" + str(NEW_PASSWORD_NEEDED) if result.secrets else "")
    model = record_for_version(view, object_id)
    restore_version(view, model, number)
    return str(RESTORED_VERSION % {"record": model, "number": number, "now": model.version})


def _import_or_exit(run_id: str):
    run = db.session.get(ImportRun, int(run_id)) if is_id(run_id) else None
    view = screens().by_endpoint.get(run.entity) if run is not None else None
    if view is None:
        click.echo(gettext("No import no. %(id)s.", id=run_id), err=True)
        raise click.exceptions.Exit(2)
    return view, run


def _undo(view, run) -> str:
    done = undo_import(view, run)
    return str(IMPORT_UNDONE % {"id": run.id, "deleted": done.deleted,
                                "reverted": done.reverted})
