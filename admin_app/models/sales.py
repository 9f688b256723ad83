"""Orders and their items."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from admin_app.extensions import db
from admin_app.rules import orders as order_rules

from .base import VersionedMixin, utcnow_seconds
from .catalog import Money, Quantity
from .parties import Customer

_STATUS_SQL = ", ".join(f"'{s}'" for s in order_rules.STATUSES)


class Order(VersionedMixin, db.Model):
    """`number` is given on first save (`2026-000123`); the total is derived from the items."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status_known"),
        CheckConstraint("discount >= 0", name="discount_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(11), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    # active_history: the rules need the status the order had, even after a commit
    # expired it (see models/lifecycle.py).
    status: Mapped[str] = mapped_column(
        String(12), default=order_rules.DRAFT, server_default=order_rules.DRAFT, index=True,
        active_history=True,
    )
    ordered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow_seconds, index=True)
    discount: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    notes: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )

    @property
    def status_label(self) -> str:
        return str(order_rules.STATUS_LABELS.get(self.status, self.status))

    def __str__(self) -> str:
        return self.number or "—"


class OrderItem(db.Model):
    """Owned by its order (ON DELETE CASCADE); editable only while the order is a draft."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped["Product"] = relationship(lazy="joined", innerjoin=True)  # noqa: F821

    @property
    def subtotal(self) -> Decimal:
        return (self.quantity or 0) * (self.unit_price or 0)

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}" if self.product else "—"


Order.total = column_property(
    select(
        func.coalesce(func.sum(OrderItem.quantity * OrderItem.unit_price), 0) - Order.discount
    )
    .where(OrderItem.order_id == Order.id)
    .correlate_except(OrderItem)
    .scalar_subquery(),
    deferred=False,
)
