"""Schema changes on a table other tables point at (orders point at customers), written as
`flask db migrate` writes them (batch mode, which rebuilds the table on SQLite), applied to a
database holding the demo data through `flask db upgrade` and through `python manage.py
migrations upgrade`, then undone, on both databases. The data stays, the references hold."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from admin_app.extensions import db
from admin_app.ops.upgrade import run_alembic
from tests.helpers.migrations import HEAD, add_revision, current_heads, use_environment

BATCH = "with op.batch_alter_table('customers') as batch:\n        "
#: (revision, what it does, upgrade, downgrade), applied in this order after HEAD.
CHANGES = [
    ("b1000000drop", "drop a column",
     BATCH + "batch.drop_column('phone')",
     BATCH + "batch.add_column(sa.Column('phone', sa.String(30), nullable=True))"),
    ("b2000000rena", "rename a column",
     BATCH + "batch.alter_column('notes', new_column_name='remarks')",
     BATCH + "batch.alter_column('remarks', new_column_name='notes')"),
    ("b3000000type", "change a column's type",
     BATCH + "batch.alter_column('city', type_=sa.String(150), existing_type=sa.String(100))",
     BATCH + "batch.alter_column('city', type_=sa.String(100), existing_type=sa.String(150))"),
    ("b4000000notn", "add a NOT NULL column with a default",
     BATCH + "batch.add_column(sa.Column('segment', sa.String(20), nullable=False, "
             "server_default='varejo'))",
     BATCH + "batch.drop_column('segment')"),
    ("b5000000uniq", "add a unique constraint",
     BATCH + "batch.create_unique_constraint('uq_customers_document_email', "
             "['document', 'email'])",
     BATCH + "batch.drop_constraint('uq_customers_document_email', type_='unique')"),
    ("b6000000drop", "drop a unique constraint",
     BATCH + "batch.drop_constraint('uq_customers_document_email', type_='unique')",
     BATCH + "batch.create_unique_constraint('uq_customers_document_email', "
             "['document', 'email'])"),
]
LAST = CHANGES[-1][0]


def add_changes(folder, changes=CHANGES, after=HEAD) -> None:
    for revision, message, up, down in changes:
        add_revision(folder, revision, after, message, up, down)
        after = revision


def read(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def shape(url: str) -> dict:
    """The customers table's columns (name: type) and unique constraints, and the foreign
    keys that point at it."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        found = inspect(engine)
        return {
            "columns": {c["name"]: str(c["type"]) for c in found.get_columns("customers")},
            "unique": sorted(u["name"] for u in found.get_unique_constraints("customers")),
            "referenced_by": sorted(
                (table, fk["name"]) for table in ("orders", "financial_entries")
                for fk in found.get_foreign_keys(table) if fk["referred_table"] == "customers"),
        }
    finally:
        engine.dispose()


def the_data(url: str) -> dict:
    """What must survive every change: the customers and what points at them."""
    return {
        "customers": read(url, "SELECT id, document, name, email, city FROM customers "
                               "ORDER BY id"),
        "orders": read(url, "SELECT id, customer_id, number FROM orders ORDER BY id"),
        "items": read(url, "SELECT id, order_id, product_id FROM order_items ORDER BY id"),
    }


def dangling(url: str) -> list[tuple]:
    """Rows whose foreign key points at nothing."""
    if url.startswith("sqlite"):
        return read(url, "PRAGMA foreign_key_check")
    return read(url, "SELECT o.id FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
                     "WHERE c.id IS NULL")


def migrate_with(app, url: str, folder, how: str, tmp_path):
    """Upgrade to the folder's head the way a developer (`flask db upgrade`) or the deploy
    (`manage.py migrations upgrade`) does; the command's result."""
    with app.app_context():
        if how == "flask db upgrade":
            result = app.test_cli_runner().invoke(args=["db", "upgrade", "-d", str(folder)])
        else:
            use_environment(app, tmp_path, "dev", url)
            result = app.test_cli_runner().invoke(
                args=["migrations", "upgrade", "--env", "dev", "-d", str(folder)])
        db.session.remove()
    return result


@pytest.mark.parametrize("how", ["flask db upgrade", "migrations upgrade"])
def test_batch_changes_on_a_referenced_table_keep_the_data(demo_database, scripts_copy, how,
                                                           tmp_path):
    app, url = demo_database
    before, shape_before = the_data(url), shape(url)
    assert len(before["customers"]) > 5 and len(before["orders"]) > 5
    add_changes(scripts_copy)

    result = migrate_with(app, url, scripts_copy, how, tmp_path)
    assert result.exit_code == 0, result.output + repr(result.exception)

    assert current_heads(url) == (LAST,)
    after = shape(url)
    assert "phone" not in after["columns"] and "notes" not in after["columns"]
    assert "remarks" in after["columns"]
    assert after["columns"]["city"] == "VARCHAR(150)"
    assert read(url, "SELECT DISTINCT segment FROM customers") == [("varejo",)]
    assert "uq_customers_document_email" not in after["unique"]
    assert after["referenced_by"] == shape_before["referenced_by"]
    assert the_data(url) == before
    assert dangling(url) == []
    with app.app_context():  # the app's connections enforce foreign keys again
        if url.startswith("sqlite"):
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()

    # and every change undone, one revision at a time back to where it started
    with app.app_context():
        for revision, *_ in reversed(CHANGES):
            run_alembic(url, scripts_copy, "downgrade", "-1")
            assert current_heads(url) != (revision,)
        db.session.remove()
    assert current_heads(url) == (HEAD,)
    assert shape(url)["columns"] == shape_before["columns"]
    assert shape(url)["referenced_by"] == shape_before["referenced_by"]
    assert the_data(url) == before
    assert dangling(url) == []


def test_unique_constraint_step_and_its_downgrade_alone(demo_database, scripts_copy):
    """Added, its revision undone through `flask db downgrade`: the constraint comes and
    goes, the rows stay."""
    app, url = demo_database
    before = the_data(url)
    add_changes(scripts_copy, CHANGES[4:5])
    with app.app_context():
        upgrade(directory=str(scripts_copy))
        assert "uq_customers_document_email" in shape(url)["unique"]
        downgrade(directory=str(scripts_copy), revision=HEAD)
        db.session.remove()
    assert "uq_customers_document_email" not in shape(url)["unique"]
    assert the_data(url) == before


@pytest.mark.parametrize("how", ["flask db upgrade", "migrations upgrade"])
def test_a_migration_that_leaves_rows_pointing_at_nothing_is_rolled_back(
        demo_database, scripts_copy, how, tmp_path):
    """Foreign keys are off while SQLite rebuilds tables, so the check after the migration is
    what catches it (PostgreSQL refuses the DELETE itself): the step fails, nothing of it
    stays, the database is at the revision before."""
    app, url = demo_database
    before = the_data(url)
    add_revision(scripts_copy, "b9000000orph", HEAD, "delete a customer that has orders",
                 "op.execute('DELETE FROM customers WHERE id IN "
                 "(SELECT customer_id FROM orders)')")
    result = migrate_with(app, url, scripts_copy, how, tmp_path)
    assert result.exit_code != 0
    assert "foreign key" in (result.output + repr(result.exception)).lower()
    assert current_heads(url) == (HEAD,)
    assert the_data(url) == before
    assert dangling(url) == []
