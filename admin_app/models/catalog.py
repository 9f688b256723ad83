"""Categories and products."""

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db

from .base import VersionedMixin, one_of, sort_index

UNITS = ("UN", "KG", "L", "CX", "M")
Money = Numeric(12, 2)
Quantity = Numeric(12, 3)


class Category(VersionedMixin, db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return self.name


class Product(VersionedMixin, db.Model):
    """Stock is only changed through stock movements (see rules.stock)."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint("cost >= 0", name="cost_non_negative"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("min_stock >= 0", name="min_stock_non_negative"),
        one_of("unit", UNITS, "unit_known"),
        sort_index("products", "category_id"), sort_index("products", "price"),
        sort_index("products", "stock"), sort_index("products", "active"),
        sort_index("products", "unit"),
        # the product list filtered by one category, in its default order (name): read
        # from the index and stopped after one page, not every product of the category sorted
        Index("ix_products_category_id_name", "category_id", "name"),
        # the products below their minimum stock (a dashboard card and a list filter): a
        # partial index holds just those, where the condition itself could only be scanned
        Index("ix_products_below_minimum", "id", sqlite_where=text("stock < min_stock"),
              postgresql_where=text("stock < min_stock")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT")
    )
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="RESTRICT"), index=True
    )
    unit: Mapped[str] = mapped_column(String(2), default="UN", server_default="UN")
    price: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    cost: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    stock: Mapped[Decimal] = mapped_column(Quantity, default=0, server_default="0")
    min_stock: Mapped[Decimal] = mapped_column(Quantity, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    category: Mapped["Category"] = relationship(lazy="joined", innerjoin="unnested")
    supplier: Mapped["Supplier | None"] = relationship(lazy="joined")  # noqa: F821

    @property
    def below_minimum(self) -> bool:
        return (self.stock or 0) < (self.min_stock or 0)

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"
