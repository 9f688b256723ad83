"""Form fields that speak the user's locale: `1.234,56` in Portuguese, `1,234.56` in English
(dates: date_fields.py)."""

from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_decimal, get_currency_symbol, parse_decimal
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_babel import get_locale
from wtforms import fields
from wtforms.widgets import TextInput

from admin_app.formats import CURRENCY, read_typed_number
from admin_app.i18n import lazy_gettext as _l
from admin_app.rules.documents import format_document

from .date_fields import LocalDateTimeField, LocaleDateField

MONEY_SCALE = 2  # Numeric(12, 2): money, as the lists' formatters take it


class LocaleDecimalField(fields.DecimalField):
    """Accepts both the locale's separators and a plain `1234.56`; shows the locale's.

    A text input (with a decimal keypad on phones): browsers drop `29,90` from an
    `<input type="number">`, which would empty the field on every edit.
    """

    widget = TextInput()

    def __init__(self, *args, scale: int | None = None, precision: int | None = None,
                 **kwargs):
        self.scale = scale
        self.precision = precision
        kwargs.setdefault("places", None)
        render_kw = kwargs.setdefault("render_kw", {})
        render_kw.setdefault("inputmode", "decimal")
        super().__init__(*args, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        pattern = "0." + "0" * self.scale if self.scale else "0.###"
        return format_decimal(self.data, format=pattern, locale=get_locale(),
                              group_separator=False)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        try:
            self.data = read_typed_number(text)
            if self.data is None:
                self.data = parse_decimal(text, locale=get_locale(), strict=True)
        except (NumberFormatError, InvalidOperation):
            try:
                self.data = Decimal(text)
            except InvalidOperation:
                self.data = None
                raise ValueError(str(_l("Not a valid number."))) from None
        if not self.data.is_finite():
            self.data = None
            raise ValueError(str(_l("Not a valid number.")))
        self._fit_column()

    def _fit_column(self):
        """Round to the column's scale and refuse what its precision cannot hold, so the
        database never sees an overflowing number."""
        if self.precision is not None:
            limit = Decimal(10) ** (self.precision - (self.scale or 0))
            if abs(self.data) >= limit:
                self.data = None
                raise ValueError(str(_l("The number is too large.")))
        if self.scale is not None:
            try:
                self.data = self.data.quantize(Decimal(1).scaleb(-self.scale))
            except InvalidOperation:
                self.data = None
                raise ValueError(str(_l("The number is too large."))) from None


class MoneyInput(TextInput):
    """The currency's symbol before the box (Bootstrap's input group). The group carries the
    field's `is-invalid`, so Bootstrap still shows the error printed after it."""

    def __call__(self, field, **kwargs):
        group = "input-group is-invalid" if field.errors else "input-group"
        return Markup('<div class="{}"><div class="input-group-prepend">'
                      '<span class="input-group-text">{}</span></div>{}</div>').format(
            group, get_currency_symbol(CURRENCY, locale=get_locale()),
            super().__call__(field, **kwargs))


class MoneyField(LocaleDecimalField):
    """Money (scale 2) shown as the list writes it but without the symbol, which the box
    carries: `1.234,56`. Typed with or without grouping, with or without the symbol."""

    widget = MoneyInput()

    def _value(self):
        if self.raw_data or self.data is None:
            return super()._value()
        return format_decimal(self.data, format="#,##0.00", locale=get_locale())

    def process_formdata(self, valuelist):
        symbol = get_currency_symbol(CURRENCY, locale=get_locale())
        super().process_formdata([value.replace(symbol, "").strip() for value in valuelist])


class GestaoModelConverter(AdminModelConverter):
    @converts("DateTime")
    def convert_datetime(self, field_args, **extra):
        return LocalDateTimeField(**field_args)

    @converts("Date")
    def convert_date(self, field_args, **extra):
        return LocaleDateField(**field_args)

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        scale = getattr(column.type, "scale", None)
        field_class = MoneyField if scale == MONEY_SCALE else LocaleDecimalField
        return field_class(scale=scale, precision=getattr(column.type, "precision", None),
                           **field_args)


class DocumentField(fields.StringField):
    """CPF/CNPJ typed with or without punctuation, kept digits-only, shown formatted."""

    _PUNCTUATION = set(".-/ ")

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        if text and all(ch.isdigit() or ch in self._PUNCTUATION for ch in text):
            text = "".join(ch for ch in text if ch.isdigit())
        self.data = text

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_document(self.data)


MAX_ID = 2**31 - 1  # the largest value of an INTEGER primary key


def is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) <= MAX_ID


def clean_formdata(formdata, ajax_names) -> MultiDict:
    """What a form may safely read from a request.

    NUL characters are dropped from every value (PostgreSQL refuses them, even in the
    uniqueness check Flask-Admin runs before saving), and a picker (AJAX reference) value
    that is not a possible id becomes empty instead of reaching the database as a bad key.
    """
    pickers = {name.rsplit("-", 1)[-1] for name in ajax_names}
    cleaned = MultiDict()
    for key, value in formdata.items(multi=True):
        if isinstance(value, str):
            value = value.replace("\x00", "")
            if key.rsplit("-", 1)[-1] in pickers and value and not is_id(value):
                value = ""
        cleaned.add(key, value)
    return cleaned
