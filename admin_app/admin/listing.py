"""How a generated list reads one page on a big table: a count that stays cheap and pages
that do not get slower with depth.

Counting: an exact `count(*)` where it is cheap (small tables, filtered lists up to
COUNT_LIMITS matches); above that an estimate from the database's statistics, shown as
"cerca de N" (PostgreSQL's `reltuples` and planner; SQLite's `sqlite_stat1`, which only
covers whole tables), or a floor, "mais de N", for a filtered SQLite list.

Paging: "next", "previous", "first" and "last" are keyset links (`?after=`/`?before=` the
sort key of the edge row, see paging.py), read by an index seek; a numbered `?page=N`
still works through OFFSET. Keyset needs a total order, so the lists always end their
ORDER BY with the id, and it is used only when every sort column is a NOT NULL column of
the list's own table (NULLs do not compare; a joined column is not in the table's index).
"""

import json
from dataclasses import dataclass

from sqlalchemy import desc, func, literal, select, text, true, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased

from . import page_map
from .paging import decode_cursor, encode_cursor

#: Filtered lists are counted exactly up to this many rows. PostgreSQL gives an estimate
#: above it (from the planner) and re-checks every matched row of a trigram search in the
#: table, so it stops early; SQLite has no estimate to offer and counts fast from its
#: indexes, so it counts further before saying "mais de N".
COUNT_LIMITS = {"postgresql": 1_000, "sqlite": 10_000}
#: Unfiltered tables whose statistics say more rows than this get the estimate (an exact
#: count reads the whole of a table's smallest index: 3.5 ms a million rows on SQLite).
ESTIMATE_ABOVE = 100_000
#: larger page numbers are read as this one: past any list's end, an OFFSET still in 64 bits
MAX_PAGE = 10**15
CURSOR_ARGS = ("page", "after", "before", "last", "letter", "goto")


class ListCount(int):
    """A row count that knows how sure it is: exact, "about" (estimate) or "more" (floor)."""

    def __new__(cls, value: int, kind: str = "exact"):
        count = super().__new__(cls, max(int(value or 0), 0))
        count.kind = kind
        return count


def _postgres_table_estimate(session, table_name: str) -> int:
    value = session.execute(
        text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:name)"),
        {"name": f'"{table_name}"'},
    ).scalar()
    return int(value or 0)


def _postgres_plan_rows(session, statement) -> int:
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled),
                                      compiled.params).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _sqlite_table_estimate(session, table_name: str) -> int:
    """The row count the last ANALYZE recorded (the first number of an index's stat is
    its row count; a partial index has fewer, hence max), never more than the id range
    spans: that catches a table emptied since (old audit entries purged, say). Zero if
    the database was never analysed; then the exact count is used."""
    quoted = '"' + table_name.replace('"', '""') + '"'
    try:
        value = session.execute(text(
            "SELECT min((SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = :t),"
            f" coalesce((SELECT max(rowid) FROM {quoted}) - (SELECT min(rowid) FROM {quoted})"
            " + 1, 0))"), {"t": table_name}).scalar()
    except OperationalError:  # no sqlite_stat1 table: never analysed
        return 0
    return int(value or 0)


def count_rows(session, count_query, table_name: str, filtered: bool) -> ListCount:
    """The list's count, at most two cheap queries whatever the table's size."""
    dialect = session.get_bind().dialect.name
    if not filtered:
        estimate = _postgres_table_estimate(session, table_name) if dialect == "postgresql" \
            else _sqlite_table_estimate(session, table_name)
        if estimate > ESTIMATE_ABOVE:
            return ListCount(estimate, "about")
        return ListCount(count_query.scalar())
    limit = COUNT_LIMITS.get(dialect, COUNT_LIMITS["sqlite"])
    matching = count_query.with_entities(literal(1))
    estimate = None
    if dialect == "postgresql":
        # planning costs about a millisecond; counting 1,000 trigram matches costs tens
        estimate = _postgres_plan_rows(session, matching.statement)
        if estimate > limit:
            return ListCount(estimate, "about")
    rows = matching.limit(limit + 1).subquery()
    found = session.execute(select(func.count()).select_from(rows)).scalar()
    if found <= limit:
        return ListCount(found)
    if estimate is not None:
        return ListCount(max(estimate, limit + 1), "about")
    return ListCount(limit, "more")


