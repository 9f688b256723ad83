"""Dates and times typed the user's way: `08/01/2026` and `08/01/2026 14:30` in Portuguese
(the locale's short date with a four-digit year, a 24-hour time, no seconds), read and shown
in the user's time zone. ISO (`2026-01-08`, `2026-01-08 14:30:00`) is read too, whatever the
locale: it is what other tools, old bookmarks and the filters post.

The picker stays Flask-Admin's (daterangepicker, served from its static files): it takes its
options from the input's data attributes as well (jQuery's `.data()`, JSON parsed), so the
format and the month and day names are printed here and no script of ours binds it.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import get_date_format
from flask_admin.form.widgets import DatePickerWidget, DateTimePickerWidget
from flask_babel import get_locale, to_user_timezone, to_utc
from wtforms import fields

from admin_app.i18n import gettext, lazy_gettext as _l


@dataclass(frozen=True)
class TypedFormat:
    """One way of writing a date: for Python (`%d/%m/%Y`) and for the picker (moment's
    `DD/MM/YYYY`)."""

    python: str
    moment: str

    def hint(self) -> str:
        """What the user is told to type: `dd/mm/aaaa` (the year's letters translated)."""
        return (self.python.replace("%d", "dd").replace("%m", "mm")
                .replace("%Y", gettext("yyyy")).replace("%H", "hh").replace("%M", "mm"))


ISO_DATE = TypedFormat("%Y-%m-%d", "YYYY-MM-DD")
#: CLDR's day, month and year letters as two-digit days and months and four-digit years
#: (strptime's %Y takes four digits only: `8/1/26` is refused, never read as year 26).
_PARTS = {"d": ("%d", "DD"), "M": ("%m", "MM"), "y": ("%Y", "YYYY")}
_TOKEN_RE = re.compile(r"([a-zA-Z])\1*|[^a-zA-Z]+")
ISO_DATETIMES = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=None)
def typed_date(locale_name: str) -> TypedFormat:
    """The locale's short date pattern (Babel) with a four-digit year: `dd/MM/y` gives
    `%d/%m/%Y`, English's `M/d/yy` gives `%m/%d/%Y`; ISO when the pattern has anything but
    a day, a month, a year and separators."""
    pattern = get_date_format("short", Locale.parse(locale_name)).pattern
    if "'" in pattern or "%" in pattern:
        return ISO_DATE
    python = moment = ""
    for match in _TOKEN_RE.finditer(pattern):
        letter = match.group(1)
        if letter is None:
            python, moment = python + match.group(0), moment + match.group(0)
        elif letter in _PARTS and _PARTS[letter][0] not in python:
            python, moment = python + _PARTS[letter][0], moment + _PARTS[letter][1]
        else:
            return ISO_DATE
    return TypedFormat(python, moment) if python.count("%") == 3 else ISO_DATE


def typed_datetime(locale_name: str) -> TypedFormat:
    date = typed_date(locale_name)
    return TypedFormat(date.python + " %H:%M", date.moment + " HH:mm")


@lru_cache(maxsize=None)
def _calendar_names(locale_name: str) -> dict:
    """Day names from Sunday (daterangepicker's order), month names, the first day of the
    week (0 = Sunday), as CLDR has them."""
    locale = Locale.parse(locale_name)
    days = locale.days["format"]["abbreviated"]  # 0 = Monday
    months = locale.months["stand-alone"]["wide"]
    return {"daysOfWeek": [days[6]] + [days[i] for i in range(6)],
            "monthNames": [months[m] for m in range(1, 13)],
            "firstDay": (locale.first_week_day + 1) % 7}


def picker_locale() -> dict:
    """daterangepicker's `locale` option in the user's language."""
    return {**_calendar_names(str(get_locale())),
            "applyLabel": gettext("Apply"), "cancelLabel": gettext("Cancel")}


def _picker_attributes(kwargs: dict, typed: TypedFormat) -> None:
    kwargs.setdefault("data-date-format", typed.moment)
    kwargs.setdefault("data-locale", json.dumps(picker_locale(), ensure_ascii=False))
    kwargs.setdefault("placeholder", typed.hint())
    kwargs.setdefault("autocomplete", "off")


class LocaleDatePicker(DatePickerWidget):
    def __call__(self, field, **kwargs):
        _picker_attributes(kwargs, field.typed_format())
        return super().__call__(field, **kwargs)


class LocaleDateTimePicker(DateTimePickerWidget):
    def __call__(self, field, **kwargs):
        _picker_attributes(kwargs, field.typed_format())
        return super().__call__(field, **kwargs)


class _TypedDate:
    """Shared by the date and the date-time field: shown in the user's format, read from it
    or from ISO, refused with the format to use (never a 500)."""

    invalid = _l("Invalid date: use %(format)s.")

    def typed_format(self) -> TypedFormat:
        raise NotImplementedError

    def accepted(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        return self.shown(self.data).strftime(self.typed_format().python)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(" ".join(valuelist).split())
        self.data = None
        if not text:
            return  # the field's own validators say whether it may be empty
        for fmt in self.accepted():
            try:
                self.data = self.read(datetime.strptime(text, fmt))
                return
            except ValueError:
                continue
        raise ValueError(str(self.invalid) % {"format": self.typed_format().hint()})


class LocaleDateField(_TypedDate, fields.DateField):
    """A calendar date (due date, paid at): no time zone."""

    widget = LocaleDatePicker()

    def typed_format(self):
        return typed_date(str(get_locale()))

    def accepted(self):
        return (self.typed_format().python, ISO_DATE.python)

    def shown(self, value):
        return value

    def read(self, value: datetime):
        return value.date()


class LocalDateTimeField(_TypedDate, fields.DateTimeField):
    """Shown and typed in the user's time zone (America/Sao_Paulo by default), stored in UTC
    like every other timestamp, so the form agrees with lists and details. Typed to the
    minute: a value whose minute did not change keeps its seconds, so saving a form
    untouched changes nothing (and writes no audit entry)."""

    widget = LocaleDateTimePicker()
    invalid = _l("Invalid date and time: use %(format)s.")

    def typed_format(self):
        return typed_datetime(str(get_locale()))

    def accepted(self):
        typed = self.typed_format().python
        return (typed, typed + ":%S") + ISO_DATETIMES

    def shown(self, value):
        return to_user_timezone(value)

    def read(self, value: datetime):
        value = to_utc(value)
        kept = self.object_data
        if isinstance(kept, datetime) and kept.replace(second=0, microsecond=0) == value:
            return kept
        return value
