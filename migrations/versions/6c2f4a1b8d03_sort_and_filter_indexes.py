"""Indexes for sortable and filterable columns

Every column a list sorts or filters by gets an index ending in the id (ties are broken by
id), so a page sorted by it is read in index order instead of sorting the whole table.
The single-column indexes on orders.status, financial_entries.kind, stock_movements.kind
and audit_entries.action are replaced by their (column, id) versions.

Revision ID: 6c2f4a1b8d03
Revises: 51185d8beb69
Create Date: 2026-11-25 17:59:22.611003

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6c2f4a1b8d03'
down_revision = '51185d8beb69'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_action'))
        batch_op.create_index('ix_audit_entries_action_id', ['action', 'id'], unique=False)
        batch_op.create_index('ix_audit_entries_actor_id', ['actor', 'id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_active_id', ['active', 'id'], unique=False)
        batch_op.create_index('ix_customers_city_id', ['city', 'id'], unique=False)
        batch_op.create_index('ix_customers_state_id', ['state', 'id'], unique=False)

    with op.batch_alter_table('financial_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financial_entries_kind'))
        batch_op.create_index('ix_financial_entries_amount_id', ['amount', 'id'], unique=False)
        batch_op.create_index('ix_financial_entries_description_id', ['description', 'id'], unique=False)
        batch_op.create_index('ix_financial_entries_kind_id', ['kind', 'id'], unique=False)

    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.create_index('ix_order_items_quantity_id', ['quantity', 'id'], unique=False)
        batch_op.create_index('ix_order_items_unit_price_id', ['unit_price', 'id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_status'))
        batch_op.create_index('ix_orders_status_id', ['status', 'id'], unique=False)

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_active_id', ['active', 'id'], unique=False)
        batch_op.create_index('ix_products_price_id', ['price', 'id'], unique=False)
        batch_op.create_index('ix_products_stock_id', ['stock', 'id'], unique=False)
        batch_op.create_index('ix_products_unit_id', ['unit', 'id'], unique=False)

    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movements_kind'))
        batch_op.create_index('ix_stock_movements_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_stock_movements_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index('ix_stock_movements_quantity_id', ['quantity', 'id'], unique=False)

    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.create_index('ix_suppliers_active_id', ['active', 'id'], unique=False)
        batch_op.create_index('ix_suppliers_trade_name_id', ['trade_name', 'id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index('ix_user_active_id', ['active', 'id'], unique=False)
        batch_op.create_index('ix_user_last_login_at_id', ['last_login_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_last_login_at_id')
        batch_op.drop_index('ix_user_active_id')

    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.drop_index('ix_suppliers_trade_name_id')
        batch_op.drop_index('ix_suppliers_active_id')

    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_quantity_id')
        batch_op.drop_index('ix_stock_movements_kind_id')
        batch_op.drop_index('ix_stock_movements_created_at_id')
        batch_op.create_index(batch_op.f('ix_stock_movements_kind'), ['kind'], unique=False)

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_unit_id')
        batch_op.drop_index('ix_products_stock_id')
        batch_op.drop_index('ix_products_price_id')
        batch_op.drop_index('ix_products_active_id')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status_id')
        batch_op.create_index(batch_op.f('ix_orders_status'), ['status'], unique=False)

    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_index('ix_order_items_unit_price_id')
        batch_op.drop_index('ix_order_items_quantity_id')

    with op.batch_alter_table('financial_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_financial_entries_kind_id')
        batch_op.drop_index('ix_financial_entries_description_id')
        batch_op.drop_index('ix_financial_entries_amount_id')
        batch_op.create_index(batch_op.f('ix_financial_entries_kind'), ['kind'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_state_id')
        batch_op.drop_index('ix_customers_city_id')
        batch_op.drop_index('ix_customers_active_id')

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_actor_id')
        batch_op.drop_index('ix_audit_entries_action_id')
        batch_op.create_index(batch_op.f('ix_audit_entries_action'), ['action'], unique=False)

