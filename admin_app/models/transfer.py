"""Imports as records: who sent which file to which screen, when, and what it did."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db

from .base import utcnow

PREVIEWED, APPLIED, FAILED, UNDONE = "previewed", "applied", "failed", "undone"


class ImportRun(db.Model):
    """One file imported (or previewed) into one entity's list; the audit entries of the
    records it wrote carry its id."""
    __tablename__ = "imports"
    #: bookkeeping of its own, like the audit trail: not itself audited (audit.py)
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                index=True)
    actor: Mapped[str] = mapped_column(String(255))
    entity: Mapped[str] = mapped_column(String(60), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=PREVIEWED, index=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    #: Between the screen's preview and its apply: the file kept (GESTAO_IMPORT_DIR) and
    #: the preview's fingerprint, which the apply must find again.
    stored_file: Mapped[str | None] = mapped_column(String(255))
    digest: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped["User | None"] = relationship(lazy="joined")  # noqa: F821

    def __str__(self) -> str:
        return f"{self.entity} · {self.file_name} (#{self.id})"
