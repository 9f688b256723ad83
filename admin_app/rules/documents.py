"""CPF and CNPJ: validation and formatting through python-stdnum."""

from stdnum.br import cnpj, cpf
from stdnum.exceptions import ValidationError

from . import BusinessRuleError


def digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())


def clean_document(value: str | None) -> str:
    """Return the CPF (11 digits) or CNPJ (14 digits) digits-only, or raise."""
    number = digits(value)
    if len(number) == 11:
        validator, code = cpf, "INVALID_CPF"
    elif len(number) == 14:
        validator, code = cnpj, "INVALID_CNPJ"
    else:
        raise BusinessRuleError("DOCUMENT_LENGTH")
    if len(set(number)) == 1:  # 111.111.111-11 passes the check digits but is not issued
        raise BusinessRuleError(code)
    try:
        return validator.validate(number)
    except ValidationError:
        raise BusinessRuleError(code) from None


def clean_cnpj(value: str | None) -> str:
    number = digits(value)
    if number and len(set(number)) == 1:
        raise BusinessRuleError("INVALID_CNPJ")
    try:
        return cnpj.validate(number)
    except ValidationError:
        raise BusinessRuleError("INVALID_CNPJ") from None


def format_document(value: str | None) -> str:
    """000.000.000-00 for a CPF, 00.000.000/0000-00 for a CNPJ, as stored otherwise."""
    if not value:
        return ""
    if len(value) == 11 and value.isdigit():
        return cpf.format(value)
    if len(value) == 14 and value.isdigit():
        return cnpj.format(value)
    return value
