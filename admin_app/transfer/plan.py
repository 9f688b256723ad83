"""The preview of an import: every line of the file classified as new, changed (with each
field's old and new value), unchanged or error, writing nothing.

Each line is checked by the screen's own form (create or edit), so an import accepts and
refuses exactly what a person typing it would: CPF/CNPJ digits, UF, ranges, required
fields, choices, uniqueness against the database. The natural key (entities.py) decides
between creating and updating; the same key twice in one file is an error on both lines.
"""

import hashlib
from dataclasses import dataclass

from flask_babel import force_locale
from werkzeug.datastructures import MultiDict
from flask_admin.contrib.sqla.validators import Unique
from wtforms import fields as wtf
from wtforms.fields.core import UnboundField
from wtforms.utils import unset_value

from admin_app.i18n import SUPPORTED_LOCALES

from . import cells, entities, reading, values, words

NEW, CHANGED, UNCHANGED, ERROR = "new", "changed", "unchanged", "error"
SKIPPED_FIELDS = frozenset({"csrf_token", "expected_version"})
PROGRESS_EVERY = 1000


@dataclass(slots=True)
class Line:
    """One line of the file as the preview judged it. A 100,000-line import holds 100,000
    of these: no list or dict is made for a line until it has something to put in it."""
    line: int
    status: str = NEW
    key: str = ""
    changes: list | tuple = ()   # (label, old, new)
    errors: list | tuple = ()    # (column, reason)
    #: What to write: for a new line every column's value in Plan.names order (a tuple is
    #: a third of a dict's size), for a changed one {field: value} of what changed.
    values: tuple | dict = ()
    record_id: int | None = None
    version: int | None = None

    def add_error(self, column: str, reason: str) -> None:
        if not self.errors:
            self.errors = []
        self.errors.append((column, reason))

    def add_change(self, name: str, value, shown: tuple) -> None:
        """`name` to be set to `value`; `shown` is (label, old, new) as the preview words it."""
        if not self.changes:
            self.changes, self.values = [], {}
        self.changes.append(shown)
        self.values[name] = value

    def assignments(self, names):
        """(field, value) pairs to set on the record."""
        return zip(names, self.values) if self.status == NEW else self.values.items()


@dataclass
class Plan:
    entity: str
    file_name: str
    lines: list
    ignored_columns: list
    names: tuple    # the form fields the file fills, in the order of a new line's values

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def ok(self) -> bool:
        return not any(line.errors for line in self.lines)

    def digest(self) -> str:
        """A fingerprint of what applying would do: the same file previewed again gives the
        same one unless a record it touches changed meanwhile."""
        summary = hashlib.sha256()
        for line in self.lines:
            summary.update(repr((line.line, line.status, line.key, line.record_id,
                                 line.version, line.changes)).encode())
        return summary.hexdigest()

    def report(self, limit: int) -> dict:
        """What the preview page shows, as plain data (a worker's preview is kept as JSON):
        the counts, every error, and up to `limit` lines with errors or changes first."""
        errors = [line for line in self.lines if line.errors]
        others = [line for line in self.lines if not line.errors and line.status != UNCHANGED]
        shown = errors + others[:max(0, limit - len(errors))]
        return {
            "file_name": self.file_name, "entity": self.entity, "ok": self.ok,
            "total": len(self.lines),
            "counts": {status: self.count(status) for status in (NEW, CHANGED, UNCHANGED, ERROR)},
            "ignored_columns": list(self.ignored_columns),
            "errors": self.error_messages(),
            "lines": [{"line": line.line, "key": line.key, "status": line.status,
                       "changes": [list(c) for c in line.changes],
                       "errors": [list(e) for e in line.errors]} for line in shown],
        }

    def error_messages(self) -> list[str]:
        return [words.ERROR_LINE % {"line": line.line, "column": column, "reason": reason}
                for line in self.lines for column, reason in line.errors]


def _norm(text) -> str:
    return " ".join(str(text).split()).casefold()


