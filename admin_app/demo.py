"""Demo data realistic enough to click through. Idempotent: seeding twice adds nothing."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from stdnum.br import cnpj, cpf

from .extensions import db
from .models import (
    Category, Customer, FinancialEntry, Order, OrderItem, Product, StockMovement, Supplier,
)
from .rules import orders as order_rules


def random_cpf(rng: random.Random) -> str:
    while True:
        number = "".join(rng.choice("0123456789") for _ in range(11))
        if cpf.is_valid(number) and len(set(number)) > 1:
            return number


def random_cnpj(rng: random.Random) -> str:
    base = "".join(rng.choice("0123456789") for _ in range(8)) + "0001"
    return base + cnpj.calc_check_digits(base)


FIRST = ("Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique",
         "Isabela", "João", "Larissa", "Marcos", "Natália", "Otávio", "Paula", "Rafael",
         "Sofia", "Tiago", "Vanessa", "Wagner")
LAST = ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Almeida",
        "Ferreira", "Rodrigues", "Gomes", "Martins")
COMPANY = ("Comercial", "Distribuidora", "Mercado", "Atacado", "Papelaria", "Construtora",
           "Padaria", "Farmácia")
CITIES = (("São Paulo", "SP"), ("Rio de Janeiro", "RJ"), ("Belo Horizonte", "MG"),
          ("Curitiba", "PR"), ("Porto Alegre", "RS"), ("Salvador", "BA"), ("Recife", "PE"),
          ("Fortaleza", "CE"), ("Goiânia", "GO"), ("Florianópolis", "SC"), ("Manaus", "AM"),
          ("Belém", "PA"))
CATALOG = {
    "Papelaria": [("Caderno universitário 200 folhas", "UN", 24.9),
                  ("Caneta azul (cx 50)", "CX", 45.0),
                  ("Papel A4 (resma)", "UN", 29.9), ("Grampeador", "UN", 38.5),
                  ("Fita adesiva", "UN", 6.9)],
    "Limpeza": [("Detergente 500 ml", "UN", 3.49), ("Desinfetante 2 L", "L", 12.9),
                ("Sabão em pó 1 kg", "KG", 18.9), ("Pano de chão", "UN", 7.5),
                ("Luvas de borracha", "UN", 9.9)],
    "Alimentos": [("Arroz tipo 1 5 kg", "KG", 27.9), ("Feijão carioca 1 kg", "KG", 8.99),
                  ("Café torrado 500 g", "UN", 19.9), ("Açúcar cristal 5 kg", "KG", 22.5),
                  ("Óleo de soja 900 ml", "UN", 7.99)],
    "Bebidas": [("Água mineral 1,5 L (fardo)", "CX", 18.0), ("Suco de uva 1 L", "L", 11.9),
                ("Refrigerante 2 L", "UN", 9.5), ("Chá mate 1 L", "L", 6.9)],
    "Ferragens": [("Parafuso 4 mm (cx 100)", "CX", 14.9), ("Fio elétrico 2,5 mm", "M", 3.2),
                  ("Fita isolante", "UN", 5.5), ("Tomada dupla", "UN", 16.9),
                  ("Mangueira 1/2\"", "M", 4.8)],
    "Embalagens": [("Caixa de papelão média", "UN", 4.2), ("Saco plástico (pct 100)", "CX", 21.0),
                   ("Plástico bolha", "M", 2.9), ("Etiqueta adesiva (rolo)", "UN", 13.5)],
}


def seed_demo(seed: int = 2026) -> dict[str, int]:
    """Create the demo records if there are none yet; return the row counts."""
    if not db.session.scalar(select(func.count(Customer.id))):
        _create(random.Random(seed))
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Customer, Supplier, Category, Product, Order, StockMovement,
                          FinancialEntry)}


def _create(rng: random.Random) -> None:
    customers = _customers(rng)
    suppliers = _suppliers(rng)
    db.session.add_all(customers + suppliers)
    products = _products(rng, suppliers)
    db.session.flush()
    for index, product in enumerate(products):
        quantity = Decimal(rng.choice((3, 8, 40, 60, 120)) if index % 7 else 2)
        db.session.add(StockMovement(product=product, kind="entrada", quantity=quantity,
                                     reason="Estoque inicial"))
    db.session.flush()
    _orders(rng, customers[:36], [p for p in products if p.stock >= 20])
    _payables(rng, suppliers)
    db.session.commit()


def _customers(rng: random.Random) -> list[Customer]:
    customers = []
    for i in range(40):
        city, uf = rng.choice(CITIES)
        if i % 4 == 3:
            name = f"{rng.choice(COMPANY)} {rng.choice(LAST)} Ltda"
            document = random_cnpj(rng)
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
            document = random_cpf(rng)
        slug = name.split()[0].lower().replace("ã", "a").replace("é", "e").replace("á", "a")
        customers.append(Customer(document=document, name=name, city=city, state=uf,
                                  email=f"{slug}{i}@exemplo.com.br",
                                  phone=f"({rng.randint(11, 99)}) 9{rng.randint(1000, 9999)}-"
                                        f"{rng.randint(1000, 9999)}",
                                  active=i % 13 != 0))
    return customers


def _suppliers(rng: random.Random) -> list[Supplier]:
    return [Supplier(cnpj=random_cnpj(rng),
                     legal_name=f"{rng.choice(COMPANY)} {rng.choice(LAST)} S.A.",
                     trade_name=f"{rng.choice(LAST)} "
                                f"{rng.choice(('Atacado', 'Indústria', 'Importadora'))}",
                     contact_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                     email=f"vendas{i}@fornecedor.com.br") for i in range(8)]


def _products(rng: random.Random, suppliers: list[Supplier]) -> list[Product]:
    products = []
    for cat_name, items in CATALOG.items():
        category = Category(name=cat_name, description=f"Produtos de {cat_name.lower()}")
        db.session.add(category)
        for item_index, (name, unit, price) in enumerate(items):
            price = Decimal(str(price))
            products.append(Product(
                sku=f"{cat_name[:3].upper()}-{item_index + 1:04d}", name=name, unit=unit,
                category=category, supplier=rng.choice(suppliers), price=price,
                cost=(price * Decimal("0.62")).quantize(Decimal("0.01")),
                min_stock=Decimal(rng.choice((5, 10, 20))),
            ))
    db.session.add_all(products)
    return products


def _orders(rng: random.Random, customers: list[Customer], sellable: list[Product]) -> None:
    """Orders along the whole life cycle over the last year, with their receivables."""
    start = datetime.now() - timedelta(days=330)
    statuses = [order_rules.DRAFT] * 5 + [order_rules.CONFIRMED] * 8 + \
        [order_rules.DELIVERED] * 10 + [order_rules.CANCELLED] * 3 + [order_rules.INVOICED] * 4
    for index, target in enumerate(statuses):
        ordered_at = start + timedelta(days=index * 11, hours=rng.randint(8, 18))
        order = Order(customer=rng.choice(customers), ordered_at=ordered_at)
        for product in rng.sample(sellable, rng.randint(1, 4)):
            order.items.append(OrderItem(product=product, unit_price=product.price,
                                         quantity=Decimal(rng.randint(1, 2))))
        db.session.add(order)
        db.session.flush()
        for status in _path_to(target):
            order.status = status
            db.session.flush()
        if target in (order_rules.INVOICED, order_rules.DELIVERED):
            _receivable(order, ordered_at.date() + timedelta(days=30))


def _receivable(order: Order, due: date) -> None:
    paid = due - timedelta(days=2) if due < date.today() - timedelta(days=20) else None
    db.session.add(FinancialEntry(
        kind="receber", description=f"Pedido {order.number}",
        amount=sum(item.subtotal for item in order.items), due_date=due,
        customer=order.customer, order=order, paid_at=paid))


def _payables(rng: random.Random, suppliers: list[Supplier]) -> None:
    today = date.today()
    for i in range(14):
        db.session.add(FinancialEntry(
            kind="pagar", description=f"Compra de mercadorias NF {1000 + i}",
            amount=Decimal(rng.randint(300, 4500)), supplier=rng.choice(suppliers),
            due_date=today + timedelta(days=rng.randint(-20, 40)),
            paid_at=today - timedelta(days=1) if i % 3 == 0 else None))
    for i, (description, amount) in enumerate((("Aluguel", 3500), ("Energia elétrica", 820),
                                               ("Internet", 199))):
        db.session.add(FinancialEntry(kind="pagar", description=description,
                                      amount=Decimal(amount),
                                      due_date=today + timedelta(days=5 * i - 3)))


def _path_to(target: str) -> list[str]:
    if target == order_rules.CANCELLED:
        return [order_rules.CONFIRMED, order_rules.CANCELLED]
    path = [order_rules.CONFIRMED, order_rules.INVOICED, order_rules.SHIPPED,
            order_rules.DELIVERED]
    if target == order_rules.DRAFT:
        return []
    return path[: path.index(target) + 1]
