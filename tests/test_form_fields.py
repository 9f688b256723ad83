"""Forms typed the Brazilian way (admin/date_fields.py, admin/fields.py): dates `dd/mm/aaaa`
and `dd/mm/aaaa hh:mm` in the user's time zone, money `R$ 1.234,56`; English keeps its own
order (`mm/dd/yyyy`); ISO is read in both. Bad input is told on the field, in the user's
language, and nothing is saved. The order's total is the server's, whatever is posted."""

import json
import re
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import flask_babel
import pytest
from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import Form

from admin_app.admin.date_fields import LocalDateTimeField, LocaleDateField
from admin_app.admin.fields import MoneyField
from admin_app.extensions import db
from admin_app.models import AuditEntry, FinancialEntry, Order
from tests.factories import CustomerFactory, FinancialEntryFactory, OrderFactory, ProductFactory
from tests.helpers.data import count, fresh, snapshot
from tests.helpers.forms import filter_arg, landed, read_form, submit
from tests.helpers.pages import alerts, cells, field_errors
from tests.helpers.words import said


class DemoForm(Form):
    due = LocaleDateField()
    at = LocalDateTimeField()
    price = MoneyField(scale=2, precision=12)


def typed(lang: str, **values) -> DemoForm:
    """The form as posted by a user of `lang` (call inside `in_lang`)."""
    form = DemoForm(MultiDict(values))
    form.validate()
    return form


@pytest.fixture()
def in_lang(app):
    @contextmanager
    def enter(lang: str):
        with current_app.test_request_context(f"/?lang={lang}"):
            flask_babel.refresh()  # the locale is cached on the app context the test holds
            assert str(flask_babel.get_locale()) == lang
            yield
        flask_babel.refresh()
    return enter


def pt_invalid_date() -> str:
    return said("Invalid date: use %(format)s.", format="dd/mm/" + said("yyyy"))


# -- the fields, in each locale ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["08/01/2026", "8/1/2026", "2026-01-08", " 08/01/2026 "])
def test_portuguese_date_is_read_day_first_or_iso(in_lang, text):
    with in_lang("pt_BR"):
        form = typed("pt_BR", due=text)
        assert (form.due.data, form.due.errors) == (date(2026, 1, 8), [])


def test_english_date_is_read_month_first_or_iso(in_lang):
    with in_lang("en"):
        assert typed("en", due="01/08/2026").due.data == date(2026, 1, 8)
        assert typed("en", due="2026-01-08").due.data == date(2026, 1, 8)
        form = DemoForm(data={"due": date(2026, 1, 8)})
        assert form.due._value() == "01/08/2026"
        assert typed("en", due="08/31/26").due.errors == ["Invalid date: use mm/dd/yyyy."]


def test_dates_are_shown_day_first_in_portuguese(in_lang):
    with in_lang("pt_BR"):
        form = DemoForm(data={"due": date(2026, 1, 8), "at": datetime(2026, 1, 8, 17, 30, 45),
                              "price": Decimal("1234.5")})
        assert form.due._value() == "08/01/2026"
        assert form.at._value() == "08/01/2026 14:30"        # UTC 17:30 is 14:30 in São Paulo
        assert form.price._value() == "1.234,50"


@pytest.mark.parametrize("text", ["31/02/2026", "08/01/26", "amanhã", "2026-13-01", "08-01-2026",
                                  "08/01/2026 14:30"])
def test_bad_portuguese_date_is_told_with_the_format(in_lang, text):
    with in_lang("pt_BR"):
        form = typed("pt_BR", due=text)
        assert form.due.data is None
        assert form.due.errors == [pt_invalid_date()]
        assert form.due._value() == text                       # what was typed stays


def test_empty_date_is_no_date(in_lang):
    with in_lang("pt_BR"):
        form = typed("pt_BR", due="", at="  ")
        assert (form.due.data, form.at.data, form.due.errors, form.at.errors) == \
            (None, None, [], [])


@pytest.mark.parametrize("text", ["08/01/2026 14:30", "8/1/2026 14:30", "08/01/2026 14:30:00",
                                  "2026-01-08 14:30", "2026-01-08 14:30:00",
                                  "2026-01-08T14:30"])
def test_portuguese_date_time_is_read_in_sao_paulo_and_kept_in_utc(in_lang, text):
    with in_lang("pt_BR"):
        form = typed("pt_BR", at=text)
        assert (form.at.data, form.at.errors) == (datetime(2026, 1, 8, 17, 30), [])


