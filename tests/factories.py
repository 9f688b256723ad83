"""factory-boy factories bound to the app's session; valid data by default."""

import random
from datetime import date, timedelta
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from admin_app.demo import random_cnpj, random_cpf
from admin_app.extensions import db
from admin_app.models import (
    AuditEntry, Category, Customer, FinancialEntry, Order, OrderItem, Product, StockMovement,
    Supplier,
)

_rng = random.Random(7)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = db.session
        sqlalchemy_session_persistence = "commit"


class CustomerFactory(BaseFactory):
    class Meta:
        model = Customer

    document = factory.LazyFunction(lambda: random_cpf(_rng))
    name = factory.Sequence(lambda n: f"Cliente {n}")
    email = factory.Sequence(lambda n: f"cliente{n}@exemplo.com.br")
    city = "Campinas"
    state = "SP"


class SupplierFactory(BaseFactory):
    class Meta:
        model = Supplier

    cnpj = factory.LazyFunction(lambda: random_cnpj(_rng))
    legal_name = factory.Sequence(lambda n: f"Fornecedor {n} Ltda")


class CategoryFactory(BaseFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Categoria {n}")


class ProductFactory(BaseFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Produto {n}")
    category = factory.SubFactory(CategoryFactory)
    unit = "UN"
    price = Decimal("10.00")
    cost = Decimal("6.00")


class StockMovementFactory(BaseFactory):
    class Meta:
        model = StockMovement

    product = factory.SubFactory(ProductFactory)
    kind = "entrada"
    quantity = Decimal("10")
    reason = "Compra"


class OrderFactory(BaseFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)


class OrderItemFactory(BaseFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("2")
    unit_price = Decimal("10.00")


class FinancialEntryFactory(BaseFactory):
    class Meta:
        model = FinancialEntry

    kind = "receber"
    description = factory.Sequence(lambda n: f"Lançamento {n}")
    amount = Decimal("100.00")
    due_date = factory.LazyFunction(lambda: date.today() + timedelta(days=10))


class AuditEntryFactory(BaseFactory):
    class Meta:
        model = AuditEntry

    actor = "sistema"
    action = "create"
    entity = "Customer"
    object_id = "1"
    changes = factory.LazyFunction(dict)
