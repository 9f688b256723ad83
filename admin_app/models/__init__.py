"""Every mapped model, imported so the registry (and Alembic) sees them all."""

from .audit import AuditEntry
from .auth import Role, User
from .catalog import Category, Product
from .finance import FinancialEntry
from .ops import MigrationLog  # noqa: F401  (the migration log, see models/ops.py)
from .parties import Customer, Supplier
from .signin import LoginLockout, SignInEvent, UserSession  # noqa: F401  (own registry)
from .sales import Order, OrderItem
from .stock import StockMovement
from .transfer import ImportRun
from .jobs import Job
from .list_views import ListPreference, SavedView  # noqa: F401  (own registry)
from . import lifecycle  # noqa: F401  (session listeners for the rules)

# Tables people delete records from: on SQLite an id is never handed out again, so a deleted
# record keeps its id for its trash and its history (migration d5e6f7a8b9c0).
for _model in (Customer, Supplier, Category, Product, Order, OrderItem, FinancialEntry, User,
               Role):
    _model.__table__.dialect_options["sqlite"]["autoincrement"] = True

__all__ = [
    "AuditEntry", "Category", "Customer", "FinancialEntry", "ImportRun", "Job", "Order",
    "OrderItem",
    "Product", "Role", "StockMovement", "Supplier", "User",
]