def test_bad_date_time_is_told_with_the_format(in_lang):
    with in_lang("pt_BR"):
        form = typed("pt_BR", at="08/01/2026 25:00")
        assert form.at.errors == [said("Invalid date and time: use %(format)s.",
                                       format="dd/mm/" + said("yyyy") + " hh:mm")]
    with in_lang("en"):
        form = typed("en", at="31/01/2026 10:00")
        assert form.at.errors == ["Invalid date and time: use mm/dd/yyyy hh:mm."]


def test_date_time_typed_to_the_minute_keeps_the_seconds_it_had(in_lang):
    """Saving a form untouched must not change the time (nor write an audit entry)."""
    with in_lang("pt_BR"):
        stored = datetime(2026, 1, 8, 17, 30, 45)
        form = DemoForm(MultiDict({"at": "08/01/2026 14:30"}), data={"at": stored})
        assert form.at.data == stored
        form = DemoForm(MultiDict({"at": "08/01/2026 14:31"}), data={"at": stored})
        assert form.at.data == datetime(2026, 1, 8, 17, 31)


@pytest.mark.parametrize("lang, text", [
    ("pt_BR", "1.234,56"), ("pt_BR", "1234,56"), ("pt_BR", "R$ 1.234,56"), ("pt_BR", "R$1234,56"),
    ("pt_BR", "R$\u00a01.234,56"), ("pt_BR", "1234.56"),
    ("en", "1,234.56"), ("en", "1234.56"), ("en", "R$1,234.56"), ("en", "R$ 1234.56"),
])
def test_money_is_read_with_or_without_grouping_and_symbol(in_lang, lang, text):
    with in_lang(lang):
        form = typed(lang, price=text)
        assert (form.price.data, form.price.errors) == (Decimal("1234.56"), [])


def test_money_is_shown_grouped_after_the_currency_symbol(in_lang):
    with in_lang("pt_BR"):
        form = DemoForm(data={"price": Decimal("1234567.8")})
        html = str(form.price())
        assert form.price._value() == "1.234.567,80"
        assert re.search(r'<span class="input-group-text">R\$</span></div><input[^>]*'
                         r'value="1.234.567,80"', html)
    with in_lang("en"):
        assert DemoForm(data={"price": Decimal("1234567.8")}).price._value() == "1,234,567.80"


@pytest.mark.parametrize("text", ["1,2,3", "R$ dez", "12abc", "1.234,5,6"])
def test_bad_money_is_told(in_lang, text):
    with in_lang("pt_BR"):
        form = typed("pt_BR", price=text)
        assert form.price.data is None
        assert form.price.errors == [said("Not a valid number.")]
        assert 'class="input-group is-invalid"' in str(form.price())


def test_date_picker_is_told_the_format_and_the_names(in_lang):
    with in_lang("pt_BR"):
        html = str(DemoForm().due())
        assert 'data-role="datepicker"' in html and 'data-date-format="DD/MM/YYYY"' in html
        assert 'placeholder="dd/mm/%s"' % said("yyyy") in html
        names = json.loads(re.search(r'data-locale="([^"]*)"', html)[1].replace("&#34;", '"'))
        assert names["monthNames"][0] == "janeiro" and names["daysOfWeek"][0] == "dom."
        assert (names["firstDay"], names["applyLabel"], names["cancelLabel"]) == \
            (0, said("Apply"), said("Cancel"))
        assert 'data-date-format="DD/MM/YYYY HH:mm"' in str(DemoForm().at())
    with in_lang("en"):
        assert 'data-date-format="MM/DD/YYYY"' in str(DemoForm().due())


# -- the screens -------------------------------------------------------------------------------

