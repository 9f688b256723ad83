"""Business rules that hold whatever screen or command writes: pure functions, no Flask."""


class BusinessRuleError(ValueError):
    """A write that breaks a business rule, as a code and its parameters. Rules know no
    words: the app gives the function that words a code (``admin_app.words.rule_message``,
    through :meth:`word_with`), and ``str()`` of the error is then the user's sentence."""

    _wording = None

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params

    def __str__(self) -> str:
        wording = BusinessRuleError._wording
        return wording(self.code, self.params) if wording else self.code

    @staticmethod
    def word_with(wording) -> None:
        BusinessRuleError._wording = wording