@dataclass
class SortKey:
    column: object        # the SQL expression ordered by
    descending: bool
    attribute: str | None  # the model attribute holding its value, if the row has it
    #: the many-to-one (NOT NULL foreign key) the column is read through, if it is a
    #: related record's column: sorting products by category name
    via: object = None


def keyset_ready(keys: list[SortKey], table) -> bool:
    """Whether every key is a NOT NULL column of the list's own table, in one direction."""
    if len({key.descending for key in keys}) != 1:
        return False
    for key in keys:
        column = getattr(key.column, "property", None)
        column = column.columns[0] if column is not None and hasattr(column, "columns") \
            else None
        if column is None or key.attribute is None or column.table is not table \
                or column.nullable:
            return False
    return True


def order_clauses(keys: list[SortKey], reverse: bool = False):
    """ORDER BY for the keys (every direction flipped when reading backwards)."""
    return [desc(key.column) if key.descending != reverse else key.column for key in keys]


def _after(keys: list[SortKey], values: list, reverse: bool = False):
    """Rows strictly after `values` in the list's order (before, if `reverse`). The first
    column's own comparison lets either database seek its index on that column."""
    forward = keys[0].descending == reverse
    first = keys[0].column
    columns = tuple_(*(key.column for key in keys))
    bound = tuple_(*(literal(v, type_=key.column.type) for key, v in zip(keys, values)))
    if forward:
        return [first >= values[0], columns > bound]
    return [first <= values[0], columns < bound]


@dataclass
class PageRequest:
    """Which page a list asks for: a number (`?page=N`), the rows after or before a keyset
    cursor, or the last page."""
    page: int = 0
    after: str | None = None
    before: str | None = None
    last: bool = False
    #: the 1-based page asked for when it lies past the list's end (the last page is shown)
    past_end: int | None = None

    @classmethod
    def from_args(cls, args, page: int = 0) -> "PageRequest":
        """From a list URL's query arguments (a mapping); `page`: Flask-Admin's number."""
        return cls(page=page, after=args.get("after") or None,
                   before=args.get("before") or None, last=args.get("last") == "1")


@dataclass
class Edges:
    """Where a keyset page lies: its number (0-based) among `pages` (None: not counted),
    and the cursors of the rows on either side, for the previous and next links."""
    page: int
    pages: int | None
    has_previous: bool
    has_next: bool
    previous_cursor: str | None = None
    next_cursor: str | None = None


class Page(list):
    """A page's rows; `edges` says where a keyset page lies (None: a numbered list). A
    screen may hang what its rows need while they render on it (the audit list's
    referenced records)."""
    edges: Edges | None = None
    past_end: int | None = None


def parent_ordered(keys: list[SortKey], dialect: str) -> bool:
    """Whether the page is better read parent by parent (see _rows_by_parent)."""
    return dialect == "postgresql" and len(keys) == 2 and keys[0].via is not None \
        and keys[1].attribute is not None and keys[1].column.primary_key


def _rows_by_parent(query, unsorted, keys: list[SortKey], limit: int, offset: int):
    """A page sorted by a related record's column, read parent by parent (PostgreSQL).

    PostgreSQL walks the parents (categories) in name order but does not know that each
    parent's children come out of their (foreign key, id) index in id order, so it reads
    and sorts every child of the first parent: 25,000 products of a category, 60 ms. A
    LATERAL subquery takes at most `limit` ids per parent instead, and the page's records
    are then loaded by id: two index walks of a few rows each.
    """
    relationship, pk = keys[0].via.property, keys[1]
    parent = aliased(relationship.mapper.class_)
    pk_order = desc(pk.column) if pk.descending else pk.column
    children = unsorted.with_entities(pk.column.label("id")) \
        .filter(*(local == getattr(parent, remote.key)
                  for local, remote in relationship.local_remote_pairs)) \
        .order_by(pk_order).limit(limit + offset).subquery().lateral()
    parent_column = getattr(parent, keys[0].column.key)
    ids = select(children.c.id).select_from(parent).join(children, true()).order_by(
        desc(parent_column) if keys[0].descending else parent_column,
        desc(children.c.id) if pk.descending else children.c.id,
    ).limit(limit).offset(offset or None)
    ids = list(query.session.execute(ids).scalars())
    found = {getattr(row, pk.attribute): row for row in query.filter(pk.column.in_(ids))}
    return [found[i] for i in ids if i in found]


