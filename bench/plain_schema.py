"""A copy of the list benchmark's database without our performance objects ("plain" side).

The stock Flask-Admin views of `bench lists` read the database our migrations built, so they
profit from the indexes we added for the lists (sort/filter B-trees, pg_trgm GIN indexes,
covering indexes) and the comparison understates what a stock Flask-Admin user gets. Issue 8's
baseline is stock Flask-Admin on a plain schema: the schema a plain app over these models has,
which is what the initial migrations (INITIAL_REVISION) create. `plain_copy()` makes that
database from the bench database, without loading the data twice:

- a copy: SQLite's backup API into the same folder; PostgreSQL `CREATE DATABASE <name>_plain
  TEMPLATE <name>` (a file-level copy, so the source may have no other connection);
- the indexes a scratch database migrated to INITIAL_REVISION does not have are dropped, and
  the ones it has that later migrations replaced (`ix_products_category_id` by
  `(category_id, id)`, ...) are recreated, so the copy has what a plain app would have,
  neither more nor less; indexes that back a primary key or a unique constraint are never
  touched, and every column stays (the models map the later `orders.items_total`);
- on SQLite the FTS5 tables `search_*` and every trigger (they exist only for our search);
- then ANALYZE (PostgreSQL: VACUUM ANALYZE), so the planner knows the new schema.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, make_url

INITIAL_REVISION = "51185d8beb69"  # 5e58d3b35130 (initial schema) then the migration log
TEMPLATE_RETRIES = 30  # autovacuum may still be on the source for a moment


@dataclass
class PlainCopy:
    url: str
    dropped_indexes: list[str] = field(default_factory=list)  # "table.index"
    restored_indexes: list[str] = field(default_factory=list)
    dropped_tables: list[str] = field(default_factory=list)  # SQLite FTS5 tables
    dropped_triggers: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{len(self.dropped_indexes)} indexes dropped"]
        if self.dropped_tables:
            parts.append(f"{len(self.dropped_tables)} FTS5 tables dropped")
        if self.dropped_triggers:
            parts.append(f"{len(self.dropped_triggers)} triggers dropped")
        parts.append(f"{len(self.restored_indexes)} initial indexes recreated")
        return ", ".join(parts)


def initial_indexes(kind: str, admin_url: str) -> dict[str, dict[str, dict]]:
    """Table -> index name -> reflected index of a scratch database of `kind` migrated to
    INITIAL_REVISION (always dropped afterwards)."""
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.config import normalise_database_url
    from admin_app.extensions import db

    from .dataset import fresh_database

    with fresh_database(kind, admin_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url)})
        with app.app_context():
            upgrade(revision=INITIAL_REVISION)
            inspector = inspect(db.engine)
            found = {table: {index["name"]: index for index in inspector.get_indexes(table)}
                     for table in inspector.get_table_names()}
            db.session.remove()
            db.engine.dispose()
    return found


@contextlib.contextmanager
def plain_copy(kind: str, url: str, admin_url: str, keep: bool = False):
    """Yield a PlainCopy of the (migrated, filled, unused) database at `url`; drop the copy
    on exit unless `keep`. Call it before anything connects to `url` again."""
    import psycopg

    def admin(sql: str) -> None:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            conn.execute(sql)

    initial = initial_indexes(kind, admin_url)
    started = time.perf_counter()
    source = make_url(url)
    if kind == "sqlite":
        path = Path(source.database).with_name("plain.db")
        with contextlib.closing(sqlite3.connect(source.database)) as original, \
                contextlib.closing(sqlite3.connect(path)) as copy:
            original.backup(copy)
        copy_url = f"sqlite:///{path}"
    else:
        name = f"{source.database}_plain"
        for attempt in range(TEMPLATE_RETRIES):
            try:
                admin(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
                break
            except psycopg.errors.ObjectInUse:
                if attempt == TEMPLATE_RETRIES - 1:
                    raise
                time.sleep(1)
        copy_url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        plain = PlainCopy(copy_url)
        strip(plain, initial)
        plain.seconds = time.perf_counter() - started
        report(plain)
        yield plain
    finally:
        if keep:
            print(f"kept: {copy_url}")
        elif kind == "sqlite":
            for leftover in path.parent.glob(path.name + "*"):  # plain.db and its journal
                leftover.unlink()
        else:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def strip(plain: PlainCopy, initial: dict[str, dict[str, dict]]) -> None:
    """Bring the copy's indexes (and, on SQLite, search objects) to the initial schema's."""
    from admin_app.config import normalise_database_url

    engine = create_engine(normalise_database_url(plain.url))
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.begin() as conn:
            if sqlite:
                drop_sqlite_search(conn, plain)
            align_indexes(conn, plain, initial)
        if sqlite:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()


def drop_sqlite_search(conn, plain: PlainCopy) -> None:
    """Every trigger and the `search_*` FTS5 tables: on SQLite they exist only for our
    search. Only the virtual tables are dropped by name; their shadow tables go with them."""
    from admin_app.extensions import SEARCH_PREFIX

    quote = conn.dialect.identifier_preparer.quote
    plain.dropped_triggers = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").scalars().all()
    for trigger in plain.dropped_triggers:
        conn.exec_driver_sql(f"DROP TRIGGER {quote(trigger)}")
    plain.dropped_tables = [
        table for table, sql in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if table.startswith(SEARCH_PREFIX) and sql.upper().startswith("CREATE VIRTUAL TABLE")]
    for table in plain.dropped_tables:
        conn.exec_driver_sql(f"DROP TABLE {quote(table)}")


def align_indexes(conn, plain: PlainCopy, initial: dict[str, dict[str, dict]]) -> None:
    """Drop the indexes the initial schema lacks (unless removable() says no); recreate the
    initial ones a later migration replaced."""
    quote = conn.dialect.identifier_preparer.quote
    inspector = inspect(conn)
    for table in inspector.get_table_names():
        present = {index["name"]: index for index in inspector.get_indexes(table)}
        wanted = initial.get(table, {})
        for name, index in present.items():
            if name not in wanted and removable(index):
                conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
                plain.dropped_indexes.append(f"{table}.{name}")
        for name, index in wanted.items():
            if name not in present:
                columns = ", ".join(quote(column) for column in index["column_names"])
                unique = "UNIQUE " if index["unique"] else ""
                conn.exec_driver_sql(
                    f"CREATE {unique}INDEX {quote(name)} ON {quote(table)} ({columns})")
                plain.restored_indexes.append(f"{table}.{name}")


def removable(index: dict) -> bool:
    """Not an index behind a primary key or a unique constraint (SQLite's automatic ones
    are not reflected; PostgreSQL's unique-constraint ones say `duplicates_constraint`),
    nor a unique index: uniqueness is a rule of the schema, not a speed-up."""
    return not (index["unique"] or index.get("duplicates_constraint")
                or index["name"].startswith("sqlite_autoindex"))


def report(plain: PlainCopy) -> None:
    print(f"Plain copy {plain.url}: {plain.summary()}, analysed, in {plain.seconds:.1f} s",
          flush=True)
    for label, names in (("dropped indexes", plain.dropped_indexes),
                         ("dropped FTS5 tables", plain.dropped_tables),
                         ("dropped triggers", plain.dropped_triggers),
                         ("recreated initial indexes", plain.restored_indexes)):
        if names:
            print(f"  {label} ({len(names)}): {', '.join(names)}", flush=True)
