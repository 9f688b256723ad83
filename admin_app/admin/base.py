"""GestaoModelView: what every generated screen shares — access, friendly errors,
guarded deletes, formatting. Per-model options only add what differs."""

import re

from flask import abort, flash, request, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_babel import format_datetime
from sqlalchemy import Integer, func, inspect
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import RelationshipProperty, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from admin_app.extensions import db
from admin_app.i18n import gettext, lazy_gettext as _l, ngettext
from admin_app import search as text_search
from admin_app.rules import BusinessRuleError

from . import access, list_rows, listing, pager
from .jumps import ListJumps, marked
from .quick_create import QuickCreate
from .saved_view_pages import SavedViewsOnList
from .ajax import IndexedAjaxLoader
from .errors import describe_integrity_error
from .fields import GestaoModelConverter, is_id
from .formatters import automatic_formatters
from .forms import CsrfForm, VersionField
from .history import may_see_history
from .exporting import ExportScreens
from .importing import ImportScreens
from .options import screen_labels
from .references import blocking_references


class GestaoModelView(SavedViewsOnList, ListJumps, QuickCreate, ExportScreens, ImportScreens,
                      ModelView):
    """Base of every generated screen."""

    #: Roles that may list, see details and export.
    read_roles = access.EVERYONE
    #: Roles that may create, edit and delete (if the screen allows it at all).
    write_roles = access.WRITERS
    #: Which writes this screen offers at all, whatever the role.
    writes = frozenset({"create", "edit", "delete"})
    #: Action name -> the write it counts as.
    action_permissions = {"delete": "delete"}
    #: Creating, editing, deleting and bulk actions ask for the password again when the last
    #: one typed is older than `GESTAO_REAUTH_MINUTES` (users and roles).
    writes_need_fresh_sign_in = False
    #: Singular label of the model, used in messages.
    label = None
    #: Search terms made of digits and . - / (a formatted CPF/CNPJ) are searched digits-only.
    search_digits_only = False
    #: The items' subtotals and the total shown live in the form (a `LiveTotal`), or None.
    live_total = None

    form_base_class = CsrfForm
    model_form_converter = GestaoModelConverter
    can_view_details = True
    can_export = True
    export_types = ["csv", "xlsx"]
    page_size = 20
    can_set_page_size = True
    column_display_pk = False
    column_exclude_list = ("created_at", "version")
    column_details_exclude_list = ()
    form_excluded_columns = ("created_at", "updated_at", "version")
    column_export_exclude_list = ("version",)
    list_template = "admin/gestao/list.html"
    create_template = "admin/gestao/create.html"
    edit_template = "admin/gestao/edit.html"
    details_template = "admin/gestao/details.html"
    details_modal = False
    edit_modal = False
    create_modal = False

    def __init__(self, model, session, **kwargs):
        formatters = automatic_formatters(model)
        formatters.update(self.column_formatters or {})
        self.column_formatters = formatters
        export_formatters = dict(formatters)
        export_formatters.update(self.column_formatters_export or {})
        self.column_formatters_export = export_formatters
        super().__init__(model, session, **kwargs)

    def get_count_query(self):
        """`count(*)` rendered literally: Flask-Admin's `count(?)` bound to '*' misses
        SQLite's fast count path (about 10x slower on a million rows)."""
        return db.session.query(func.count()).select_from(self.model)

    # -- reading a list page (see listing.py) --------------------------------------------
    def _eager_loads(self):
        """Every relationship the list shows, loaded with the page: a many-to-one in the
        same query, a collection in one more; never one query per row."""
        for name, _label in self._list_columns:
            attribute = getattr(self.model, name.split(".")[0], None)
            prop = getattr(attribute, "property", None)
            if isinstance(prop, RelationshipProperty):
                if prop.uselist:
                    yield selectinload(attribute)
                elif prop.lazy != "joined":
                    yield joinedload(attribute)

    def _sort_keys(self, query, joins, sort_column, sort_desc):
        """Join what the sort needs; the sort keys, ending with the id (a total order)."""
        if sort_column is not None and sort_column in self._sortable_columns:
            fields = self._sortable_columns[sort_column]
            paths = self._sortable_joins.get(sort_column)
            wanted = list(zip(fields, paths)) if isinstance(fields, list) else [(fields, paths)]
            wanted = [(field, path, sort_desc) for field, path in wanted]
        else:
            wanted = list(self._get_default_order())
        keys = []
        for field, path, descending in wanted:
            query, joins, alias = self._apply_path_joins(query, joins, path,
                                                         inner_join=_always_there(path))
            column = field if alias is None else getattr(alias, field.key)
            own = alias is None and getattr(field, "class_", None) is self.model
            via = path[0] if path and len(path) == 1 and _always_there(path) else None
            keys.append(listing.SortKey(column, bool(descending),
                                        field.key if own else None, via))
        pk = getattr(self.model, inspect(self.model).primary_key[0].key)
        if not any(key.attribute == pk.key for key in keys):
            keys.append(listing.SortKey(pk, keys[-1].descending if keys else False, pk.key))
        return query, joins, keys

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """Flask-Admin's list read, with a cheap count, keyset pages, eager loading and
        indexed search. With `execute=False` (exports) the ordered query is returned."""
        joins, count_joins = {}, {}
        query = self.get_query()
        count_query = self.get_count_query() if not self.simple_list_pager else None
        if self._search_supported and search:
            query, count_query, joins, count_joins = self._apply_search(
                query, count_query, joins, count_joins, search)
        if filters and self._filters:
            query, count_query, joins, count_joins = self._apply_filters(
                query, count_query, joins, count_joins, filters)
        unsorted = query
        query = query.options(*self._eager_loads())  # in place of Flask-Admin's _auto_joins
        query, joins, keys = self._sort_keys(query, joins, sort_column, sort_desc)
        if not execute:
            return None, query.order_by(*listing.order_clauses(keys))
        count = None
        if count_query is not None:
            count = listing.count_rows(db.session, count_query, self.model.__table__.name,
                                       filtered=bool(search or filters))
        page_size = self.page_size if page_size is None else page_size
        if not page_size:
            return count, listing.Page(query.order_by(*listing.order_clauses(keys)).all())
        keyset = listing.keyset_ready(keys, self.model.__table__)
        by_parent = not keyset and listing.parent_ordered(
            keys, db.session.get_bind().dialect.name)
        wanted = self.page_request(query, keys, page or 0, page_size, keyset)
        rows, count = listing.read_page(query, keys, wanted, page_size, count, keyset,
                                        unsorted if by_parent else None)
        return count, marked(rows, keys, keyset)

    def prepare_rows(self, rows, actions, return_url):
        """The page's rows as list.html prints them (see list_rows.py)."""
        return list_rows.prepare_rows(self, rows, actions, return_url)

    def render(self, template, **kwargs):
        """The list page gets the keyset pager of the rows it shows, and its count in
        words (pager.py)."""
        if template == self.list_template:
            rows, count = kwargs.get("data"), kwargs.get("count")
            kwargs["keyset_pager"] = pager.list_pager(getattr(rows, "edges", None), count)
            kwargs["letter_index"] = self.letter_index(rows)
            if pager.has_pages(rows, kwargs.get("num_pages")):
                kwargs["page_box_fields"] = pager.kept_fields()
            self.say_past_end(rows)
            kwargs.update(self.saved_view_context())
            if isinstance(count, listing.ListCount) and count:
                kwargs["count"] = pager.count_words(count)
        return super().render(template, **kwargs)

    def _create_ajax_loader(self, name, options):
        """Pickers search through the substring indexes (see ajax.py)."""
        remote = getattr(self.model, name).property.mapper.class_
        return IndexedAjaxLoader(name, self.session, remote, **options)

    def get_one(self, id):
        """None for an id that cannot be a key (`abc`, a 30-digit number): PostgreSQL would
        refuse the query, and the user should get "record not found", not an error page."""
        columns = inspect(self.model).primary_key
        if len(columns) == 1 and isinstance(columns[0].type, Integer) and \
                not is_id(str(id)):
            return None
        return super().get_one(id)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Every word must occur in one of the searched columns, found through the
        substring indexes (admin_app/search.py) instead of a scan per search."""
        search = search.replace("\x00", "")
        if self.search_digits_only and re.fullmatch(r"[\d.\-/ ]*\d[\d.\-/ ]*", search.strip()):
            search = re.sub(r"\D", "", search)
        dialect = db.session.get_bind().dialect.name
        for term in search.split():
            columns, count_columns = [], []
            for field, path in self._search_fields:
                query, joins, alias = self._apply_path_joins(query, joins, path,
                                                             inner_join=False)
                columns.append(field if alias is None else getattr(alias, field.key))
                if count_query is not None:
                    count_query, count_joins, alias = self._apply_path_joins(
                        count_query, count_joins, path, inner_join=False)
                    count_columns.append(field if alias is None else getattr(alias, field.key))
            query = query.filter(text_search.matches(columns, term, dialect))
            if count_query is not None:
                count_query = count_query.filter(
                    text_search.matches(count_columns, term, dialect))
        return query, count_query, joins, count_joins

    # -- access --------------------------------------------------------------------------
    def allowed(self, action_name: str) -> bool:
        if action_name in access.READ_ACTIONS:
            return access.user_has_role(self.read_roles)
        return action_name in self.writes and access.user_has_role(self.write_roles)

    @property
    def can_create(self):
        return self.allowed("create")

    @property
    def can_edit(self):
        return self.allowed("edit")

    @property
    def can_delete(self):
        return self.allowed("delete")

    def is_accessible(self):
        return self.allowed("list")

    def is_action_allowed(self, name):
        return self.allowed(self.action_permissions.get(name, "edit"))

    def _handle_view(self, name, **kwargs):
        """Anonymous -> login (and back); logged in without the role -> 403, GET or POST."""
        refused = access.gate(self.is_accessible)
        if refused is not None:
            return refused
        wanted = access.VIEW_ACTIONS.get(name)
        if wanted and not self.allowed(wanted):
            abort(403)
        if name == "action_view" and request.method == "POST":
            chosen = request.form.get("action", "")
            if not self.is_action_allowed(chosen):
                abort(403)
        if self.writes_need_fresh_sign_in and (
                wanted in access.WRITE_ACTIONS or name == "action_view"):
            return access.fresh_sign_in_or_verify(self._page_after_verify(name))
        return self.open_default_view(name)

    def _page_after_verify(self, view_name: str) -> str:
        """Where the password confirmation comes back to: the form asked for, or the list
        for a POST that has no page of its own (delete, bulk action)."""
        if request.method == "GET" or view_name in ("create_view", "edit_view"):
            return request.full_path.rstrip("?")
        return url_for(".index_view")

    def history_url(self, object_id) -> str | None:
        """The "Histórico" link of a record, if the current user may see it."""
        if not object_id or not may_see_history(self):
            return None
        return url_for("history.object_history", entity=self.model.__name__, object_id=object_id)

    def trash_url(self) -> str | None:
        """The list's "Lixeira" (its deleted records), for who may delete and see history."""
        if not self.allowed("delete") or not may_see_history(self):
            return None
        return url_for("history.trash", entity=self.model.__name__)

    # -- optimistic locking ---------------------------------------------------------------
    def is_versioned(self) -> bool:
        return "version" in inspect(self.model).columns

    def scaffold_form(self):
        form_class = super().scaffold_form()
        if self.is_versioned():
            form_class.expected_version = VersionField()
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and hasattr(form, "expected_version") and request.method == "GET":
            form.expected_version.data = obj.version
        return form

    def _audited_parts(self, model) -> list[tuple[str, object]]:
        """The record and the children edited inline with it (an order and its items):
        a change to any of them is a change to what the form shows."""
        parts = [(type(model).__name__, self.get_pk_value(model))]
        inline = {entry[0] if isinstance(entry, tuple) else entry
                  for entry in (self.inline_models or ())}
        for rel in inspect(type(model)).relationships:
            if rel.mapper.class_ in inline:
                parts += [(rel.mapper.class_.__name__, child.id)
                          for child in getattr(model, rel.key)]
        return parts

    def conflict_message(self, model) -> str:
        """Who changed the record since the form was shown, from the audit trail."""
        from .history import last_change

        change = last_change(self._audited_parts(model))
        if change is None:
            return gettext("This record was changed by someone else since you opened it. "
                           "Your changes were not saved; they are still in the form. Open "
                           "the record again to see the current values.")
        return gettext("This record was changed by %(who)s on %(when)s since you opened it. "
                       "Your changes were not saved; they are still in the form. Open the "
                       "record again to see the current values.",
                       who=change.actor, when=format_datetime(change.created_at, "short"))

    def update_model(self, form, model):
        expected = getattr(form, "expected_version", None)
        if expected is not None and expected.data and str(model.version) != str(expected.data):
            flash(self.conflict_message(model), "error")
            return False
        return super().update_model(form, model)

    # -- errors --------------------------------------------------------------------------
    def field_labels(self) -> dict:
        labels = {}
        for column in inspect(self.model).columns:
            labels[column.key] = str(self.column_labels.get(column.key, column.key)) \
                if self.column_labels else column.key
        return labels

    def handle_view_exception(self, exc):
        if isinstance(exc, BusinessRuleError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, IntegrityError):
            flash(describe_integrity_error(exc, self.field_labels()), "error")
            return True
        if isinstance(exc, DataError):
            flash(gettext("A value does not fit the database (too long or out of range); "
                          "nothing was saved."), "error")
            return True
        if isinstance(exc, StaleDataError):
            flash(gettext("This record was changed by someone else at the same moment. "
                          "Your changes were not saved; open the record again and repeat "
                          "them."), "error")
            return True
        return super().handle_view_exception(exc)

    # -- deletes -------------------------------------------------------------------------
    def _blocked_message(self, model) -> str | None:
        refs = blocking_references(model)
        if not refs:
            return None
        parts = [f"{count} × {label_of(other) if other else table}" for other, table, count in refs]
        return gettext("%(record)s cannot be deleted: it is referenced by %(refs)s.",
                       record=str(model), refs=", ".join(parts))

    def delete_model(self, model):
        expected = request.form.get("version")
        if self.is_versioned() and expected and expected != str(model.version):
            flash(self.conflict_message(model), "error")
            return False
        message = self._blocked_message(model)
        if message:
            flash(message, "error")
            return False
        return super().delete_model(model)

    @action("delete", _l("Delete"), _l("Are you sure you want to delete the selected records?"))
    def action_delete(self, ids):
        """Delete every selected row that nothing references; name the ones refused."""
        deleted, refused = 0, []
        for pk in ids:
            model = self.get_one(pk)
            if model is None:
                continue
            message = self._blocked_message(model)
            if message:
                refused.append(message)
                continue
            try:
                self.on_model_delete(model)
                db.session.delete(model)
                db.session.commit()
                deleted += 1
                self.after_model_delete(model)
            except Exception as exc:  # one row's failure must not undo the others
                db.session.rollback()
                if not self.handle_view_exception(exc):
                    raise
        if deleted:
            flash(ngettext("%(num)s record deleted.", "%(num)s records deleted.", deleted),
                  "success")
        for message in refused:
            flash(message, "error")


def _always_there(path) -> bool:
    """Whether every step of a sort's join path is a many-to-one through NOT NULL keys:
    an inner join then returns the same rows, and lets the database walk the related
    table's index in sort order (page 1 by category reads 21 rows, not the whole table)."""
    if not path:
        return False
    for step in path:
        prop = getattr(step, "property", None)
        if prop is None or getattr(prop, "direction", None) is None \
                or prop.direction.name != "MANYTOONE" \
                or any(column.nullable for column in prop.local_columns):
            return False
    return True


def label_of(model) -> str:
    return str(screen_labels(model)[1])
