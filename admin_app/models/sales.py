"""Orders and their items."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from admin_app.extensions import db
from admin_app import words
from admin_app.rules import orders as order_rules

from .base import VersionedMixin, one_of, sort_index, utcnow_seconds
from .catalog import Money, Quantity
from .parties import Customer


class Order(VersionedMixin, db.Model):
    """`number` is given on first save (`2026-000123`); the total is derived from the items.

    `items_total` is the sum of the items (quantity x unit price, in centavos), kept by the
    session rules on every change of an item (models/lifecycle.py) so that lists and the
    dashboard read one column instead of summing the items of every order they show.
    """

    __tablename__ = "orders"
    __table_args__ = (
        one_of("status", order_rules.STATUSES, "status_known"),
        CheckConstraint("discount >= 0", name="discount_non_negative"),
        sort_index("orders", "status"), sort_index("orders", "customer_id"),
        # The dashboard's sales per period: the sold statuses' date ranges, summed from the
        # index alone.
        Index("ix_orders_status_ordered_at_items_total_discount",
              "status", "ordered_at", "items_total", "discount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(11), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT")
    )
    # active_history: the rules need the status the order had, even after a commit
    # expired it (see models/lifecycle.py).
    status: Mapped[str] = mapped_column(
        String(12), default=order_rules.DRAFT, server_default=order_rules.DRAFT,
        active_history=True,
    )
    ordered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow_seconds, index=True)
    discount: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    # Derived, so not audited: the items' own entries record the change (audit.py).
    items_total: Mapped[Decimal] = mapped_column(
        Money, default=0, server_default="0", nullable=False, info={"audit": False}
    )
    notes: Mapped[str | None] = mapped_column(Text)

    # "unnested": loaded through an outer join (a stock movement's optional order), the
    # customer joins as an outer join too; a nested "(orders JOIN customers)" made SQLite
    # materialise every order for each page of stock movements.
    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin="unnested")
    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )

    @property
    def status_label(self) -> str:
        return str(words.ORDER_STATUS_LABELS.get(self.status, self.status))

    def __str__(self) -> str:
        return self.number or "—"


class OrderItem(db.Model):
    """Owned by its order (ON DELETE CASCADE); editable only while the order is a draft."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
        sort_index("order_items", "quantity"), sort_index("order_items", "unit_price"),
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
    product: Mapped["Product"] = relationship(lazy="joined", innerjoin="unnested")  # noqa: F821

    @property
    def subtotal(self) -> Decimal:
        return (self.quantity or 0) * (self.unit_price or 0)

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}" if self.product else "—"


# Read-only, loaded with the order and refreshed after each flush that touches it.
Order.total = column_property(Order.__table__.c.items_total - Order.__table__.c.discount)
