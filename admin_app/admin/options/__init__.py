"""Per-model screen options: class attributes only, keyed by model.

Order here is menu order. A model with no entry still gets a screen (registry.py).
"""

from .auth import AUTH_OPTIONS
from .business import BUSINESS_OPTIONS

OPTIONS = {**BUSINESS_OPTIONS, **AUTH_OPTIONS}


def screen_labels(model) -> tuple[str, str]:
    """The screen's name for one record and for the list (its options' `label` and
    `label_plural`; the class name when it has none)."""
    options = OPTIONS.get(model)
    label = getattr(options, "label", None) or model.__name__
    return label, getattr(options, "label_plural", None) or label
