"""Money, quantities and dates in the user's locale, written exactly as Babel writes them,
at the speed a list or an export needs.

flask_babel's format_currency costs ~30 µs a value and format_datetime ~23 µs: a millisecond
of every list page, and most of the time of a 25,000-row CSV export. Here Babel is asked
once per locale how it writes a probe value (money, quantity) or which pattern it uses
(dates), and each value is then written with Python's own formatting. A locale whose
patterns use anything else (other grouping, other fields) is written by Babel itself.
tests/test_formats.py checks the two agree on random values in every supported locale.
"""

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_currency, format_decimal, get_decimal_symbol
from flask_babel import get_locale, get_timezone

CURRENCY = "BRL"
QUANTITY = "#,##0.###"
_PROBE = Decimal("1234567.89")
_PROBE_RE = re.compile(r"^(.*?)1(\D?)234(\D?)567(\D)89(.*)$", re.S)


@lru_cache(maxsize=None)
def _number_writer(locale_name: str, currency: str | None):
    """A function writing a Decimal like Babel's currency format (or the quantity format),
    or None if this locale's pattern is not the plain grouped-by-three kind."""
    locale = Locale.parse(locale_name)
    if currency:
        pattern = locale.currency_formats["standard"]
        places = (2, 2)

        def babel(value):
            return format_currency(value, currency, locale=locale)
    else:
        pattern, places = None, (0, 3)

        def babel(value):
            return format_decimal(value, format=QUANTITY, locale=locale)
    if pattern is not None and (pattern.grouping != (3, 3) or pattern.frac_prec != places):
        return None
    shapes = [_PROBE_RE.match(babel(probe)) for probe in (_PROBE, -_PROBE)]
    if not all(shapes) or len({s[2] for s in shapes} | {s[3] for s in shapes}) != 1 \
            or shapes[0][4] != shapes[1][4]:
        return None
    table = str.maketrans({",": shapes[0][2], ".": shapes[0][4]})
    (plus, plus_end), (minus, minus_end) = ((s[1], s[5]) for s in shapes)
    most = places[1]

    def write(value: Decimal) -> str:
        digits = format(abs(value), f",.{most}f")
        if places[0] < most:
            digits = digits.rstrip("0").rstrip(".")
        negative = value.is_signed() if isinstance(value, Decimal) else value < 0
        text = digits.translate(table)
        return f"{minus}{text}{minus_end}" if negative else f"{plus}{text}{plus_end}"
    return write


def _fast_number(value, currency):
    if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    write = _number_writer(str(get_locale()), currency)
    return None if write is None else write(Decimal(value))


def money(value) -> str:
    """Like flask_babel.format_currency(value, "BRL")."""
    text = _fast_number(value, CURRENCY)
    return text if text is not None else format_currency(value, CURRENCY,
                                                         locale=get_locale())


def quantity(value) -> str:
    """Like flask_babel.format_decimal(value, format="#,##0.###")."""
    text = _fast_number(value, None)
    return text if text is not None else format_decimal(value, format=QUANTITY,
                                                        locale=get_locale())


# -- a number as a person types it in a form: the locale's decimal mark, no grouping -------------
@lru_cache(maxsize=None)
def _typed_number_re(locale_name: str):
    mark = get_decimal_symbol(Locale.parse(locale_name))
    return mark, re.compile(r"-?\d+(?:" + re.escape(mark) + r"\d+)?")


def typed_number(value: Decimal) -> str:
    """`1234,5` in Portuguese, `1234.5` in English: what a form's number box reads back
    whatever its precision (Babel's `format_decimal` with a pattern costs ~35 µs)."""
    mark, _pattern = _typed_number_re(str(get_locale()))
    return format(value, "f").replace(".", mark)


def read_typed_number(text: str) -> Decimal | None:
    """The number `typed_number` writes (digits, the locale's mark, a leading minus), or
    None for anything else, which Babel's parser must judge (grouping, other marks)."""
    mark, pattern = _typed_number_re(str(get_locale()))
    if pattern.fullmatch(text) is None:
        return None
    return Decimal(text.replace(mark, "."))