def _numbered_page(query, keys: list[SortKey], page: int, page_size: int, keyset: bool):
    """Page `page` (0-based) plus one row, or PAST_END. A deep page of a keyset list starts
    from the page map's nearest checkpoint (page_map.py) instead of OFFSET's long walk."""
    offset = min(page, MAX_PAGE) * page_size
    table = keys[-1].column.property.columns[0].table.name
    jump = page_map.checkpoint(query.session, query, keys, table, offset) if keyset else None
    if jump is page_map.PAST_END:
        return jump
    if jump is not None:
        values, offset = jump
        query = query.filter(*_after(keys, values))
    return query.order_by(*order_clauses(keys)).limit(page_size + 1) \
        .offset(offset or None).all()


def read_page(query, keys: list[SortKey], wanted: PageRequest, page_size: int, count,
              keyset: bool, unsorted=None) -> tuple[Page, ListCount | None]:
    """The rows of the requested page (with their edges, for a keyset list) and the count
    (made exact when the page shows every row there is). `unsorted`: the list's query
    before its sort, for a page read parent by parent (see parent_ordered). A numbered
    page past the list's end shows the last page (and says so: `past_end`)."""
    rows, page, has_previous, has_next = _read_rows(query, keys, wanted, page_size, keyset,
                                                    unsorted)
    numbered = not (wanted.after or wanted.before or wanted.last)
    if numbered and (rows is page_map.PAST_END or (wanted.page and not rows)):
        pages = -(-int(count) // page_size) if count else 1
        wanted = PageRequest(last=True, past_end=wanted.page + 1) if keyset \
            else PageRequest(page=max(pages - 1, 0), past_end=wanted.page + 1)
        rows, page, has_previous, has_next = _read_rows(query, keys, wanted, page_size,
                                                        keyset, unsorted)
        rows = [] if rows is page_map.PAST_END else rows
    if count is not None and count.kind != "exact" and not has_previous and not has_next:
        count = ListCount(len(rows))  # one page holds them all: the estimate was wrong
    rows = Page(rows)
    rows.past_end = wanted.past_end
    if keyset:
        rows.edges = _edges(rows, keys, wanted, page, page_size, count, has_previous, has_next)
    return rows, count


def _read_rows(query, keys, wanted: PageRequest, page_size: int, keyset: bool, unsorted):
    """(rows, page number, has previous, has next) of the requested page; rows may be
    PAST_END for a numbered page the page map knows to lie past the end."""
    page, after, before, last = wanted.page, wanted.after, wanted.before, wanted.last
    values = None
    if keyset and (after or before):
        values = decode_cursor(after or before, len(keys))
    if not keyset and unsorted is not None:
        rows = _rows_by_parent(query, unsorted, keys, page_size + 1,
                               min(page, MAX_PAGE) * page_size)
        return rows[:page_size], page, bool(page), len(rows) > page_size
    if not keyset or (values is None and not last):
        if keyset:
            page = page if not (after or before) else 0
        rows = _numbered_page(query, keys, page, page_size, keyset)
        if rows is page_map.PAST_END:
            return rows, page, bool(page), False
        return rows[:page_size], page, bool(page), len(rows) > page_size
    if last:
        rows = query.order_by(*order_clauses(keys, reverse=True)).limit(page_size + 1).all()
        return rows[:page_size][::-1], page, len(rows) > page_size, False
    if after:
        rows = query.filter(*_after(keys, values)).order_by(*order_clauses(keys)) \
            .limit(page_size + 1).all()
        return rows[:page_size], page, True, len(rows) > page_size
    rows = query.filter(*_after(keys, values, reverse=True)) \
        .order_by(*order_clauses(keys, reverse=True)).limit(page_size + 1).all()
    return rows[:page_size][::-1], page, len(rows) > page_size, True


def _edges(rows, keys, wanted: PageRequest, page, page_size, count, has_previous,
           has_next) -> Edges:
    pages = -(-int(count) // page_size) if count is not None and page_size else None
    if wanted.last and pages:
        page = pages - 1
    elif wanted.after or wanted.before:
        page = wanted.page

    def cursor(row):
        return encode_cursor([getattr(row, key.attribute) for key in keys])

    return Edges(page=page, pages=pages, has_previous=has_previous, has_next=has_next,
                 previous_cursor=cursor(rows[0]) if has_previous and rows else None,
                 next_cursor=cursor(rows[-1]) if has_next and rows else None)