def test_financial_entry_typed_day_first_is_saved_and_shown_back(admin_client):
    page = landed(admin_client, submit(admin_client, "/admin/financialentry/new/", {
        "kind": "pagar", "description": "Aluguel", "amount": "R$ 1.250,00",
        "due_date": "05/03/2026", "paid_at": "2026-03-04"}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    [entry] = fresh(FinancialEntry)
    assert (entry.amount, entry.due_date, entry.paid_at) == \
        (Decimal("1250.00"), date(2026, 3, 5), date(2026, 3, 4))
    assert cells(page, "due_date") == ["05/03/2026"]
    form = read_form(admin_client.get(f"/admin/financialentry/edit/?id={entry.id}"))
    assert (form["due_date"], form["paid_at"], form["amount"]) == \
        ("05/03/2026", "04/03/2026", "1.250,00")


def test_order_typed_day_first_is_stored_in_utc(admin_client):
    customer = CustomerFactory()
    page = landed(admin_client, submit(admin_client, "/admin/order/new/", {
        "customer": str(customer.id), "status": "rascunho", "ordered_at": "10/03/2026 22:30"}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    [order] = fresh(Order)
    assert order.ordered_at == datetime(2026, 3, 11, 1, 30)         # São Paulo is UTC-3
    assert cells(page, "ordered_at") == ["10/03/2026 22:30"]
    form = read_form(admin_client.get(f"/admin/order/edit/?id={order.id}"))
    assert form["ordered_at"] == "10/03/2026 22:30"


@pytest.mark.parametrize("field, value, error", [
    ("due_date", "31/02/2026", lambda: pt_invalid_date()),
    ("amount", "dez reais", lambda: said("Not a valid number.")),
])
def test_bad_value_is_told_on_its_field_and_nothing_is_saved(admin_client, field, value, error):
    entry = FinancialEntryFactory(due_date=date(2026, 3, 5), amount=Decimal("10.00"))
    before = snapshot()
    response = submit(admin_client, f"/admin/financialentry/edit/?id={entry.id}", {field: value})
    assert response.status_code == 200
    assert field_errors(response, field)[0] == error()
    assert snapshot() == before


def test_order_saved_untouched_changes_nothing(admin_client):
    order = OrderFactory(ordered_at=datetime(2026, 3, 1, 10, 0, 45))
    entries_before = count(AuditEntry)
    page = landed(admin_client, submit(admin_client, f"/admin/order/edit/?id={order.id}", {}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    assert fresh(Order)[0].ordered_at == datetime(2026, 3, 1, 10, 0, 45)
    assert db.session.scalars(select(AuditEntry.changes).where(AuditEntry.entity == "Order")
                              .order_by(AuditEntry.id)).all()[entries_before:] in ([], [{}])


def test_a_posted_total_is_ignored_the_server_computes_it(admin_client):
    """The form's live total is a display: a total posted with the form (forged, or left by
    a script) changes nothing; the saved total is the items' sum less the discount."""
    customer, coffee = CustomerFactory(), ProductFactory()
    page = landed(admin_client, submit(admin_client, "/admin/order/new/", {
        "customer": str(customer.id), "status": "rascunho", "ordered_at": "10/03/2026 09:30",
        "discount": "1,00", "items-0-product": str(coffee.id), "items-0-quantity": "3",
        "items-0-unit_price": "19,90",
        "total": "1,00", "items_total": "1,00", "items-0-subtotal": "1,00"}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    [order] = fresh(Order)
    assert (order.items_total, order.total) == (Decimal("59.70"), Decimal("58.70"))
    page = landed(admin_client, submit(admin_client, f"/admin/order/edit/?id={order.id}", {
        "total": "0", "items_total": "99999,99"}))
    assert [k for k, _ in alerts(page)] == ["success"], alerts(page)
    assert fresh(Order)[0].items_total == Decimal("59.70")


def test_list_date_filters_still_read_what_their_pickers_write(admin_client):
    """The lists' date filters keep Flask-Admin's ISO boxes (bs4_filters.js sets their
    format): the forms' dd/mm/aaaa does not reach them."""
    FinancialEntryFactory(description="Março", due_date=date(2026, 3, 5))
    FinancialEntryFactory(description="Abril", due_date=date(2026, 4, 5))
    OrderFactory(ordered_at=datetime(2026, 3, 1, 12, 0), notes="cedo")
    OrderFactory(ordered_at=datetime(2026, 3, 20, 12, 0), notes="tarde")
    arg = filter_arg(current_app, "financialentry", "due_date", "DateEqualFilter")
    page = admin_client.get(f"/admin/financialentry/?{arg}=2026-03-05")
    assert cells(page, "description") == ["Março"]
    arg = filter_arg(current_app, "order", "ordered_at", "DateTimeGreaterFilter")
    page = admin_client.get(f"/admin/order/?{arg}=2026-03-10+00:00:00")
    assert page.status_code == 200
    assert [o.notes for o in fresh(Order)
            if o.number in cells(page, "number")] == ["tarde"]