#: CLDR date fields this module writes itself (the short patterns of pt_BR and en).
_FIELDS = {
    "dd": lambda v, _l: f"{v.day:02d}", "d": lambda v, _l: str(v.day),
    "MM": lambda v, _l: f"{v.month:02d}", "M": lambda v, _l: str(v.month),
    "y": lambda v, _l: str(v.year), "yyyy": lambda v, _l: f"{v.year:04d}",
    "yy": lambda v, _l: f"{v.year % 100:02d}",
    "HH": lambda v, _l: f"{v.hour:02d}", "H": lambda v, _l: str(v.hour),
    "hh": lambda v, _l: f"{(v.hour % 12) or 12:02d}", "h": lambda v, _l: str((v.hour % 12) or 12),
    "mm": lambda v, _l: f"{v.minute:02d}", "ss": lambda v, _l: f"{v.second:02d}",
    "a": lambda v, locale: _day_period(v, locale),
}


def _day_period(value, locale) -> str:
    periods = locale.day_periods["format"]["abbreviated"]
    return periods["pm" if value.hour >= 12 else "am"]


_TOKEN_RE = re.compile(r"'([^']*)'|([a-zA-Z])\2*|([^a-zA-Z']+)")


def _compile(pattern: str) -> list | None:
    """The pattern as field writers and literals, or None if it has a field not above."""
    parts = []
    for match in _TOKEN_RE.finditer(pattern):
        quoted, literal = match.group(1), match.group(3)
        if literal is not None:
            parts.append(literal)
        elif quoted is not None:
            parts.append(quoted or "'")
        elif match.group(0) in _FIELDS:
            parts.append(_FIELDS[match.group(0)])
        else:
            return None
    return parts


@lru_cache(maxsize=None)
def _date_writer(locale_name: str, with_time: bool):
    """A function writing a date (or datetime) in the locale's short format, or None."""
    locale = Locale.parse(locale_name)
    date_parts = _compile(get_date_format("short", locale).pattern)
    parts = date_parts
    if with_time:  # Babel glues the two with apostrophes removed, as here
        time_parts = _compile(get_time_format("short", locale).pattern)
        if time_parts is None or date_parts is None:
            return None
        glue = get_datetime_format("short", locale).replace("'", "")
        parts = []
        for piece in re.split(r"(\{[01]\})", glue):
            parts += {"{1}": date_parts, "{0}": time_parts}.get(piece, [piece])
    if parts is None:
        return None

    def write(value) -> str:
        return "".join(part if isinstance(part, str) else part(value, locale)
                       for part in parts)
    return write


def short_date(value: date) -> str:
    """Like flask_babel.format_date(value, "short")."""
    write = _date_writer(str(get_locale()), False)
    if write is None or isinstance(value, datetime):
        from flask_babel import format_date
        return format_date(value, "short")
    return write(value)


def short_datetime(value: datetime) -> str:
    """Like flask_babel.format_datetime(value, "short"): in the user's time zone (a naive
    value is UTC, as flask_babel takes it)."""
    write = _date_writer(str(get_locale()), True)
    if write is None:
        from flask_babel import format_datetime
        return format_datetime(value, "short")
    zone = get_timezone()
    if zone is not None:  # what flask_babel.to_user_timezone does, without pytz's normalize
        value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(zone)
    return write(value)


# -- writers bound once to the current locale (exports write a million values) ----------------
def money_writer():
    """`money` for every value of one export: the locale looked up once, not per value."""
    write = _number_writer(str(get_locale()), CURRENCY)
    return _fast_or(write, money)


def quantity_writer():
    write = _number_writer(str(get_locale()), None)
    return _fast_or(write, quantity)


def _fast_or(write, slow):
    if write is None:
        return slow

    def fast(value):
        if isinstance(value, Decimal):
            return write(value) if value.is_finite() else slow(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return write(Decimal(value))
        return slow(value)
    return fast


def date_writer():
    write = _date_writer(str(get_locale()), False)
    if write is None:
        return short_date
    return lambda value: short_date(value) if isinstance(value, datetime) else write(value)


def datetime_writer():
    write, zone = _date_writer(str(get_locale()), True), get_timezone()
    if write is None:
        return short_datetime

    def fast(value):
        if zone is not None:
            value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(zone)
        return write(value)
    return fast
