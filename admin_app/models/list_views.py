"""What a person keeps of a list: saved views (a search, filters, sort and page size under a
name, private or shared with everyone) and, per list, a default view and the columns shown.

Mapped through a registry of their own that shares the app's metadata (as models/signin.py
does): Alembic sees the tables, but the generated-screens walk and the audit trail do not;
each person edits their own from the list itself. A user's rows go with the user.
"""

from datetime import datetime

from sqlalchemy import (Boolean, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from admin_app.extensions import db

from .base import utcnow


class ListViewsBase(DeclarativeBase):
    metadata = db.metadata


class SavedView(ListViewsBase):
    """A list's state under a name. `query` is the list URL's query string, kept to the
    arguments a list reads (search, sort, desc, page_size, flt*)."""
    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("owner_id", "list_endpoint", "name",
                                       name="uq_saved_views_owner_list_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                          index=True)
    #: the list's endpoint: `customer`, `product`, …
    list_endpoint: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(Text, default="")
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ListPreference(ListViewsBase):
    """One person's settings of one list: the view it opens with, the columns it shows
    (a JSON list of column names; NULL = the screen's own)."""
    __tablename__ = "list_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    list_endpoint: Mapped[str] = mapped_column(String(64), primary_key=True)
    default_view_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_views.id", ondelete="SET NULL"), index=True)
    columns: Mapped[str | None] = mapped_column(Text)
