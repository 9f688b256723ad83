"""Restore an earlier version of a record: what would change, field by field, and the save,
made through the screen's own edit form so that its validators, the business rules, the
optimistic lock and the audit trail hold as for an edit typed by hand.

Only the fields the screen's form edits are restored (a product's stock, an order's items
and number are not: they change through their own paths); secrets never are."""

from dataclasses import dataclass, field

from sqlalchemy import inspect
from sqlalchemy.orm import ColumnProperty, RelationshipProperty

from admin_app.audit import SECRET_FIELDS, _plain
from admin_app.extensions import db

from .history import _display, field_label, last_change, record_entries
from .restore_deleted import model_label, refuse_missing
from .restore_save import save_restore
from .restore_text import UNKNOWN_VALUE, RestoreRefused
from .trash import deleted_entry
from .versions import python_value, state_at

#: Form fields that are not the record's own values.
NOT_RESTORED = frozenset({"expected_version", "csrf_token"})


@dataclass
class FieldRestore:
    """One field of the confirmation: its label, the current and the restored value as the
    screens show them; `known` false when the history does not hold the old value."""

    name: str
    key: str
    label: str
    current: str
    restored: str
    known: bool
    changed: bool
    value: object = None


@dataclass
class VersionRestore:
    number: int
    fields: list[FieldRestore] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[FieldRestore]:
        return [f for f in self.fields if f.known and f.changed]

    @property
    def unknown(self) -> list[str]:
        return [f.label for f in self.fields if not f.known]


def edit_form(view, model):
    """The screen's edit form filled from the record, without what a restore leaves alone
    (inline children, a new password, the version field)."""
    form = view._edit_form_class(None, obj=model, meta={"csrf": False})
    form._obj = model  # Flask-Admin's Unique validator skips the record itself
    mapper = inspect(type(model))
    for name in list(form._fields):
        if name in NOT_RESTORED or _stored_key(mapper, name) is None:
            del form[name]
    return form


def _stored_key(mapper, name: str) -> str | None:
    """The key the audit trail records a form field under: the column, the foreign key of
    a many-to-one, the relationship itself for a many-to-many; None for anything else."""
    prop = mapper.attrs.get(name)
    if isinstance(prop, ColumnProperty):
        return None if name in SECRET_FIELDS else name
    if isinstance(prop, RelationshipProperty):
        if prop.secondary is not None:
            return name
        if prop.direction.name == "MANYTOONE" and len(prop.local_columns) == 1:
            return mapper.get_property_by_column(next(iter(prop.local_columns))).key
    return None


def _current_plain(model, key: str):
    value = getattr(model, key)
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    return _plain(value)


def _restored_value(view, mapper, name: str, key: str, stored):
    """The stored value as the form field holds it: the related record(s) for a
    relationship, the column's type otherwise."""
    prop = mapper.attrs[name]
    if isinstance(prop, ColumnProperty):
        try:
            return python_value(prop.columns[0], stored)
        except ValueError as exc:
            raise RestoreRefused("INVALID_VALUE", field=field_label(view, key),
                                 error=exc) from exc
    target = prop.mapper.class_
    if prop.secondary is not None:
        wanted = set(stored or [])
        return [r for r in db.session.scalars(db.select(target)) if str(r) in wanted]
    return related_or_refuse(view, key, target, stored)


def related_or_refuse(view, key: str, target, related_id):
    """The record a foreign key points to; refused, offering to restore it first, when it
    has been deleted."""
    if related_id is None:
        return None
    record = db.session.get(target, related_id)
    if record is not None:
        return record
    refuse_missing(target, related_id, field_label(view, key))


def _same(view, mapper, name: str, key: str, stored, current_plain) -> bool:
    prop = mapper.attrs[name]
    if isinstance(prop, ColumnProperty):
        try:
            return python_value(prop.columns[0], stored) == \
                python_value(prop.columns[0], current_plain)
        except ValueError:
            return False
    if prop.secondary is not None:
        return sorted(stored or []) == current_plain
    return stored == current_plain


def record_for_version(view, object_id: str):
    """The record whose version is to be restored; refused when it is deleted (it comes back
    from the trash first) or unknown."""
    model = view.get_one(object_id)  # None for an id that cannot be one
    if model is None:
        code = "NOT_DELETED_YET" if deleted_entry(view.model.__name__, object_id) else \
            "NOT_A_RECORD"
        raise RestoreRefused(code, entity=model_label(view.model), id=object_id)
    return model


def prepare(view, model, number: int, form=None) -> VersionRestore:
    """What restoring version `number` would change, field by field of the edit form (built
    here unless given). Refused if there is no such version."""
    object_id = str(view.get_pk_value(model))
    entries = record_entries(view.model.__name__, object_id)
    state = state_at(entries, number)
    if state is None or number == getattr(model, "version", None):
        raise RestoreRefused("NO_SUCH_VERSION", record=model, number=number)
    mapper = inspect(type(model))
    plan = VersionRestore(number)
    for form_field in form if form is not None else edit_form(view, model):
        name = form_field.name
        key = _stored_key(mapper, name)
        current = _current_plain(model, key)
        collection = key == name and name in mapper.relationships
        known = key in state.values if collection else state.knows(key)
        stored = state.value(key) if known else current
        plan.fields.append(FieldRestore(
            name, key, field_label(view, key), _display(view, key, current),
            _display(view, key, stored) if known else str(UNKNOWN_VALUE), known,
            known and not _same(view, mapper, name, key, stored, current), stored))
    later = entries[entries.index(state.entry) + 1:]
    plan.secrets = sorted({field_label(view, key) for e in later for key in (e.changes or {})
                           if key in SECRET_FIELDS})
    return plan


def restore_version(view, model, number: int, seen_version=None) -> VersionRestore:
    """Save version `number`'s values through the edit form. `seen_version`: the version the
    confirmation was shown for; a record changed since is refused, as a stale edit is."""
    form = edit_form(view, model)
    plan = prepare(view, model, number, form)
    if seen_version is not None and str(seen_version) != str(getattr(model, "version", "")):
        change = last_change([(view.model.__name__, view.get_pk_value(model))])
        raise RestoreRefused("STALE", record=model, who=change.actor if change else "?")
    if not plan.changes:
        raise RestoreRefused("NOTHING_TO_RESTORE", number=number)
    mapper = inspect(type(model))
    for change in plan.changes:
        form[change.name].data = _restored_value(view, mapper, change.name, change.key,
                                                 change.value)
    _as_if_posted(form)
    if not form.validate():
        name, errors = next(iter(form.errors.items()))
        raise RestoreRefused("INVALID_VALUE", field=form[name].label.text, error=errors[0])
    save_restore(view, model, number, lambda: form.populate_obj(model), form)
    return plan


def _as_if_posted(form) -> None:
    """Validators that look at what was typed (required, optional) see a value wherever
    the field holds one, as they would had the form been posted with it."""
    for form_field in form:
        empty = form_field.data is None or form_field.data == "" or form_field.data == []
        form_field.raw_data = [] if empty else ["restored"]
