"""Numbered pages of a big list read as fast as its first page.

`?page=25000` of a million products is row 500,000 in the list's order. OFFSET walks every
row before it (139 ms on PostgreSQL, a second on stock Flask-Admin). Here the list's order is
walked once, through its index, and every STRIDE-th row's sort key is kept: a map of
checkpoints. A deep page is then read as a keyset page after the nearest checkpoint, with at
most STRIDE rows of OFFSET: an index seek, whatever the page's number.

A map belongs to one list query (search, filters and sort), is kept in this process for
TTL_SECONDS, and is dropped as soon as this process writes to its table, or (PostgreSQL) the
table's insert and delete counters, shared by every process, have moved. So a jump lands on
the row OFFSET would find, give or take what another SQLite process wrote in the last
TTL_SECONDS; the first, previous and next links are keyset links and always exact.
"""

import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass

from sqlalchemy import desc, event, func, select, text
from sqlalchemy.orm import Session

#: a checkpoint every STRIDE rows: a deep page reads at most this many rows past one
STRIDE = 500
#: pages starting before this row are read with a plain OFFSET (as cheap as a map lookup)
DIRECT_ROWS = 500
#: how far a first build walks at least (one walk then serves every nearer jump)
FIRST_WALK = 100_000
TTL_SECONDS = 60
MAX_MAPS = 32
PAST_END = object()

_writes: Counter = Counter()  # table name -> flushes that wrote to it in this process
_maps: OrderedDict = OrderedDict()
_lock = threading.Lock()


@event.listens_for(Session, "after_flush")
def _note_writes(session, _flush_context):
    """Positions move when rows come or go (or change their sort key): forget the maps."""
    for record in (*session.new, *session.dirty, *session.deleted):
        table = getattr(record, "__table__", None)
        if table is not None:
            _writes[table.name] += 1


@dataclass
class PageMap:
    keys: list       # the sort keys of rows STRIDE, 2 x STRIDE, ... (1-based positions)
    walked: int      # rows the build walked
    complete: bool   # the walk reached the end of the list
    stamp: tuple     # the table's write counters when built
    built: float     # time.monotonic() of the build


def _stamp(session, table_name: str) -> tuple:
    shared = None
    if session.get_bind().dialect.name == "postgresql":
        # the counters behind pg_stat_user_tables, read directly (the view reads them for
        # every table before it filters: 0.6 ms against 0.1)
        shared = session.execute(text(
            "SELECT pg_stat_get_tuples_inserted(to_regclass(:name))"
            " + pg_stat_get_tuples_deleted(to_regclass(:name))"),
            {"name": f'"{table_name}"'}).scalar()
    return _writes[table_name], shared


def _build(session, query, keys, rows: int, stamp: tuple) -> PageMap:
    """Walk the first `rows` rows of the list in order and keep every STRIDE-th key
    (one pass: the window numbers the rows and counts them)."""
    order = [desc(key.column) if key.descending else key.column for key in keys]
    walked = query.with_entities(*(key.column.label(f"k{i}") for i, key in enumerate(keys))) \
        .order_by(*order).limit(rows).subquery()
    columns = [walked.c[f"k{i}"] for i in range(len(keys))]
    numbered = select(*columns, func.row_number().over(order_by=[
        desc(column) if key.descending else column for key, column in zip(keys, columns)
    ]).label("n"), func.count().over().label("total")).subquery()
    found = session.execute(
        select(*(numbered.c[f"k{i}"] for i in range(len(keys))), numbered.c.n,
               numbered.c.total)
        .where((numbered.c.n % STRIDE == 0) | (numbered.c.n == numbered.c.total))
        .order_by(numbered.c.n)).all()
    total = found[-1].total if found else 0
    checkpoints = [list(row[:len(keys)]) for row in found if row.n % STRIDE == 0]
    return PageMap(checkpoints, total, total < rows, stamp, time.monotonic())


def _cache_key(session, query, keys) -> str:
    statement = query.with_entities(*(key.column for key in keys)).statement
    compiled = statement.compile(dialect=session.get_bind().dialect)
    descending = "".join("d" if key.descending else "a" for key in keys)
    return f"{compiled}|{sorted(compiled.params.items(), key=str)}|{descending}"


def checkpoint(session, query, keys, table_name: str, offset: int):
    """Where the row at 0-based `offset` lies: (the key of the checkpoint before it, rows
    to skip after that key); None when a plain OFFSET is as cheap; PAST_END when the list
    has fewer rows."""
    if offset < DIRECT_ROWS:
        return None
    key = _cache_key(session, query, keys)
    stamp = _stamp(session, table_name)
    with _lock:
        page_map = _maps.get(key)
    fresh = page_map is not None and page_map.stamp == stamp \
        and time.monotonic() - page_map.built < TTL_SECONDS
    if not fresh or (offset >= page_map.walked and not page_map.complete):
        walk = max(FIRST_WALK, 2 * offset + STRIDE)
        page_map = _build(session, query, keys, walk, stamp)
        with _lock:
            _maps[key] = page_map
            _maps.move_to_end(key)
            while len(_maps) > MAX_MAPS:
                _maps.popitem(last=False)
    if offset >= page_map.walked:
        return PAST_END
    index = offset // STRIDE
    if index == 0:
        return None
    return page_map.keys[index - 1], offset - index * STRIDE
