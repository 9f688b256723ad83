"""Customers and suppliers."""

from sqlalchemy import CheckConstraint, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from admin_app.extensions import db
from admin_app.rules.documents import clean_cnpj, clean_document, format_document

from .base import VersionedMixin, one_of, sort_index

# The 27 federative units of Brazil.
UFS = (
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA",
    "PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
)


class Customer(VersionedMixin, db.Model):
    """A person (CPF) or a company (CNPJ) that buys from us."""

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("length(document) IN (11, 14)", name="document_length"),
        one_of("state", UFS, "state_uf", nullable=True),
        sort_index("customers", "city"), sort_index("customers", "state"),
        sort_index("customers", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    notes: Mapped[str | None] = mapped_column(Text)

    @validates("document")
    def _clean_document(self, key, value):
        return clean_document(value)

    @property
    def document_formatted(self) -> str:
        return format_document(self.document)

    @property
    def is_company(self) -> bool:
        return len(self.document or "") == 14

    def __str__(self) -> str:
        return f"{self.name} ({self.document_formatted})"


class Supplier(VersionedMixin, db.Model):
    """A company we buy from; always identified by its CNPJ."""

    __tablename__ = "suppliers"
    __table_args__ = (
        CheckConstraint("length(cnpj) = 14", name="cnpj_length"),
        sort_index("suppliers", "trade_name"), sort_index("suppliers", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200), index=True)
    trade_name: Mapped[str | None] = mapped_column(String(200))
    cnpj: Mapped[str] = mapped_column(String(14), unique=True)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    @validates("cnpj")
    def _clean_cnpj(self, key, value):
        return clean_cnpj(value)

    @property
    def cnpj_formatted(self) -> str:
        return format_document(self.cnpj)

    def __str__(self) -> str:
        return self.trade_name or self.legal_name
