"""WTForms validators that reuse the business rules, so errors show next to the field."""

from wtforms.validators import ValidationError

from admin_app.rules import BusinessRuleError
from admin_app.rules.documents import clean_cnpj, clean_document


class _RuleValidator:
    rule = None

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            type(self).rule(field.data)
        except BusinessRuleError as exc:
            raise ValidationError(str(exc)) from None


class ValidDocument(_RuleValidator):
    """CPF or CNPJ with correct check digits."""
    rule = staticmethod(clean_document)


class ValidCnpj(_RuleValidator):
    rule = staticmethod(clean_cnpj)
