"""The migration log: one row per Alembic step applied to a database, written by
``migrations/env.py`` in the same transaction as the step, in that database.

Mapped through a registry of its own that shares the app's metadata: Alembic and
``flask db check`` see the table, but the generated-screens walk
(``db.Model.registry``) does not, so it gets no editable screen; administrators read it on
the "Migrações" page.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from admin_app.extensions import db

LOG_TABLE = "migration_log"
UPGRADE, DOWNGRADE, STAMP = "upgrade", "downgrade", "stamp"


class OpsBase(DeclarativeBase):
    metadata = db.metadata


class MigrationLog(OpsBase):
    __tablename__ = LOG_TABLE
    __table_args__ = (
        CheckConstraint("direction IN ('upgrade', 'downgrade', 'stamp')", name="direction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The revision applied (upgrade), reverted (downgrade) or stamped.
    revision: Mapped[str] = mapped_column(String(64), index=True)
    #: The revision(s) the database was on before the step, comma-separated.
    from_revision: Mapped[str | None] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(10))
    message: Mapped[str | None] = mapped_column(String(255))
    applied_at: Mapped[datetime] = mapped_column(DateTime)
    applied_by: Mapped[str] = mapped_column(String(255))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    #: SHA-256 of the revision script as it was when applied.
    checksum: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<MigrationLog {self.direction} {self.revision} by {self.applied_by}>"