class Columns:
    """Which header names which form field: the labels the export writes (in every
    language) or the field names; export-only columns (stock, totals) are ignored."""

    def __init__(self, view, template):
        self.view = view
        self.accepted = {}   # normalised header -> field name
        self.ignored = set()
        names = [f.name for f in template if f.name not in SKIPPED_FIELDS]
        for name in names:
            self.accepted[_norm(name)] = name
            for label in self._labels(name):
                self.accepted[_norm(label)] = name
        for name, _label in view._export_columns:
            if name not in names:
                self.ignored.update(_norm(label) for label in self._labels(name))
                self.ignored.add(_norm(name))
        self.names = names
        self.required = [f.name for f in template
                         if f.name in names and f.flags.required]

    def _labels(self, name) -> list[str]:
        labels = []
        for locale in SUPPORTED_LOCALES:
            with force_locale(locale):
                labels.append(str(self.view.get_column_name(name)))
        return labels

    def label(self, name) -> str:
        return str(self.view.get_column_name(name))

    def map(self, headers: list[str]) -> tuple[dict[int, str], list[str]]:
        """column index -> field name, and the ignored headers; or FileProblem."""
        mapping, ignored, unknown, seen = {}, [], [], {}
        for index, header in enumerate(headers):
            if not header:
                continue
            wanted = _norm(header)
            if wanted in self.accepted:
                name = self.accepted[wanted]
                if name in seen:
                    raise reading.FileProblem(words.REPEATED_COLUMN % {"column": header})
                seen[name] = index
                mapping[index] = name
            elif wanted in self.ignored:
                ignored.append(header)
            else:
                unknown.append(header)
        if unknown:
            raise reading.FileProblem(words.UNKNOWN_COLUMNS % {
                "columns": ", ".join(unknown),
                "accepted": ", ".join(self.label(n) for n in self.names)})
        missing = [self.label(n) for n in self.required if n not in seen]
        if missing:
            raise reading.FileProblem(words.MISSING_COLUMNS % {"columns": ", ".join(missing)})
        return mapping, ignored


class Planner:
    """Builds the Plan of one file for one screen."""

    def __init__(self, view):
        self.view = view
        self.model = view.model
        self.key = entities.KEYS[view.endpoint]
        self.create_form = _without_unique_key(view._create_form_class, self.key)
        self.edit_form = _without_unique_key(view._edit_form_class, self.key)
        self.template = self.create_form(meta={"csrf": False})
        self.columns = Columns(view, self.template)
        self.related = entities.RelatedFinder()
        self._choice_cache = {}
        self._forms = {}
        self._relations = {}

    def plan(self, file_name: str, table: reading.Table, progress=None) -> Plan:
        """Every line classified; `progress(done, total)` is called every PROGRESS_EVERY."""
        mapping, ignored = self.columns.map(table.headers)
        key_index = next((i for i, n in mapping.items() if self.key and n == self.key.field),
                         None)
        existing = {}
        if self.key is not None:
            stored = [self._stored_key(cells_[key_index]) for _line, cells_ in table.rows
                      if key_index is not None and key_index < len(cells_)]
            existing = entities.find_existing(self.model, self.key, [s for s in stored if s])
        lines, first_line_of, total = [], {}, len(table.rows)
        for done in range(total):
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
            number, row = table.rows[done]
            table.rows[done] = None  # each line's cells freed once classified
            line = self._line(number, row, mapping, key_index, existing)
            if line.key:
                other = first_line_of.setdefault(line.key, line)
                if other is not line:
                    self._twice(line, other)
            lines.append(line)
        return Plan(self.view.endpoint, file_name, lines, ignored, tuple(self.columns.names))

    def _stored_key(self, cell) -> str:
        try:
            text = values.document(cell) if self.key.field in ("document", "cnpj") \
                else values.plain_text(cell)
        except values.BadCell:
            return ""
        return entities.lookup_key(self.model, self.key.stored(text)) if text else ""

    def _twice(self, line: Line, other: Line) -> None:
        header = self.columns.label(self.key.field)
        for this, that in ((line, other), (other, line)):
            this.add_error(header, words.KEY_TWICE % {"value": this.key, "other": that.line})
            this.status = ERROR

    def _line(self, number, row, mapping, key_index, existing) -> Line:
        line = Line(number)
        formdata = self._formdata(line, row, mapping)
        record = self._record(line, row, key_index, existing)
        if line.errors:
            line.status = ERROR
            return line
        form = self._form(formdata, record)
        if not form.validate():
            for name, messages in form.errors.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    line.add_error(self.columns.label(name), str(message))
            line.status = ERROR
            return line
        self._classify(line, form, record, set(formdata))
        return line

    def _formdata(self, line: Line, row, mapping) -> MultiDict:
        """The cells as the form's fields would receive them; bad cells noted on the line."""
        formdata = MultiDict()
        for index, name in mapping.items():
            cell = row[index] if index < len(row) else None
            try:
                formdata.setlist(name, self._form_input(name, cell))
            except values.BadCell as problem:
                line.add_error(self.columns.label(name), str(problem))
        return formdata

    def _record(self, line: Line, row, key_index, existing):
        """The record this line's key names, if it exists (None: the line creates one)."""
        if self.key is None:
            return None
        has_key = key_index is not None and key_index < len(row)
        line.key = self._stored_key(row[key_index]) if has_key else ""
        if not line.key and not line.errors:
            line.add_error(self.columns.label(self.key.field), str(words.KEY_MISSING))
        return existing.get(line.key)

    def _form(self, formdata, record):
        """The screen's create or edit form filled with this line; a column the file lacks
        keeps the record's value. One form of each kind, processed again for every line
        (building a form costs more than checking it)."""
        kind = "edit" if record is not None else "create"
        form = self._forms.get(kind)
        if form is None:
            form_class = self.edit_form if record is not None else self.create_form
            form = self._forms[kind] = form_class(meta={"csrf": False})
            if hasattr(form, "expected_version"):
                del form.expected_version
            _quick_choice_checks(form)
            self._pickers_from_known_records(form)
        form._obj = record
        form.process(formdata, obj=record)
        for name in self.columns.names:
            if name not in formdata:
                form[name].process(None, getattr(record, name) if record is not None
                                   else unset_value)
        return form

    def _pickers_from_known_records(self, form) -> None:
        for name in self.columns.names:
            relation = self._relation_model(name)
            loader = getattr(form[name], "loader", None)
            if relation is not None and loader is not None:
                form[name].loader = entities.KnownRecordsLoader(loader, relation, self.related)

    def _form_input(self, name, cell) -> list[str]:
        form_field = self.template[name]
        relation = self._relation_model(name)
        if relation is not None:
            return [self.related.id_of(relation, cell) or _blank(form_field)]
        if isinstance(form_field, wtf.SelectField):
            return [values.choice(cell, self._choices(form_field)) or _blank(form_field)]
        return values.form_input(form_field, cell)

    def _relation_model(self, name):
        if name not in self._relations:
            prop = getattr(getattr(self.model, name, None), "property", None)
            mapper = getattr(prop, "mapper", None)
            self._relations[name] = mapper.class_ if mapper is not None else None
        return self._relations[name]

    def _choices(self, form_field):
        if form_field.name not in self._choice_cache:
            self._choice_cache[form_field.name] = self._choices_in_every_language(form_field)
        return self._choice_cache[form_field.name]

    def _choices_in_every_language(self, form_field):
        choices = []
        for value, _label in form_field.choices or ():
            labels = set()
            for locale in SUPPORTED_LOCALES:
                with force_locale(locale):
                    labels.add(_norm(_label))
            choices.append((value, labels))
        return choices

    def _classify(self, line: Line, form, record, present: set) -> None:
        names = self.columns.names
        if record is None:
            line.status, line.values = NEW, tuple(form[name].data for name in names)
            return
        line.record_id, line.version = record.id, getattr(record, "version", None)
        for name in names:
            if name not in present:
                continue
            old, new = getattr(record, name), form[name].data
            if _same(old, new):
                continue
            line.add_change(name, new, (self.columns.label(name),
                                        cells.display(self.model, name, old),
                                        cells.display(self.model, name, new)))
        line.status = CHANGED if line.values else UNCHANGED


