"""Products of a category in name order; products below their minimum stock

The product list filtered by one category shows it in its default order, by name: with
(category_id, name) the page is read from the index and stops after one page, instead of
sorting every product of the category (25,000 of a million) on each request.

"Below minimum" (`stock < min_stock`, a dashboard card and a list filter) compares two
columns, which no ordinary index serves: a partial index holds only those products.

Revision ID: a0c6e8f2d4b5
Revises: 9f5b7d1e3c26
Create Date: 2026-11-25 19:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a0c6e8f2d4b5'
down_revision = '9f5b7d1e3c26'
branch_labels = None
depends_on = None

BELOW_MINIMUM = {"sqlite_where": sa.text("stock < min_stock"),
                 "postgresql_where": sa.text("stock < min_stock")}


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_below_minimum', ['id'], unique=False, **BELOW_MINIMUM)
        batch_op.create_index('ix_products_category_id_name', ['category_id', 'name'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_category_id_name')
        batch_op.drop_index('ix_products_below_minimum', **BELOW_MINIMUM)
