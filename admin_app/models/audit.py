"""The audit trail: one row per create, update or delete, never edited."""

from datetime import datetime

from sqlalchemy import Integer, JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db

from .base import sort_index, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity_object", "entity", "object_id"),
        # a trash page, and the items deleted with an order (admin/trash.py, restore_deleted.py)
        Index("ix_audit_entries_entity_action_created", "entity", "action", "created_at", "id"),
        sort_index("audit_entries", "actor"), sort_index("audit_entries", "action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60))
    changes: Mapped[dict | None] = mapped_column(JSON)
    #: The import (models/transfer.py) that wrote the change, if one did.
    import_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: The record's version counter after the change (1 = as created); None for a record
    #: without one, and for entries written before versions were recorded.
    version: Mapped[int | None] = mapped_column(Integer)
    #: On an entry a restore wrote: the version it brought back (admin/restore_version.py,
    #: admin/restore_deleted.py).
    restored_version: Mapped[int | None] = mapped_column(Integer)

    user: Mapped["User | None"] = relationship(lazy="joined")  # noqa: F821

    def __str__(self) -> str:
        return f"{self.action} {self.entity} #{self.object_id}"