def _quick_choice_checks(form) -> None:
    """A fixed list of options (UF, unit, kind) checked against a set: WTForms walks and
    normalises every option of the list for every line otherwise. Same rule, same words."""
    for form_field in form:
        choices = getattr(form_field, "choices", None)
        if not isinstance(form_field, wtf.SelectField) or not isinstance(choices, (list, tuple)):
            continue
        allowed = {value for value, _label in choices}
        blank_ok = getattr(form_field, "allow_blank", False)

        def check(_form, field=form_field, allowed=allowed, blank_ok=blank_ok):
            if field.data in allowed or (blank_ok and field.data is None):
                return
            raise ValueError(field.gettext("Not a valid choice."))
        form_field.pre_validate = check


def _without_unique_key(form_class, key):
    """The form with no uniqueness query on the key field: the planner has already read
    every record a key of the file names (one query per thousand keys, not one per line),
    and the same key twice in the file is an error of its own."""
    if key is None:
        return form_class
    unbound = getattr(form_class, key.field, None)
    if unbound is None:
        return form_class
    validators = [v for v in unbound.kwargs.get("validators") or ()
                  if not isinstance(v, Unique)]
    field = UnboundField(unbound.field_class, *unbound.args,
                         **{**unbound.kwargs, "validators": validators})
    return type(form_class.__name__, (form_class,), {key.field: field})


def _blank(form_field) -> str:
    """What a picker posts when nothing is chosen (Flask-Admin's `__None`, if it allows it)."""
    return "__None" if getattr(form_field, "allow_blank", False) else ""


def _same(old, new) -> bool:
    if old in (None, "") and new in (None, ""):
        return True
    return old == new


def preview(view, file_name: str, data: bytes, max_rows: int, max_mb: int,
            progress=None) -> Plan:
    """Read and classify the file; raises reading.FileProblem when it cannot be read."""
    table = reading.read(file_name, data, max_rows, max_mb)
    return Planner(view).plan(file_name, table, progress)
