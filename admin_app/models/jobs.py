"""Work done by the worker (admin_app/jobs/) for a person: a big import or export."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.extensions import db

from .base import utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
IMPORT_PREVIEW, IMPORT_APPLY, EXPORT = "import-preview", "import-apply", "export"


class Job(db.Model):
    """One piece of background work; its live progress is kept by the queue (jobs/queue.py),
    its outcome here."""
    __tablename__ = "jobs"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    #: What the work needs: the import's id, or an export's format, locale and list query.
    args: Mapped[dict | None] = mapped_column(JSON)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"))
    result_file: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
