"""What a form's live total reads (static/forms.js): which inline list holds the items, which
of their fields are the quantity and the unit price, which field of the record is the
discount. The live figures are a display only: no field carries them back, and the saved
total is computed by the server (models/lifecycle.py) from the items it saves."""

from dataclasses import asdict, dataclass

from markupsafe import Markup
from wtforms.widgets import html_params

from admin_app.formats import CURRENCY


@dataclass(frozen=True)
class LiveTotal:
    items: str
    quantity: str
    price: str
    discount: str | None = None
    currency: str = CURRENCY

    def attributes(self) -> Markup:
        """The data attributes forms.js reads (`data-items="items"`, …)."""
        return Markup(html_params(**{f"data-{key}": value
                                     for key, value in asdict(self).items() if value}))
