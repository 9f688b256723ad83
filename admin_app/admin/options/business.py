"""Options for the business entities' screens."""

from datetime import date

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from sqlalchemy import select
from wtforms.validators import NumberRange, Optional, Email

from admin_app.admin.ajax import IndexedAjaxLoader
from admin_app.admin.fields import DocumentField, is_id
from admin_app.admin.filters import BelowMinimumFilter
from admin_app.admin.live_total import LiveTotal
from admin_app.admin.validators import ValidCnpj, ValidDocument
from admin_app import words
from admin_app.extensions import db
from admin_app.i18n import lazy_gettext as _l, ngettext
from admin_app.models import (
    Category, Customer, FinancialEntry, Order, OrderItem, Product, StockMovement, Supplier,
)
from admin_app.models.catalog import UNITS
from admin_app.models.parties import UFS
from admin_app.rules import finance as finance_rules
from admin_app.rules import orders as order_rules
from admin_app.rules import stock as stock_rules

REGISTERS, CATALOG, SALES, STOCK, FINANCE = (
    _l("Registers"), _l("Catalog"), _l("Sales"), _l("Stock"), _l("Finance"),
)
COMMON_LABELS = {
    "name": _l("Name"), "email": _l("E-mail"), "phone": _l("Phone"), "active": _l("Active"),
    "notes": _l("Notes"), "description": _l("Description"), "created_at": _l("Created at"),
    "updated_at": _l("Updated at"), "version": _l("Version"),
}
NOT_NEGATIVE = [NumberRange(min=0, message=_l("Must be zero or more."))]
POSITIVE = [NumberRange(min=0.001, message=_l("Must be greater than zero."))]


def _choices(values, labels=None):
    """Select options; labels stay lazy so each request shows the user's language."""
    return [(v, labels[v] if labels else v) for v in values]


def _label(mapping):
    return lambda view, context, model, name: str(mapping.get(getattr(model, name), ""))


class CustomerOptions:
    label, label_plural, category = _l("Customer"), _l("Customers"), REGISTERS
    quick_create = True  # a "+" next to its pickers on other forms (quick_create.py)
    column_list = ("name", "document", "email", "phone", "city", "state", "active")
    column_labels = {**COMMON_LABELS, "document": _l("CPF/CNPJ"), "city": _l("City"),
                     "state": _l("State")}
    column_searchable_list = ("name", "document", "email", "city")
    search_digits_only = True
    column_filters = ("state", "city", "active")
    column_sortable_list = ("name", "city", "state", "active")
    column_default_sort = "name"
    column_formatters = {"document": lambda v, c, m, n: m.document_formatted}
    form_columns = ("document", "name", "email", "phone", "city", "state", "active", "notes")
    form_overrides = {"document": DocumentField}
    form_choices = {"state": _choices(UFS)}
    form_args = {
        "document": {"validators": [ValidDocument()],
                     "description": _l("CPF (11 digits) or CNPJ (14 digits).")},
        "email": {"validators": [Optional(), Email(message=_l("Invalid e-mail address."))]},
    }


class SupplierOptions:
    label, label_plural, category = _l("Supplier"), _l("Suppliers"), REGISTERS
    quick_create = True  # a "+" next to its pickers on other forms (quick_create.py)
    column_list = ("legal_name", "trade_name", "cnpj", "contact_name", "email", "phone", "active")
    column_labels = {**COMMON_LABELS, "legal_name": _l("Legal name"),
                     "trade_name": _l("Trade name"), "cnpj": _l("CNPJ"),
                     "contact_name": _l("Contact")}
    column_searchable_list = ("legal_name", "trade_name", "cnpj")
    search_digits_only = True
    column_filters = ("active",)
    column_sortable_list = ("legal_name", "trade_name", "active")
    column_default_sort = "legal_name"
    column_formatters = {"cnpj": lambda v, c, m, n: m.cnpj_formatted}
    form_columns = ("cnpj", "legal_name", "trade_name", "contact_name", "email", "phone",
                    "active")
    form_overrides = {"cnpj": DocumentField}
    form_args = {
        "cnpj": {"validators": [ValidCnpj()]},
        "email": {"validators": [Optional(), Email(message=_l("Invalid e-mail address."))]},
    }


