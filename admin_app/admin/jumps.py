"""Jumping in a big list, mixed into GestaoModelView: a page typed in the pager's box
(`?goto=N`, 1-based, as people count) or in the URL (`?page=N`, Flask-Admin's 0-based), and
a letter of the index of a list sorted by a text column (`?letter=M`: the first row whose
sort value is M or after, on the page that holds it).

A page number that is not one (text, a negative number) or lies past the end is said in
words; the list then shows its first or last page, never an error."""

import string

from flask import flash, request
from sqlalchemy import String, func, literal, select

from admin_app.i18n import gettext

from . import listing
from .pager import list_url, number_words
from .paging import encode_cursor

LETTERS = string.ascii_uppercase


def _page_number(name: str, first: int) -> int | None:
    """The 0-based page of a `name` argument counted from `first`; None (and a message)
    for text or a number below `first`; 0 when absent."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return 0
    if raw.isascii() and raw.isdigit() and int(raw) >= first:
        return int(raw) - first
    flash(gettext("“%(value)s” is not a page number: showing the first page.",
                  value=raw[:40]), "error")
    return None


def text_sorted(keys) -> bool:
    """Whether the list is sorted (ascending) by one text column of its table: the letter
    index then finds a letter's first row by a keyset seek."""
    return len(keys) == 2 and not keys[0].descending and keys[0].attribute is not None \
        and isinstance(keys[0].column.type, String)


def letter_request(query, keys, letter: str, page_size: int) -> listing.PageRequest:
    """The page starting at the first row whose sort value is `letter` or after; its
    number is the count of the rows before it (an index-only count)."""
    before = query.with_entities(literal(1)).filter(keys[0].column < letter).order_by(None)
    position = query.session.execute(
        select(func.count()).select_from(before.subquery())).scalar()
    if not position:
        return listing.PageRequest()
    return listing.PageRequest(page=position // page_size,
                               after=encode_cursor([letter, 0]))


class ListJumps:
    """Page numbers read safely, the letter index, and the words for both."""

    def _get_list_extra_args(self):
        """The page number checked; the jump arguments kept out of the links Flask-Admin
        builds from them (a sort or page size starts again from the first page)."""
        args = super()._get_list_extra_args()
        page = _page_number("page", 0) if "goto" not in request.args \
            else _page_number("goto", 1)
        extra = {k: v for k, v in args.extra_args.items() if k not in listing.CURSOR_ARGS}
        return args.clone(page=page or 0, extra_args=extra)

    def page_request(self, query, keys, page: int, page_size: int,
                     keyset: bool) -> listing.PageRequest:
        """What the request asks for: a letter, a cursor, or a page number."""
        letter = request.args.get("letter", "")
        if letter and keyset and text_sorted(keys) and letter in LETTERS:
            return letter_request(query, keys, letter, page_size)
        return listing.PageRequest.from_args(request.args, page)

    def letter_index(self, rows) -> list[tuple[str, str]] | None:
        """The letters and their links, for a list sorted by a text column."""
        if not getattr(rows, "text_sorted", False):
            return None
        base = list_url()  # built once: 26 url_for calls were a millisecond a page
        joiner = "&" if "?" in base else "?"
        return [(letter, f"{base}{joiner}letter={letter}") for letter in LETTERS]

    def say_past_end(self, rows) -> None:
        past_end = getattr(rows, "past_end", None)
        if past_end:
            flash(gettext("There is no page %(page)s: this is the last page.",
                          page=number_words(past_end)), "info")


def marked(rows, keys, keyset: bool):
    """The page, marked for the letter index when its list is sorted by text."""
    if isinstance(rows, listing.Page):
        rows.text_sorted = keyset and text_sorted(keys)
    return rows
