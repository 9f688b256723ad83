"""Saved views and column choices of the lists (models/list_views.py): what may be stored and
by whom. Pages and words are in saved_view_pages.py.

A view stores only what a list reads from its URL (search, filters, sort, page size); its
owner is always the signed-in user, whatever a form says. A private view is found only by
its owner: to anyone else it does not exist. A shared view can be opened and made one's
default by everyone, changed or removed only by its owner.
"""

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from flask import g
from sqlalchemy import and_, literal_column, or_, select

from admin_app.extensions import db
from admin_app.models import User
from admin_app.models.list_views import ListPreference, SavedView

#: the list arguments a view keeps (plus Flask-Admin's filters, flt<N>_<M>)
LIST_ARGS = ("search", "sort", "desc", "page_size")
MAX_QUERY = 2_000
NAME_LENGTH = 80


class ViewRefused(Exception):
    """Why a change was refused, as a code saved_view_pages.py puts into words."""

    def __init__(self, code: str, **details):
        super().__init__(code)
        self.code, self.details = code, details


def clean_query(pairs) -> str:
    """The list arguments of (name, value) pairs, as a query string."""
    kept = [(name, value) for name, value in pairs
            if name in LIST_ARGS or (name.startswith("flt") and "_" in name)]
    query = urlencode(kept)
    if len(query) > MAX_QUERY:
        raise ViewRefused("too_long")
    return query


def query_pairs_of(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query or "", keep_blank_values=True)


def visible_views(user_id: int, endpoint: str) -> list:
    """The views of a list the user may open, by name (see list_settings)."""
    return list_settings(user_id, endpoint).views


def find_view(user_id: int, endpoint: str, view_id) -> SavedView:
    """A view the user may see (own or shared) of this list; refused as "not found"
    otherwise, so a private view's existence is never told."""
    found = None
    if str(view_id).isdigit() and int(view_id) < 2**31:
        found = db.session.get(SavedView, int(view_id))
    if found is None or found.list_endpoint != endpoint or \
            (found.owner_id != user_id and not found.shared):
        raise ViewRefused("not_found")
    return found


def _preference(user_id: int, endpoint: str, create: bool = False) -> ListPreference | None:
    """The user's settings row of a list, to change it."""
    found = db.session.get(ListPreference, (user_id, endpoint))
    if found is None and create:
        found = ListPreference(user_id=user_id, list_endpoint=endpoint)
        db.session.add(found)
    return found


@dataclass
class ListSettings:
    """What a list page shows of the user's settings: its default view's id, its chosen
    columns (JSON or None) and the views the user may open (rows of id, name, query, shared,
    owner_id, owner)."""
    default_view_id: int | None
    columns: str | None
    views: list


def list_settings(user_id: int, endpoint: str) -> ListSettings:
    """The user's settings of a list and its visible views (their own and everyone's
    shared ones, by name), in one query once per request: a list page reads them for its
    default view, its columns and its panels."""
    cache = g.setdefault("list_settings", {})
    if (user_id, endpoint) not in cache:
        anchor = select(literal_column("1").label("one")).subquery()
        rows = db.session.execute(
            select(ListPreference.default_view_id, ListPreference.columns, SavedView.id,
                   SavedView.name, SavedView.query, SavedView.shared, SavedView.owner_id,
                   User.email.label("owner"))
            .select_from(anchor)
            .outerjoin(ListPreference, and_(ListPreference.user_id == user_id,
                                            ListPreference.list_endpoint == endpoint))
            .outerjoin(SavedView, and_(SavedView.list_endpoint == endpoint,
                                       or_(SavedView.owner_id == user_id, SavedView.shared)))
            .outerjoin(User, User.id == SavedView.owner_id)
            .order_by(SavedView.name, SavedView.id)).all()
        cache[user_id, endpoint] = ListSettings(
            rows[0].default_view_id, rows[0].columns, [row for row in rows if row.id])
    return cache[user_id, endpoint]


def save_view(user_id: int, endpoint: str, name: str, query: str, shared: bool,
              make_default: bool) -> tuple[SavedView, bool]:
    """Store the list's state under `name` (the user's view of that name is replaced);
    returns the view and whether it is new."""
    name = " ".join((name or "").split())
    if not name:
        raise ViewRefused("no_name")
    if len(name) > NAME_LENGTH:
        raise ViewRefused("name_too_long", limit=NAME_LENGTH)
    view = db.session.scalar(select(SavedView).where(
        SavedView.owner_id == user_id, SavedView.list_endpoint == endpoint,
        SavedView.name == name))
    created = view is None
    if created:
        view = SavedView(owner_id=user_id, list_endpoint=endpoint, name=name)
        db.session.add(view)
    view.query, view.shared = query, bool(shared)
    db.session.flush()
    if make_default:
        _preference(user_id, endpoint, create=True).default_view_id = view.id
    db.session.commit()
    return view, created


def delete_view(user_id: int, endpoint: str, view_id) -> SavedView:
    view = find_view(user_id, endpoint, view_id)
    if view.owner_id != user_id:
        raise ViewRefused("not_owner")
    for preference in db.session.scalars(
            select(ListPreference).where(ListPreference.default_view_id == view.id)):
        preference.default_view_id = None  # SQLite may run without foreign keys
    db.session.delete(view)
    db.session.commit()
    return view


def set_default(user_id: int, endpoint: str, view_id) -> SavedView | None:
    """Make a view the list's default for the user; `None` removes the default."""
    view = find_view(user_id, endpoint, view_id) if view_id is not None else None
    preference = _preference(user_id, endpoint, create=view is not None)
    if preference is not None:
        preference.default_view_id = view.id if view is not None else None
        db.session.commit()
    return view


def default_view(user_id: int, endpoint: str):
    """The view a list opens with for the user (None if it is gone or no longer shared)."""
    settings = list_settings(user_id, endpoint)
    return next((view for view in settings.views if view.id == settings.default_view_id),
                None)


def set_columns(user_id: int, endpoint: str, names: list[str] | None,
                known: list[str]) -> None:
    """Show only `names` (in the screen's order) on the list; None: the screen's own."""
    if names is not None:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ViewRefused("unknown_columns", names=unknown)
        if not names:
            raise ViewRefused("no_columns")
    preference = _preference(user_id, endpoint, create=names is not None)
    if preference is not None:
        preference.columns = json.dumps([n for n in known if n in names]) \
            if names is not None else None
        db.session.commit()


def shown_columns(user_id: int, endpoint: str, known: list[str]) -> list[str]:
    """The columns the user chose for the list (those the screen still has); the screen's
    own when none were chosen."""
    chosen = list_settings(user_id, endpoint).columns
    chosen = json.loads(chosen) if chosen else None
    kept = [name for name in known if chosen is None or name in chosen]
    return kept or list(known)
