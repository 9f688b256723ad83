"""Saved views and the column chooser as people meet them on a list: its "Visões salvas" and
"Colunas" panels (templates/admin/gestao/list.html), the POSTs behind them (with CSRF, by
whoever may see the list), and the list opening with the user's default view.

What may be stored, and by whom, is decided in saved_views.py."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_security import current_user

from admin_app.i18n import lazy_gettext as _l

from . import access, saved_views as store
from .screens import screens

REFUSALS = {
    "not_found": _l("That saved view does not exist (or is private to someone else)."),
    "not_owner": _l("Only the person who saved a view may remove it."),
    "no_name": _l("Give the view a name."),
    "name_too_long": _l("The name is too long (at most %(limit)s characters)."),
    "too_long": _l("This list's search and filters are too long to be saved."),
    "unknown_columns": _l("This list has no column %(names)s: nothing was changed."),
    "no_columns": _l("Choose at least one column."),
}
SAVED = _l("View “%(name)s” saved.")
UPDATED = _l("View “%(name)s” updated.")
REMOVED = _l("View “%(name)s” removed.")
DEFAULT_SET = _l("The list now opens with “%(name)s”.")
DEFAULT_CLEARED = _l("The list now opens with no view.")
COLUMNS_SAVED = _l("Columns saved.")
COLUMNS_RESET = _l("The list shows its own columns again.")


def _say_refusal(refusal: store.ViewRefused) -> None:
    details = dict(refusal.details)
    if "names" in details:
        details["names"] = ", ".join(f"“{name[:40]}”" for name in details["names"][:5])
    flash(str(REFUSALS[refusal.code]) % details, "error")


def list_url(endpoint: str, query: str = "", view_id=None) -> str:
    base = url_for(f"{endpoint}.index_view")
    query = "&".join(part for part in (query, f"view={view_id}" if view_id else "") if part)
    return f"{base}?{query}" if query else base


class SavedViewPages(access.SignedInPages, BaseView):
    """POSTs that change one list's saved views, default and columns for the signed-in
    user; any user who may see the list. No menu entry: the list is where they live."""

    @expose("/")
    def index(self):
        return redirect(url_for("admin.index"))

    def _list(self, endpoint: str):
        view = screens().by_endpoint.get(endpoint)
        if view is None:
            abort(404)
        if not view.is_accessible():
            abort(403)
        return view

    def _back(self, endpoint: str):
        """The list as it was (its search, filters and sort came along with the form)."""
        try:
            query = store.clean_query(store.query_pairs_of(request.form.get("query", "")))
        except store.ViewRefused:
            query = ""
        return redirect(list_url(endpoint, query))

    @expose("/<list_name>/save", methods=("POST",))
    def save(self, list_name):
        self._list(list_name)
        try:
            query = store.clean_query(store.query_pairs_of(request.form.get("query", "")))
            view, created = store.save_view(
                current_user.id, list_name, request.form.get("name", ""), query,
                shared=request.form.get("shared") == "1",
                make_default=request.form.get("default") == "1")
        except store.ViewRefused as refusal:
            _say_refusal(refusal)
            return self._back(list_name)
        flash(str(SAVED if created else UPDATED) % {"name": view.name}, "success")
        return redirect(list_url(list_name, view.query, view.id))

    def _change(self, list_name: str, change, words):
        """Apply `change(user id, list)` to one of the user's lists; say how it went."""
        self._list(list_name)
        try:
            view = change(current_user.id, list_name)
        except store.ViewRefused as refusal:
            _say_refusal(refusal)
        else:
            flash(str(words) % {"name": view.name}, "success")
        return self._back(list_name)

    @expose("/<list_name>/<view_id>/delete", methods=("POST",))
    def delete(self, list_name, view_id):
        return self._change(list_name, lambda user, name: store.delete_view(user, name, view_id),
                            REMOVED)

    @expose("/<list_name>/<view_id>/default", methods=("POST",))
    def make_default(self, list_name, view_id):
        return self._change(list_name, lambda user, name: store.set_default(user, name, view_id),
                            DEFAULT_SET)

    @expose("/<list_name>/default/clear", methods=("POST",))
    def clear_default(self, list_name):
        self._list(list_name)
        store.set_default(current_user.id, list_name, None)
        flash(str(DEFAULT_CLEARED), "success")
        return self._back(list_name)

    @expose("/<list_name>/columns", methods=("POST",))
    def columns(self, list_name):
        view = self._list(list_name)
        known = [name for name, _label in view._list_columns]
        chosen = None if request.form.get("action") == "reset" \
            else request.form.getlist("column")
        try:
            store.set_columns(current_user.id, list_name, chosen, known)
        except store.ViewRefused as refusal:
            _say_refusal(refusal)
            return self._back(list_name)
        flash(str(COLUMNS_SAVED if chosen is not None else COLUMNS_RESET), "success")
        return self._back(list_name)


class SavedViewsOnList:
    """Mixed into GestaoModelView: the default view, the chosen columns, the panels."""

    def open_default_view(self, view_name: str):
        """A bare list URL opens the user's default view of it (`?view=0`: the bare list)."""
        if view_name != "index_view" or request.args or request.method != "GET" \
                or not current_user.is_authenticated:
            return None
        view = store.default_view(current_user.id, self.endpoint)
        return redirect(list_url(self.endpoint, view.query, view.id)) if view else None

    def shown_column_names(self) -> list[str]:
        known = [name for name, _label in self._list_columns]
        if not current_user.is_authenticated:
            return known
        return store.shown_columns(current_user.id, self.endpoint, known)

    def saved_view_context(self) -> dict:
        """What the list's panels show."""
        user_id, endpoint = current_user.id, self.endpoint
        default = store.default_view(user_id, endpoint)
        current = request.args.get("view", "")
        try:
            query = store.clean_query(request.args.items(multi=True))
        except store.ViewRefused:
            query = ""
        items = [{
            "name": view.name, "url": list_url(endpoint, view.query, view.id),
            "shared": view.shared, "mine": view.owner_id == user_id,
            "owner": view.owner, "is_default": default is not None
            and default.id == view.id, "is_current": current == str(view.id),
            "default_url": url_for("listviews.make_default", list_name=endpoint,
                                   view_id=view.id),
            "delete_url": url_for("listviews.delete", list_name=endpoint, view_id=view.id),
        } for view in store.visible_views(user_id, endpoint)]
        shown = set(self.shown_column_names())
        return {
            "saved_views": items, "default_view": default, "view_query": query,
            "current_view": next((item for item in items if item["is_current"]), None),
            "save_view_url": url_for("listviews.save", list_name=endpoint),
            "clear_default_url": url_for("listviews.clear_default", list_name=endpoint),
            "columns_url": url_for("listviews.columns", list_name=endpoint),
            "column_choices": [(name, label, name in shown)
                               for name, label in self._list_columns],
            "bare_list_url": list_url(endpoint, "view=0"),
        }
