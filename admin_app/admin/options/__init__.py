"""Per-model screen options: class attributes only, keyed by model.

Order here is menu order. A model with no entry still gets a screen (registry.py).
"""

from .auth import AUTH_OPTIONS
from .business import BUSINESS_OPTIONS

OPTIONS = {**BUSINESS_OPTIONS, **AUTH_OPTIONS}
