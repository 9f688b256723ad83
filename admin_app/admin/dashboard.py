"""The panel's home page: a few figures of the business, each linking to its list."""

from datetime import date

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_security import current_user
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import FinancialEntry, Order, Product
from admin_app.rules import orders as order_rules


def business_summary() -> dict:
    """Aggregated in the database: one query per figure, no rows loaded."""
    today = date.today()
    open_statuses = (order_rules.DRAFT, order_rules.CONFIRMED, order_rules.INVOICED,
                     order_rules.SHIPPED)
    return {
        "open_orders": db.session.scalar(
            select(func.count(Order.id)).where(Order.status.in_(open_statuses))),
        "below_minimum": db.session.scalar(
            select(func.count(Product.id)).where(Product.stock < Product.min_stock)),
        "overdue_receivables": db.session.scalar(
            select(func.coalesce(func.sum(FinancialEntry.amount), 0)).where(
                FinancialEntry.kind == "receber", FinancialEntry.paid_at.is_(None),
                FinancialEntry.due_date < today)),
        "overdue_payables": db.session.scalar(
            select(func.coalesce(func.sum(FinancialEntry.amount), 0)).where(
                FinancialEntry.kind == "pagar", FinancialEntry.paid_at.is_(None),
                FinancialEntry.due_date < today)),
    }


class DashboardView(AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated and current_user.active

    def _handle_view(self, name, **kwargs):
        if not self.is_accessible():
            return redirect(url_for("security.login", next=request.full_path.rstrip("?")))
        return None

    @expose("/")
    def index(self):
        return self.render("admin/index.html", summary=business_summary())
