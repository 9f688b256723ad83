"""The panel's home page: the state of the business at a glance.

Every figure is aggregated in the database (COUNT/SUM); no rows are loaded into Python.
Each card links to the generated list filtered to the rows it counts.

Sales read the order's stored `items_total` (kept by models/lifecycle.py), never the items,
through the covering index ix_orders_status_ordered_at_items_total_discount; open financial
entries through ix_financial_entries_paid_at_kind_due_date_amount (both added by migration
8e4a6c0f2b17). Each month of the sales chart is its own index range summed in a scalar
subquery of one statement: no per-row date formatting or grouping, and the same SQL on
SQLite and PostgreSQL. bench/dashboard.py measures it all at benchmark sizes.
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pygal
from flask_admin import AdminIndexView, expose
from flask_babel import format_date
from flask_security import current_user
from pygal.style import Style
from sqlalchemy import func, select

from admin_app import formats
from admin_app.extensions import db
from admin_app.i18n import gettext, lazy_gettext as _l
from admin_app.models import FinancialEntry, Order, Product
from admin_app.rules import finance as finance_rules
from admin_app.rules import orders as order_rules

from .migrations import BADGES as MIGRATION_BADGES

from . import access
from .filters import filtered_list_url

OPEN_STATUSES = (order_rules.DRAFT, order_rules.CONFIRMED, order_rules.INVOICED,
                 order_rules.SHIPPED)
# In the order of STATUSES, so the card's link is the same on every run.
SOLD_STATUSES = tuple(s for s in order_rules.STATUSES if s in order_rules.STOCK_OUT)
CHART_STYLE = Style(background="transparent", plot_background="transparent",
                    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                    colors=("#007bff", "#dc3545", "#28a745", "#6c757d"))


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _sales_between(start: date, end: date):
    """Sum of the totals (items - discount) of the orders sold in [start, end), as a scalar
    subquery: one index range, read from the index alone."""
    return (select(func.coalesce(func.sum(Order.total), 0))
            .where(Order.status.in_(SOLD_STATUSES), Order.ordered_at >= start,
                   Order.ordered_at < end)
            .scalar_subquery())


def _entries_total(kind: str, *conditions) -> tuple[int, Decimal]:
    """Count and amount of the unpaid entries of `kind` matching `conditions` (a due-date
    range): one range of the index, read from the index alone. Four of these are faster than
    one query grouping by kind and overdue (measured on both databases)."""
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(FinancialEntry.amount), 0))
        .where(FinancialEntry.paid_at.is_(None), FinancialEntry.kind == kind, *conditions)
    ).one()
    return count, Decimal(total or 0)


def products_below_minimum() -> int:
    """`stock < min_stock` compares two columns of a row, which no ordinary index serves:
    the partial index ix_products_below_minimum holds just those products."""
    return db.session.scalar(
        select(func.count()).select_from(Product).where(Product.stock < Product.min_stock))


def business_cards(today: date) -> list[dict]:
    week_end = today + timedelta(days=7)
    month_start = _month_start(today)
    next_month = _add_months(month_start, 1)
    open_orders = db.session.scalar(
        select(func.count()).select_from(Order).where(Order.status.in_(OPEN_STATUSES)))
    sales_month = db.session.scalar(select(_sales_between(month_start, next_month)))
    below_minimum = products_below_minimum()
    cards = [
        {"id": "open-orders", "title": _l("Open orders"), "value": open_orders,
         "url": filtered_list_url("order", [("status", "FilterInList", ",".join(OPEN_STATUSES))])},
        {"id": "sales-month", "title": _l("Sales this month"),
         "value": formats.money(Decimal(sales_month or 0)),
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
                      "value": formats.money(due_total), "detail": due_count,
                      "url": filtered_list_url("financialentry", [
                          ("kind", "FilterEqual", kind),
                          ("due_date", "DateBetweenFilter",
                           f"{today:%Y-%m-%d} to {week_end:%Y-%m-%d}"),
                          ("paid_at", "FilterEmpty", "1")])})
        cards.append({"id": f"{kind}-overdue", "title": label_overdue,
                      "value": formats.money(late_total), "detail": late_count,
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
    """Sales per month for the last `months` months: one statement, one scalar subquery
    (an index range) per month."""
    first = _add_months(_month_start(today), -(months - 1))
    starts = [_add_months(first, i) for i in range(months + 1)]
    totals = db.session.execute(
        select(*(_sales_between(starts[i], starts[i + 1]) for i in range(months)))).one()
    return [(starts[i], Decimal(totals[i] or 0)) for i in range(months)]


def weekly_cash_flow(today: date, weeks: int = 8) -> list[tuple[date, Decimal, Decimal]]:
    """Open receivables and payables due per week (overdue counted in the first week)."""
    start = today - timedelta(days=today.weekday())
    end = start + timedelta(weeks=weeks)
    rows = db.session.execute(
        select(FinancialEntry.kind, FinancialEntry.due_date, func.sum(FinancialEntry.amount))
        .where(FinancialEntry.paid_at.is_(None), FinancialEntry.kind.in_(finance_rules.KINDS),
               FinancialEntry.due_date < end)
        .group_by(FinancialEntry.kind, FinancialEntry.due_date)).all()
    buckets = [[start + timedelta(weeks=i), Decimal(0), Decimal(0)] for i in range(weeks)]
    for kind, due, total in rows:
        index = max(0, (due - start).days // 7)
        column = 1 if kind == finance_rules.RECEIVABLE else 2
        buckets[index][column] += Decimal(total or 0)
    return [tuple(b) for b in buckets]


INLINE_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _chart(chart_class, title: str, labels: list[str], series: list[tuple[str, list]]) -> str:
    chart = chart_class(style=CHART_STYLE, js=[], disable_xml_declaration=True,
                        explicit_size=False, width=800, height=320, legend_at_bottom=True,
                        x_label_rotation=0, show_y_guides=True, margin=10,
                        value_formatter=lambda v: formats.money(v or 0))
    chart.title = title
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, [float(v) for v in values])
    # pygal prints an inline <script> with its tooltip config even with js=[]: the page's
    # Content-Security-Policy refuses inline scripts, and the chart needs none.
    return INLINE_SCRIPT.sub("", chart.render(is_unicode=True))


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


class DashboardView(access.Gated, AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated and current_user.active

    @expose("/")
    def index(self):
        today = datetime.now().date()
        return self.render("admin/index.html", cards=business_cards(today),
                           sales_svg=sales_chart(today), cash_svg=cash_flow_chart(today),
                           show_migrations=access.user_has_role(access.ADMINS),
                           badges=MIGRATION_BADGES)
