"""A cell as the form field of its column would have it typed.

The import validates each row with the screen's own form (plan.py), so a cell only needs
to become the text a person would have typed there: `1.234,56`, `1234.56` and
`R$ 1.234,56` become the number in the form's locale; `dd/mm/aaaa` or ISO dates the
field's format; `Sim/Não`, `true/false`, `1/0` a checkbox; an option's label its value.
A cell that cannot be any of these raises `BadCell` with the reason.
"""

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from wtforms import fields as wtf

from admin_app.admin.fields import DocumentField, LocaleDecimalField, LocalDateTimeField
from admin_app.formats import typed_number

from . import words
from .cells import FORMULA_START
from .reading import Formula

YES = frozenset({"sim", "s", "yes", "y", "true", "verdadeiro", "1", "x"})
NO = frozenset({"não", "nao", "n", "no", "false", "falso", "0", ""})
MONEY_NOISE = re.compile(r"[R$\s\u00a0\u202f]")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y")
DATETIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y")


class BadCell(ValueError):
    pass


def plain_text(cell) -> str:
    """The cell's text: stripped, and without the apostrophe an export put before a cell a
    spreadsheet would have run as a formula."""
    if isinstance(cell, Formula):
        raise BadCell(str(words.FORMULA))
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_START:
        return text[1:]
    if text.startswith("="):
        raise BadCell(str(words.FORMULA))
    return text


def number(cell) -> Decimal | None:
    if isinstance(cell, bool):
        raise BadCell(words.NOT_A_NUMBER % {"value": cell})
    if isinstance(cell, (int, float, Decimal)):
        return Decimal(str(cell))
    text = MONEY_NOISE.sub("", plain_text(cell))
    if not text:
        return None
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") \
            else text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(".") > 1:
        text = text.replace(".", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadCell(words.NOT_A_NUMBER % {"value": plain_text(cell)}) from None
    if not value.is_finite():
        raise BadCell(words.NOT_A_NUMBER % {"value": plain_text(cell)})
    return value


def a_date(cell) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = plain_text(cell)
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise BadCell(words.NOT_A_DATE % {"value": text})


def a_datetime(cell) -> datetime | None:
    if isinstance(cell, datetime):
        return cell
    if isinstance(cell, date):
        return datetime.combine(cell, time())
    text = plain_text(cell)
    if not text:
        return None
    for pattern in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise BadCell(words.NOT_A_DATETIME % {"value": text})


def yes_no(cell) -> bool:
    if isinstance(cell, bool):
        return cell
    text = plain_text(cell).casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    raise BadCell(words.NOT_YES_NO % {"value": plain_text(cell)})


def choice(cell, choices) -> str:
    """An option by its value or its label (in the language it was exported in)."""
    text = plain_text(cell)
    if not text:
        return ""
    wanted = text.casefold()
    for value, labels in choices:
        if wanted == str(value).casefold() or wanted in labels:
            return str(value)
    shown = ", ".join(sorted({str(value) for value, _labels in choices}))
    raise BadCell(words.NOT_A_CHOICE % {"value": text, "choices": shown})


def document(cell) -> str:
    """A CPF/CNPJ: a spreadsheet that took it for a number lost its leading zeros."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        digits = str(int(cell))
        return digits.zfill(11) if len(digits) <= 11 else digits.zfill(14)
    return plain_text(cell)


def form_input(field, cell) -> list[str]:
    """The form data of one field for this cell (an empty list: the box left unticked)."""
    if isinstance(field, wtf.BooleanField):
        return ["y"] if yes_no(cell) else []
    if isinstance(field, LocaleDecimalField):
        value = number(cell)
        return [""] if value is None else [typed_number(value)]
    if isinstance(field, LocalDateTimeField):
        value = a_datetime(cell)
        return [""] if value is None else [value.strftime(field.format[0])]
    if isinstance(field, wtf.DateField):
        value = a_date(cell)
        return [""] if value is None else [value.strftime(field.format[0])]
    if isinstance(field, wtf.IntegerField):
        value = number(cell)
        return [""] if value is None else [str(value.normalize())]
    if isinstance(field, DocumentField):
        return [document(cell)]
    return [plain_text(cell)]