class CategoryOptions:
    label, label_plural, category = _l("Category"), _l("Categories"), CATALOG
    quick_create = True  # a "+" next to its pickers on other forms (quick_create.py)
    column_list = ("name", "description")
    column_labels = COMMON_LABELS
    column_searchable_list = ("name",)
    column_filters = ("name",)
    column_sortable_list = ("name",)
    column_default_sort = "name"
    form_columns = ("name", "description")


class ProductOptions:
    label, label_plural, category = _l("Product"), _l("Products"), CATALOG
    quick_create = True  # a "+" next to its pickers on other forms (quick_create.py)
    column_list = ("sku", "name", "category", "supplier", "unit", "price", "stock", "min_stock",
                   "active")
    column_labels = {**COMMON_LABELS, "sku": _l("SKU"), "category": _l("Category"),
                     "category.name": _l("Category"), "supplier": _l("Supplier"),
                     "supplier.legal_name": _l("Supplier"), "unit": _l("Unit"),
                     "price": _l("Price"), "cost": _l("Cost"), "stock": _l("Stock"),
                     "min_stock": _l("Minimum stock")}
    column_searchable_list = ("sku", "name")
    column_filters = ("category.name", "supplier.legal_name", "unit", "active", "price", "stock",
                      BelowMinimumFilter(Product))
    column_sortable_list = ("sku", "name", ("category", "category.name"), "price", "stock",
                            "active")
    column_default_sort = "name"
    form_columns = ("sku", "name", "description", "category", "supplier", "unit", "price",
                    "cost", "min_stock", "active")
    form_choices = {"unit": _choices(UNITS)}
    form_args = {"price": {"validators": NOT_NEGATIVE}, "cost": {"validators": NOT_NEGATIVE},
                 "min_stock": {"validators": NOT_NEGATIVE}}
    form_ajax_refs = {"supplier": {"fields": ("legal_name", "trade_name", "cnpj"),
                                   "page_size": 10}}


class OrderOptions:
    label, label_plural, category = _l("Order"), _l("Orders"), SALES
    column_list = ("number", "customer", "status", "ordered_at", "discount", "total")
    column_labels = {**COMMON_LABELS, "number": _l("Number"), "customer": _l("Customer"),
                     "customer.name": _l("Customer"), "status": _l("Status"),
                     "ordered_at": _l("Ordered at"), "discount": _l("Discount"),
                     "total": _l("Total"), "items": _l("Items")}
    column_searchable_list = ("number", "customer.name")
    column_filters = ("status", "ordered_at", "customer.name")
    column_sortable_list = ("number", ("customer", "customer.name"), "status", "ordered_at")
    column_default_sort = ("ordered_at", True)
    column_formatters = {"status": _label(words.ORDER_STATUS_LABELS)}
    # Stored for the dashboard and the lists; the screens show the total (items - discount).
    column_details_exclude_list = ("items_total",)
    form_columns = ("customer", "status", "ordered_at", "discount", "notes", "items")
    form_choices = {"status": _choices(order_rules.STATUSES, words.ORDER_STATUS_LABELS)}
    form_args = {"discount": {"validators": NOT_NEGATIVE}}
    form_ajax_refs = {"customer": {"fields": ("name", "document"), "page_size": 10}}
    live_total = LiveTotal(items="items", quantity="quantity", price="unit_price",
                           discount="discount")
    inline_models = [(OrderItem, {
        "form_columns": ("id", "product", "quantity", "unit_price"),
        "column_labels": {"product": _l("Product"), "quantity": _l("Quantity"),
                          "unit_price": _l("Unit price")},
        "form_args": {"quantity": {"validators": POSITIVE},
                      "unit_price": {"validators": NOT_NEGATIVE}},
        # an instance, not options: Flask-Admin builds inline pickers with its own loader
        "form_ajax_refs": {"product": IndexedAjaxLoader("product", db.session, Product,
                                                        fields=("sku", "name"), page_size=10)},
    })]


class OrderItemOptions:
    """Items are edited inline on their order; this screen only lists them."""
    label, label_plural, category = _l("Order item"), _l("Order items"), SALES
    writes = frozenset()
    column_list = ("order", "product", "quantity", "unit_price", "subtotal")
    column_labels = {"order": _l("Order"), "order.number": _l("Order"),
                     "product": _l("Product"), "quantity": _l("Quantity"),
                     "unit_price": _l("Unit price"), "subtotal": _l("Subtotal")}
    column_searchable_list = ("order.number",)
    column_sortable_list = ("quantity", "unit_price")


