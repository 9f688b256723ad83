"""The panel's home page: the state of the business at a glance.

Every figure is aggregated in the database (COUNT/SUM with GROUP BY); no rows are loaded
into Python. Each card links to the generated list filtered to the rows it counts.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pygal
from flask_admin import AdminIndexView, expose
from flask_babel import format_currency, format_date
from flask_security import current_user
from pygal.style import Style
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.i18n import gettext, lazy_gettext as _l
from admin_app.models import FinancialEntry, Order, OrderItem, Product
from admin_app.rules import finance as finance_rules
from admin_app.rules import orders as order_rules

from admin_app.ops.migrations import BADGES as MIGRATION_BADGES

from . import access
from .filters import filtered_list_url

OPEN_STATUSES = (order_rules.DRAFT, order_rules.CONFIRMED, order_rules.INVOICED,
                 order_rules.SHIPPED)
SOLD_STATUSES = tuple(order_rules.STOCK_OUT)
CHART_STYLE = Style(background="transparent", plot_background="transparent",
                    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                    colors=("#007bff", "#dc3545", "#28a745", "#6c757d"))


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _order_value():
    """Sum of items minus discount, per order, as a subquery (no rows in Python)."""
    items = (select(OrderItem.order_id,
                    func.sum(OrderItem.quantity * OrderItem.unit_price).label("gross"))
             .group_by(OrderItem.order_id).subquery())
    return items


def _sales_between(start: date, end: date) -> Decimal:
    """Items summed per order in a correlated subquery, so only the period's orders are
    touched (the grouped subquery of `_order_value` would sum every item of every order)."""
    gross = (select(func.sum(OrderItem.quantity * OrderItem.unit_price))
             .where(OrderItem.order_id == Order.id).correlate(Order).scalar_subquery())
    value = db.session.scalar(
        select(func.coalesce(func.sum(gross - Order.discount), 0))
        .where(Order.status.in_(SOLD_STATUSES), Order.ordered_at >= start,
               Order.ordered_at < end))
    return Decimal(value or 0)


def _entries_total(kind: str, *conditions) -> tuple[int, Decimal]:
    count, total = db.session.execute(
        select(func.count(FinancialEntry.id), func.coalesce(func.sum(FinancialEntry.amount), 0))
        .where(FinancialEntry.kind == kind, FinancialEntry.paid_at.is_(None), *conditions)
    ).one()
    return count, Decimal(total or 0)


def business_cards(today: date) -> list[dict]:
    week_end = today + timedelta(days=7)
    month_start = _month_start(today)
    next_month = _add_months(month_start, 1)
    open_orders = db.session.scalar(
        select(func.count(Order.id)).where(Order.status.in_(OPEN_STATUSES)))
    below_minimum = db.session.scalar(
        select(func.count(Product.id)).where(Product.stock < Product.min_stock))
    cards = [
        {"id": "open-orders", "title": _l("Open orders"), "value": open_orders,
         "url": filtered_list_url("order", [("status", "FilterInList", ",".join(OPEN_STATUSES))])},
        {"id": "sales-month", "title": _l("Sales this month"),
         "value": format_currency(_sales_between(month_start, next_month), "BRL"),
         "url": filtered_list_url("order", [
             ("ordered_at", "DateTimeBetweenFilter",
              f"{month_start:%Y-%m-%d} 00:00:00 to {today:%Y-%m-%d} 23:59:59"),
             ("status", "FilterInList", ",".join(SOLD_STATUSES))])},
    ]
    for kind, label_due, label_overdue in (
        (finance_rules.RECEIVABLE, _l("Receivables due in 7 days"), _l("Overdue receivables")),
        (finance_rules.PAYABLE, _l("Payables due in 7 days"), _l("Overdue payables")),
    ):
        due_count, due_total = _entries_total(kind, FinancialEntry.due_date >= today,
                                              FinancialEntry.due_date <= week_end)
        late_count, late_total = _entries_total(kind, FinancialEntry.due_date < today)
        cards.append({"id": f"{kind}-due", "title": label_due,
                      "value": format_currency(due_total, "BRL"), "detail": due_count,
                      "url": filtered_list_url("financialentry", [
                          ("kind", "FilterEqual", kind),
                          ("due_date", "DateBetweenFilter",
                           f"{today:%Y-%m-%d} to {week_end:%Y-%m-%d}"),
                          ("paid_at", "FilterEmpty", "1")])})
        cards.append({"id": f"{kind}-overdue", "title": label_overdue,
                      "value": format_currency(late_total, "BRL"), "detail": late_count,
                      "alert": late_count > 0,
                      "url": filtered_list_url("financialentry", [
                          ("kind", "FilterEqual", kind),
                          ("due_date", "DateSmallerFilter", f"{today:%Y-%m-%d}"),
                          ("paid_at", "FilterEmpty", "1")])})
    cards.append({"id": "below-minimum", "title": _l("Products below minimum stock"),
                  "value": below_minimum, "alert": below_minimum > 0,
                  "url": filtered_list_url("product", [("stock", "BelowMinimumFilter", "1")])})
    return cards


def monthly_sales(today: date, months: int = 12) -> list[tuple[date, Decimal]]:
    """Sales per month for the last `months` months, one GROUP BY query."""
    first = _add_months(_month_start(today), -(months - 1))
    items = _order_value()
    if db.engine.dialect.name == "sqlite":
        month = func.strftime("%Y-%m", Order.ordered_at)
    else:
        month = func.to_char(Order.ordered_at, "YYYY-MM")
    rows = db.session.execute(
        select(month.label("month"), func.sum(items.c.gross - Order.discount))
        .join(items, items.c.order_id == Order.id)
        .where(Order.status.in_(SOLD_STATUSES), Order.ordered_at >= first)
        .group_by(month)).all()
    totals = {m: Decimal(v or 0) for m, v in rows}
    return [(d, totals.get(f"{d:%Y-%m}", Decimal(0)))
            for d in (_add_months(first, i) for i in range(months))]


def weekly_cash_flow(today: date, weeks: int = 8) -> list[tuple[date, Decimal, Decimal]]:
    """Open receivables and payables due per week (overdue counted in the first week)."""
    start = today - timedelta(days=today.weekday())
    end = start + timedelta(weeks=weeks)
    rows = db.session.execute(
        select(FinancialEntry.kind, FinancialEntry.due_date, func.sum(FinancialEntry.amount))
        .where(FinancialEntry.paid_at.is_(None), FinancialEntry.due_date < end)
        .group_by(FinancialEntry.kind, FinancialEntry.due_date)).all()
    buckets = [[start + timedelta(weeks=i), Decimal(0), Decimal(0)] for i in range(weeks)]
    for kind, due, total in rows:
        index = max(0, (due - start).days // 7)
        column = 1 if kind == finance_rules.RECEIVABLE else 2
        buckets[index][column] += Decimal(total or 0)
    return [tuple(b) for b in buckets]


def _chart(chart_class, title: str, labels: list[str], series: list[tuple[str, list]]) -> str:
    chart = chart_class(style=CHART_STYLE, js=[], disable_xml_declaration=True,
                        explicit_size=False, width=800, height=320, legend_at_bottom=True,
                        x_label_rotation=0, show_y_guides=True, margin=10,
                        value_formatter=lambda v: format_currency(v or 0, "BRL"))
    chart.title = title
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, [float(v) for v in values])
    return chart.render(is_unicode=True)


def sales_chart(today: date) -> str:
    data = monthly_sales(today)
    labels = [format_date(d, "MMM/yy") for d, _ in data]
    return _chart(pygal.Bar, gettext("Sales per month"), labels,
                  [(gettext("Sales"), [v for _, v in data])])


def cash_flow_chart(today: date) -> str:
    data = weekly_cash_flow(today)
    labels = [format_date(d, "dd/MM") for d, _, _ in data]
    return _chart(pygal.Bar, gettext("Receivables vs payables per week"), labels,
                  [(gettext("Receivables"), [r for _, r, _ in data]),
                   (gettext("Payables"), [p for _, _, p in data])])


class DashboardView(AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated and current_user.active

    def _handle_view(self, name, **kwargs):
        if not self.is_accessible():
            return access.login_redirect()
        return None

    @expose("/")
    def index(self):
        today = datetime.now().date()
        return self.render("admin/index.html", cards=business_cards(today),
                           sales_svg=sales_chart(today), cash_svg=cash_flow_chart(today),
                           show_migrations=access.user_has_role(access.ADMINS),
                           badges=MIGRATION_BADGES)
