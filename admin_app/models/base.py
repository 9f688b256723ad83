"""Mixins shared by every business table: timestamps and the version counter."""

from contextvars import ContextVar
from datetime import datetime, timezone

from sqlalchemy import CheckConstraint, DateTime, Index, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def utcnow_seconds() -> datetime:
    """For dates a person types back in a form (whole seconds): an untouched form then
    round-trips the value unchanged instead of recording a change nobody made."""
    return utcnow().replace(microsecond=0)


def one_of(column: str, values, name: str, nullable: bool = False) -> CheckConstraint:
    """The database refuses any value of `column` outside `values` (a status, a kind, a UF),
    whoever writes it."""
    quoted = ", ".join(f"'{value}'" for value in values)
    allowed = f"{column} IN ({quoted})"
    return CheckConstraint(f"{column} IS NULL OR {allowed}" if nullable else allowed, name=name)


def sort_index(table: str, column: str) -> Index:
    """An index for a column a list sorts or filters by, ending in the id: a page sorted by
    it (ties broken by id, as the lists do) is read in index order, on PostgreSQL too, even
    for columns with few distinct values (status, active)."""
    return Index(f"ix_{table}_{column}_id", column, "id")


class TimestampMixin:
    """`created_at` / `updated_at`, set by the ORM and defaulted by the database."""

    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow,
        server_default=func.current_timestamp(), nullable=False,
    )


#: The version a re-created record starts at (a deleted record brought back from the trash
#: goes on numbering where it stopped); unset, an INSERT starts at 1.
first_version: ContextVar[int | None] = ContextVar("first_version", default=None)


def next_version(current: int | None) -> int:
    return current + 1 if current is not None else first_version.get() or 1


class VersionedMixin(TimestampMixin):
    """Optimistic locking: SQLAlchemy adds `WHERE version = :old` to every UPDATE/DELETE,
    so a write based on a stale read fails instead of silently overwriting."""

    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version,
                "version_id_generator": next_version}