class StockMovementOptions:
    """Immutable once saved: create only."""
    label, label_plural, category = _l("Stock movement"), _l("Stock movements"), STOCK
    writes = frozenset({"create"})
    column_list = ("created_at", "product", "kind", "quantity", "balance_after", "reason",
                   "order", "author")
    column_exclude_list = ()
    column_labels = {**COMMON_LABELS, "product": _l("Product"), "product.name": _l("Product"),
                     "kind": _l("Kind"), "quantity": _l("Quantity"),
                     "balance_after": _l("Stock after"), "reason": _l("Reason"),
                     "order": _l("Order"), "author": _l("Author")}
    column_searchable_list = ("product.sku", "product.name", "reason")
    column_filters = ("kind", "created_at", "product.name")
    column_sortable_list = ("created_at", "kind", "quantity")
    column_default_sort = ("created_at", True)
    column_formatters = {"kind": _label(words.MOVEMENT_KIND_LABELS)}
    form_columns = ("product", "kind", "quantity", "reason")
    form_choices = {"kind": _choices(stock_rules.KINDS, words.MOVEMENT_KIND_LABELS)}
    form_args = {"quantity": {"validators": NOT_NEGATIVE,
                              "description": _l("For an adjustment, the counted quantity.")}}
    form_ajax_refs = {"product": {"fields": ("sku", "name"), "page_size": 10}}


class FinancialEntryOptions:
    label, label_plural, category = _l("Financial entry"), _l("Financial entries"), FINANCE
    column_list = ("kind", "description", "amount", "due_date", "paid_at", "status",
                   "customer", "supplier")
    column_labels = {**COMMON_LABELS, "kind": _l("Kind"), "amount": _l("Amount"),
                     "due_date": _l("Due date"), "paid_at": _l("Paid at"),
                     "status": _l("Status"), "customer": _l("Customer"),
                     "supplier": _l("Supplier"), "order": _l("Order")}
    column_searchable_list = ("description",)
    column_filters = ("kind", "due_date", "paid_at", "amount",
                      FilterEqual(FinancialEntry.status, _l("Status"),
                                  options=_choices(finance_rules.STATUSES,
                                                   words.ENTRY_STATUS_LABELS)))
    column_sortable_list = ("kind", "description", "amount", "due_date", "paid_at")
    column_default_sort = "due_date"
    column_formatters = {"kind": _label(words.ENTRY_KIND_LABELS),
                         "status": lambda v, c, m, n: m.status_label}
    form_columns = ("kind", "description", "amount", "due_date", "paid_at", "customer",
                    "supplier", "order")
    form_choices = {"kind": _choices(finance_rules.KINDS, words.ENTRY_KIND_LABELS)}
    form_args = {"amount": {"validators": POSITIVE}}
    form_ajax_refs = {
        "customer": {"fields": ("name", "document"), "page_size": 10},
        "supplier": {"fields": ("legal_name", "cnpj"), "page_size": 10},
        "order": {"fields": ("number",), "page_size": 10},
    }
    action_permissions = {"delete": "delete", "mark_paid": "edit"}

    @action("mark_paid", _l("Mark as paid"), _l("Mark the selected entries as paid today?"))
    def action_mark_paid(self, ids):
        entries = db.session.scalars(
            select(FinancialEntry).where(FinancialEntry.id.in_([int(i) for i in ids if is_id(i)]),
                                         FinancialEntry.paid_at.is_(None))
        ).all()
        for entry in entries:
            entry.paid_at = date.today()
        db.session.commit()
        flash(ngettext("%(num)s entry marked as paid.", "%(num)s entries marked as paid.",
                       len(entries)), "success")


BUSINESS_OPTIONS = {
    Customer: CustomerOptions,
    Supplier: SupplierOptions,
    Category: CategoryOptions,
    Product: ProductOptions,
    Order: OrderOptions,
    OrderItem: OrderItemOptions,
    StockMovement: StockMovementOptions,
    FinancialEntry: FinancialEntryOptions,
}
