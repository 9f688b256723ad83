"""Stock movements: the only way a product's stock changes."""

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from admin_app import words
from admin_app.rules import stock as stock_rules

from .base import TimestampMixin, one_of, sort_index
from .catalog import Product, Quantity


class StockMovement(TimestampMixin, db.Model):
    """Immutable once saved. `balance_after` records the stock the movement left."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        one_of("kind", stock_rules.KINDS, "kind_known"),
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("balance_after >= 0", name="balance_non_negative"),
        sort_index("stock_movements", "created_at"), sort_index("stock_movements", "kind"),
        sort_index("stock_movements", "quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    balance_after: Mapped[Decimal] = mapped_column(Quantity, default=0)
    reason: Mapped[str | None] = mapped_column(String(200))
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"), index=True
    )

    product: Mapped[Product] = relationship(lazy="joined", innerjoin="unnested")
    order: Mapped["Order | None"] = relationship(lazy="joined")  # noqa: F821
    author: Mapped["User | None"] = relationship(lazy="joined")  # noqa: F821

    @property
    def kind_label(self) -> str:
        return str(words.MOVEMENT_KIND_LABELS.get(self.kind, self.kind))

    def __str__(self) -> str:
        return f"{self.kind_label} {self.quantity} {self.product.sku if self.product else ''}"
