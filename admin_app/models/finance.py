"""Receivables and payables."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, case, func
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from admin_app import words
from admin_app.rules import finance as finance_rules

from .base import VersionedMixin, one_of, sort_index
from .catalog import Money


class FinancialEntry(VersionedMixin, db.Model):
    """Status is not stored: it follows from `due_date`, `paid_at` and today."""

    __tablename__ = "financial_entries"
    __table_args__ = (
        one_of("kind", finance_rules.KINDS, "kind_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        sort_index("financial_entries", "kind"), sort_index("financial_entries", "description"),
        sort_index("financial_entries", "amount"),
        # The dashboard's open entries by kind and due date, read from the index alone.
        Index("ix_financial_entries_paid_at_kind_due_date_amount",
              "paid_at", "kind", "due_date", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    paid_at: Mapped[date | None] = mapped_column(Date, index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="RESTRICT"), index=True
    )
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="RESTRICT"), index=True
    )

    customer: Mapped["Customer | None"] = relationship(lazy="joined")  # noqa: F821
    supplier: Mapped["Supplier | None"] = relationship(lazy="joined")  # noqa: F821
    order: Mapped["Order | None"] = relationship(lazy="joined")  # noqa: F821

    @hybrid_property
    def status(self) -> str:
        return finance_rules.entry_status(self.due_date, self.paid_at)

    @status.inplace.expression
    @classmethod
    def _status_expression(cls):
        return case(
            (cls.paid_at.is_not(None), finance_rules.PAID),
            (cls.due_date < func.current_date(), finance_rules.OVERDUE),
            else_=finance_rules.OPEN,
        )

    @property
    def status_label(self) -> str:
        return str(words.ENTRY_STATUS_LABELS[self.status])

    def __str__(self) -> str:
        return self.description
