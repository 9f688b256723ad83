"""A list's keyset pager as the page shows it: the edges of the page read (listing.py)
turned into links of this list, the page's label, and the row count in words."""

import decimal
from dataclasses import dataclass

from flask import request, url_for
from flask_babel import format_decimal

from admin_app.i18n import gettext

from .listing import CURSOR_ARGS, Edges, ListCount


@dataclass
class ListPager:
    """Links of a keyset-paged list (None = the link is disabled)."""
    first_url: str | None
    previous_url: str | None
    next_url: str | None
    last_url: str | None
    page_label: str


def _kept_args() -> dict[str, list[str]]:
    """The list's search, filters, sort and page size: its arguments but where it is."""
    return {k: v for k, v in request.args.lists() if k not in CURSOR_ARGS}


def list_url(**changes) -> str:
    """This list's URL with its search, filters and sort, at another page."""
    args = _kept_args()
    args.update({k: v for k, v in changes.items() if v is not None})
    return url_for(".index_view", **args)


def kept_fields() -> list[tuple[str, str]]:
    """The list's search, filters, sort and page size, as the page box's hidden fields."""
    return [(name, value) for name, values in _kept_args().items() for value in values]


def has_pages(rows, num_pages) -> bool:
    """Whether the list has more than one page (a page box is then worth showing)."""
    edges = getattr(rows, "edges", None)
    if edges is not None:
        return edges.has_next or edges.has_previous
    return bool(num_pages and num_pages > 1)


def number_words(value: int) -> str:
    """1.234.567 (Babel rounds in the decimal context: enough digits for any number)."""
    with decimal.localcontext(prec=max(len(str(value)) + 2, 28)):
        return format_decimal(value, format="#,##0")


def count_words(count: ListCount) -> str:
    """1.234, "cerca de 1.234" (an estimate) or "mais de 10.000" (a floor)."""
    if count.kind == "about":
        return gettext("about %(num)s", num=number_words(int(count)))
    if count.kind == "more":
        return gettext("more than %(num)s", num=number_words(int(count)))
    return number_words(int(count))


def list_pager(edges: Edges | None, count: ListCount | None) -> ListPager | None:
    """The pager of a keyset page; None for a numbered list (Flask-Admin's pager)."""
    if edges is None:
        return None
    number = number_words(edges.page + 1)
    if edges.pages is None:
        label = gettext("Page %(page)s", page=number)
    elif getattr(count, "kind", "exact") == "exact":
        label = gettext("Page %(page)s of %(pages)s", page=number, pages=number_words(edges.pages))
    else:
        label = gettext("Page %(page)s of about %(pages)s", page=number,
                        pages=number_words(edges.pages))
    return ListPager(
        first_url=list_url() if edges.has_previous else None,
        previous_url=list_url(before=edges.previous_cursor, page=str(max(edges.page - 1, 0)))
        if edges.previous_cursor else None,
        next_url=list_url(after=edges.next_cursor, page=str(edges.page + 1))
        if edges.next_cursor else None,
        last_url=list_url(last="1") if edges.has_next else None,
        page_label=label,
    )
