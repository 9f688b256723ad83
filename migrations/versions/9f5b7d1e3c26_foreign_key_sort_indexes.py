"""Sort by a related name through the foreign key index

The product list sorted by category and the order list sorted by customer join the related
table in name order and read each one's rows through (foreign key, id): the single-column
foreign key indexes become (column, id), so PostgreSQL too gets the rows already in page
order instead of sorting every row of the first category.

Revision ID: 9f5b7d1e3c26
Revises: 8e4a6c0f2b17
Create Date: 2026-11-25 18:55:53.908896

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9f5b7d1e3c26'
down_revision = '8e4a6c0f2b17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_customer_id'))
        batch_op.create_index('ix_orders_customer_id_id', ['customer_id', 'id'], unique=False)

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_category_id'))
        batch_op.create_index('ix_products_category_id_id', ['category_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_category_id_id')
        batch_op.create_index(batch_op.f('ix_products_category_id'), ['category_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_customer_id_id')
        batch_op.create_index(batch_op.f('ix_orders_customer_id'), ['customer_id'], unique=False)

