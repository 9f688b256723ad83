"""Business rules that hold whatever screen or command writes: pure functions, no Flask."""


class BusinessRuleError(ValueError):
    """A write that breaks a business rule; its message is shown to the user as is."""
