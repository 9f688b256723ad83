"""List filters that the column filters cannot express, and links to pre-filtered lists."""

from flask import url_for
from flask_admin.contrib.sqla.filters import BaseSQLAFilter

from admin_app.i18n import lazy_gettext as _l

from .screens import screens

YES_NO = (("1", _l("Yes")), ("0", _l("No")))


class BelowMinimumFilter(BaseSQLAFilter):
    """Products whose stock is under their minimum (compares two columns)."""

    def __init__(self, model):
        super().__init__(model.stock, _l("Below minimum stock"), options=YES_NO)
        self.model = model

    def apply(self, query, value, alias=None):
        condition = self.model.stock < self.model.min_stock
        return query.filter(condition if value == "1" else ~condition)

    def operation(self):
        return _l("equals")


def filtered_list_url(endpoint: str, filters: list[tuple[str, str, str]]) -> str:
    """URL of a generated list with filters applied: [(column key, operation class name, value)].

    Filter URL names derive from translated labels, so they are looked up at request time.
    """
    view = screens().by_endpoint[endpoint]
    args = {}
    for position, (key, operation, value) in enumerate(filters):
        for index, flt in enumerate(view._filters or []):
            column = getattr(flt, "column", None)
            column_key = getattr(column, "key", None) or getattr(column, "name", None)
            if column_key == key and type(flt).__name__ == operation:
                args[f"flt{position}_{view.get_filter_arg(index, flt)}"] = value
                break
    return url_for(f"{endpoint}.index_view", **args)
