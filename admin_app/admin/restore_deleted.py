"""Bring a deleted record back from its screen's trash: re-created with the same id and the
values its delete entry holds, with the children deleted along with it (an order's items),
in one transaction that the business rules and the audit trail see as any other write.

Refused, with nothing changed, when a unique value is now another record's, when a record it
points to is itself deleted (restore that one first) or gone, or when a rule refuses it."""

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Column, String, inspect, select

from admin_app.audit import SECRET_FIELDS, IGNORED_FIELDS
from admin_app.extensions import db
from admin_app.models import AuditEntry

from .fields import is_id
from .history import field_label
from .options import screen_labels
from .restore_save import save_restore
from .screens import screens
from .restore_text import RestoreRefused
from .trash import deleted_entry
from .versions import deleted_state, python_value


@dataclass
class DeletedRestore:
    record: object
    children: list = field(default_factory=list)
    #: Secret fields that came back empty or new (a user's password must be set again).
    secrets: list[str] = field(default_factory=list)


def model_label(model: type) -> str:
    return str(screen_labels(model)[0])


def _rebuild(model: type, values: dict) -> tuple[object, list[str]]:
    """A new instance holding the stored values; secrets never come back: a required one
    (a user's sign-in key) gets a fresh value, the others stay empty."""
    record, secrets = model(), []
    for attr in inspect(model).column_attrs:
        column = attr.columns[0]
        if not isinstance(column, Column) or attr.key in IGNORED_FIELDS:
            continue
        if attr.key in SECRET_FIELDS:
            secrets.append(attr.key)
            if not column.nullable and isinstance(column.type, String):
                setattr(record, attr.key, uuid.uuid4().hex)
            continue
        if attr.key in values:
            try:
                setattr(record, attr.key, python_value(column, values[attr.key]))
            except ValueError as exc:
                raise RestoreRefused("INVALID_VALUE", field=attr.key, error=exc) from exc
    return record, secrets


def _deleted_children(model: type, entry: AuditEntry) -> list[tuple[str, type, AuditEntry]]:
    """The delete entries of the records deleted with this one by cascade: written in the
    same flush (same time), pointing to it."""
    found = []
    for rel in inspect(model).relationships:
        if rel.direction.name != "ONETOMANY" or not rel.cascade.delete \
                or len(rel.remote_side) != 1:
            continue
        child = rel.mapper.class_
        key = rel.mapper.get_property_by_column(next(iter(rel.remote_side))).key
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == child.__name__,
                                     AuditEntry.action == "delete",
                                     AuditEntry.created_at == entry.created_at)
            .order_by(AuditEntry.id)).all()
        found += [(rel.key, child, row) for row in rows
                  if str((row.changes or {}).get(key, {}).get("old")) == entry.object_id]
    return found


def _check_unique(record) -> None:
    """Refuse when a unique value (CPF/CNPJ, SKU, number, e-mail) is now another's."""
    model = type(record)
    mapper = inspect(model)
    pk = mapper.primary_key[0]
    unique = {c for c in model.__table__.columns if c.unique}
    for constraint in model.__table__.constraints | model.__table__.indexes:
        columns = list(constraint.columns)
        if getattr(constraint, "unique", False) and len(columns) == 1:
            unique.add(columns[0])
    for column in unique:
        key = mapper.get_property_by_column(column).key
        value = getattr(record, key)
        if value is None or column.primary_key:
            continue
        with db.session.no_autoflush:
            other = db.session.scalar(select(model).where(column == value, pk != record.id))
        if other is not None:
            raise RestoreRefused("UNIQUE_TAKEN", field=key_label(model, key), value=value,
                                 other=f"{model_label(model)} {other} (#{other.id})")


def key_label(model: type, key: str) -> str:
    return field_label(screens().by_model_name.get(model.__name__), key)


def _check_references(record, parent: type | None = None) -> None:
    """Refuse when a record it points to (but its own parent, restored with it) is gone;
    offer to restore it first when it is in its trash."""
    mapper = inspect(type(record))
    for rel in mapper.relationships:
        target = rel.mapper.class_
        if rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1 or target is parent:
            continue
        key = mapper.get_property_by_column(next(iter(rel.local_columns))).key
        related_id = getattr(record, key)
        if related_id is None:
            continue
        with db.session.no_autoflush:
            present = db.session.get(target, related_id)
        if present is None:
            refuse_missing(target, related_id, model_label(target))


def refuse_missing(target: type, related_id, label: str):
    """A record a restore needs is gone: offer to restore it first when it is in its trash."""
    if deleted_entry(target.__name__, str(related_id)) is None:
        raise RestoreRefused("REFERENCE_MISSING", field=label, id=related_id)
    raise RestoreRefused("REFERENCE_DELETED", restore_first=(target.__name__, str(related_id)),
                         field=label, target=f"#{related_id}")


def restore_deleted(view, object_id: str) -> DeletedRestore:
    """Re-create the deleted record `object_id` of the screen's model, with its children."""
    model = view.model
    if not is_id(object_id):
        raise RestoreRefused("NOT_A_RECORD", entity=model_label(model), id=object_id)
    if db.session.get(model, int(object_id)) is not None:
        raise RestoreRefused("NOT_DELETED", entity=model_label(model), id=object_id)
    entry = deleted_entry(model.__name__, object_id)
    if entry is None:
        raise RestoreRefused("NOT_A_RECORD", entity=model_label(model), id=object_id)
    record, secrets = _rebuild(model, deleted_state(entry).values)
    _check_unique(record)
    _check_references(record)
    children = []
    for collection, child_model, child_entry in _deleted_children(model, entry):
        child, _ = _rebuild(child_model, deleted_state(child_entry).values)
        _check_unique(child)
        _check_references(child, parent=model)
        children.append((collection, child))

    def write():
        for collection, child in children:  # through the relationship: the rules see them
            getattr(record, collection).append(child)
        db.session.add(record)

    starting = entry.version + 1 if entry.version is not None else None
    save_restore(view, record, entry.version, write, starting_version=starting)
    return DeletedRestore(record, [child for _, child in children],
                          [key_label(model, s) for s in secrets])
