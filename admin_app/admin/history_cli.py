"""`python manage.py history ENTITY ID`: a record's versions as its history page numbers
them — number, when, who, what changed — oldest first. Exit 0; 2 for an unknown entity or
record. ENTITY is a screen's name (`customer`) or a model's (`Customer`)."""

import click
from flask.cli import with_appcontext

from admin_app import formats
from admin_app.i18n import gettext
from admin_app.models import AuditEntry

from .fields import is_id
from .history import ACTION_LABELS, field_label, record_entries
from .screens import screens


def version_label(entry: AuditEntry) -> str:
    if entry.version is None:  # written before versions were recorded
        return gettext("version ?")
    return gettext("version %(number)s", number=entry.version)


def version_line(view, entry: AuditEntry) -> str:
    fields = ", ".join(field_label(view, name) for name in (entry.changes or {}))
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
    found = screens()
    view = found.by_endpoint.get(entity) or found.by_model_name.get(entity)
    if view is None:
        click.echo(gettext("Unknown entity %(entity)s; one of: %(known)s", entity=entity,
                           known=", ".join(sorted(found.by_endpoint))), err=True)
        raise click.exceptions.Exit(2)
    entries = record_entries(view.model.__name__, object_id) if is_id(object_id) else []
    if not entries:
        click.echo(gettext("No record %(entity)s #%(id)s with a history.", entity=entity,
                           id=object_id), err=True)
        raise click.exceptions.Exit(2)
    for entry in entries:
        click.echo(version_line(view, entry))
