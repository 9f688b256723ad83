"""admin_app/formats.py writes money, quantities and dates exactly as flask_babel does,
in every supported locale, for any value a column can hold."""

from datetime import date, datetime, timezone
from decimal import Decimal

import flask_babel
import pytest
from hypothesis import given, settings, strategies as st

from admin_app import create_app, formats
from admin_app.i18n import SUPPORTED_LOCALES

money_values = st.decimals(min_value=Decimal("-1e13"), max_value=Decimal("1e13"), places=2)
quantity_values = st.one_of(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6),
    st.integers(min_value=-10**12, max_value=10**12))
datetimes = st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2200, 12, 31))


@pytest.fixture(scope="module")
def flask_app():
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def in_each_locale(flask_app, check):
    for locale in SUPPORTED_LOCALES:
        with flask_app.test_request_context(f"/?lang={locale}"):
            assert str(flask_babel.get_locale()) == locale
            check()


@settings(max_examples=300, deadline=None)
@given(value=money_values)
def test_money_as_babel_writes_it(flask_app, value):
    in_each_locale(flask_app, lambda: _same(formats.money(value),
                                            flask_babel.format_currency(value, "BRL")))


@settings(max_examples=300, deadline=None)
@given(value=quantity_values)
def test_quantities_as_babel_writes_them(flask_app, value):
    in_each_locale(flask_app, lambda: _same(
        formats.quantity(value), flask_babel.format_decimal(value, format="#,##0.###")))


@settings(max_examples=300, deadline=None)
@given(value=datetimes, aware=st.booleans())
def test_datetimes_as_babel_writes_them(flask_app, value, aware):
    value = value.replace(tzinfo=timezone.utc) if aware else value
    in_each_locale(flask_app, lambda: _same(formats.short_datetime(value),
                                            flask_babel.format_datetime(value, "short")))


@settings(max_examples=200, deadline=None)
@given(value=st.dates(min_value=date(1, 1, 1)))
def test_dates_as_babel_writes_them(flask_app, value):
    in_each_locale(flask_app, lambda: _same(formats.short_date(value),
                                            flask_babel.format_date(value, "short")))


def test_the_edges(flask_app):
    for value in (Decimal("0"), Decimal("-0.00"), Decimal("-0.004"), Decimal("0.005"),
                  Decimal("0.015"), Decimal("999.995"), Decimal("-1234567.895"), 7, 0):
        in_each_locale(flask_app, lambda: (
            _same(formats.money(value), flask_babel.format_currency(value, "BRL")),
            _same(formats.quantity(value),
                  flask_babel.format_decimal(value, format="#,##0.###"))))
    for value in (datetime(2026, 1, 1, 0, 0), datetime(2026, 6, 30, 12, 0),
                  datetime(2026, 12, 31, 23, 59)):
        in_each_locale(flask_app, lambda: _same(formats.short_datetime(value),
                                                flask_babel.format_datetime(value, "short")))
    with flask_app.test_request_context("/"):
        assert formats.money(Decimal("1234.5")) == "R$\xa01.234,50"
        assert formats.short_datetime(datetime(2026, 11, 25, 15, 30)) == "25/11/2026 12:30"


def _same(ours, babel):
    assert ours == babel


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_supported_locale_is_written_without_babel(locale):
    """The point of the module: no supported locale falls back to Babel's slow path."""
    assert formats._number_writer(locale, formats.CURRENCY) is not None
    assert formats._number_writer(locale, None) is not None
    assert formats._date_writer(locale, False) is not None
    assert formats._date_writer(locale, True) is not None


@settings(max_examples=300, deadline=None)
@given(value=quantity_values)
def test_a_typed_number_reads_back_as_babel_parses_it(flask_app, value):
    """What an import puts in a number box is read back by the box's fast path to the
    number Babel's strict parser finds in the same text."""
    from babel.numbers import parse_decimal

    def check():
        text = formats.typed_number(Decimal(value))
        assert formats.read_typed_number(text) == Decimal(value)
        assert parse_decimal(text, locale=flask_babel.get_locale(), strict=True) == Decimal(value)
    in_each_locale(flask_app, check)


def test_grouped_or_foreign_numbers_are_left_to_babel(flask_app):
    with flask_app.test_request_context("/?lang=pt_BR"):
        assert formats.read_typed_number("1234,5") == Decimal("1234.5")
        assert formats.read_typed_number("-7") == Decimal("-7")
        for text in ("1.234,5", "1234.5", "+1", "1,", ",5", "1e3", "R$ 1,00"):
            assert formats.read_typed_number(text) is None
    with flask_app.test_request_context("/?lang=en"):
        assert formats.read_typed_number("1234.5") == Decimal("1234.5")
        assert formats.read_typed_number("1234,5") is None
