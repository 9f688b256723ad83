"""Stored order items total and the dashboard's indexes

The dashboard summed every item of every order it counted (a correlated subquery per order
over a million items): ~2 s per page at the benchmark sizes. Now:

- ``orders.items_total`` holds the sum of the order's items (quantity x unit price, in
  centavos), kept by the session rules on every item change (admin_app/models/lifecycle.py);
  ``Order.total`` is ``items_total - discount``. Back-filled here in one UPDATE.
- ``ix_orders_status_ordered_at_items_total_discount``: the sales of a period (sold statuses,
  a date range) summed from the index alone.
- ``ix_financial_entries_paid_at_kind_due_date_amount``: the open entries (``paid_at IS
  NULL``) by kind and due date with their amounts, from the index alone.

SQLite: the column is added with a plain ``ALTER TABLE ... ADD COLUMN`` (batch mode does not
recreate the table for it), so the search triggers on ``orders`` (search_orders_ai/_ad/_au,
revision 7d3e5b2c9a14) stay; the downgrade drops it with SQLite's own ``ALTER TABLE ... DROP
COLUMN`` (SQLite 3.35+) instead of a batch recreate, which would drop those triggers.

Revision ID: 8e4a6c0f2b17
Revises: 7d3e5b2c9a14
Create Date: 2026-11-25 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e4a6c0f2b17'
down_revision = '7d3e5b2c9a14'
branch_labels = None
depends_on = None

BACKFILL = {
    # PostgreSQL: numeric arithmetic is exact; assigning to numeric(12, 2) rounds half away
    # from zero, as the session rules do (ROUND_HALF_UP) for the positive totals.
    "postgresql": """
        UPDATE orders SET items_total = sums.total
        FROM (SELECT order_id, sum(quantity * unit_price) AS total
              FROM order_items GROUP BY order_id) AS sums
        WHERE sums.order_id = orders.id
    """,
    # SQLite stores NUMERIC as REAL: round to centavos, as the session rules store them.
    "sqlite": """
        UPDATE orders SET items_total = (
            SELECT round(sum(quantity * unit_price), 2) FROM order_items
            WHERE order_items.order_id = orders.id)
        WHERE EXISTS (SELECT 1 FROM order_items WHERE order_items.order_id = orders.id)
    """,
}


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('items_total', sa.Numeric(precision=12, scale=2),
                                      server_default='0', nullable=False))
    op.execute(BACKFILL.get(dialect, BACKFILL["postgresql"]))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_status_ordered_at_items_total_discount',
                              ['status', 'ordered_at', 'items_total', 'discount'], unique=False)

    with op.batch_alter_table('financial_entries', schema=None) as batch_op:
        batch_op.create_index('ix_financial_entries_paid_at_kind_due_date_amount',
                              ['paid_at', 'kind', 'due_date', 'amount'], unique=False)


def downgrade():
    with op.batch_alter_table('financial_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_financial_entries_paid_at_kind_due_date_amount')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status_ordered_at_items_total_discount')

    # Not in batch mode: on SQLite a batch drop_column recreates the table and loses the
    # search triggers of `orders`; ALTER TABLE ... DROP COLUMN keeps them.
    op.drop_column('orders', 'items_total')
