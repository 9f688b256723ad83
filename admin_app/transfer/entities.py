"""What each importable screen is keyed by, and how a cell names a related record.

Natural keys decide between create and update (a customer by CPF/CNPJ, a supplier by CNPJ,
a product by SKU, a category by name; a financial entry has none, so each line is a new
one). A related record is found by its key, or by a name only one record has.
"""

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from admin_app.extensions import db
from admin_app.i18n import lazy_gettext as _l
from admin_app.models import Category, Customer, Order, Product, Supplier

from . import words
from .values import BadCell, plain_text

IN_PARENTHESES = re.compile(r"\(([\d./\-\s]+)\)\s*$")


@dataclass(frozen=True)
class Keyed:
    field: str                       # the model attribute (and form field) of the key
    normalise: object = str          # cell text -> the stored key

    def stored(self, text: str):
        return self.normalise(text)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _casefolded(text: str) -> str:
    return " ".join(text.split())


#: endpoint -> its natural key (None: every line creates a record).
KEYS = {
    "customer": Keyed("document", _digits),
    "supplier": Keyed("cnpj", _digits),
    "category": Keyed("name", _casefolded),
    "product": Keyed("sku", lambda t: t.strip()),
    "financialentry": None,
}
IMPORTABLE = tuple(KEYS)


def find_existing(model, key: Keyed, values: list):
    """stored key -> record, for the keys of a file (a query per thousand keys)."""
    column = getattr(model, key.field)
    found = {}
    values = sorted(set(values))
    for start in range(0, len(values), 1000):
        chunk = values[start:start + 1000]
        if model is Category:
            rows = db.session.scalars(select(model).where(
                func.lower(column).in_([v.lower() for v in chunk])))
            found.update({getattr(r, key.field).lower(): r for r in rows})
        else:
            rows = db.session.scalars(select(model).where(column.in_(chunk)))
            found.update({getattr(r, key.field): r for r in rows})
    return found


def lookup_key(model, stored):
    return stored.lower() if model is Category else stored


class RelatedFinder:
    """A cell naming a customer, supplier, category, product or order -> that record's id,
    each distinct text looked up once per import."""

    def __init__(self):
        self._cache = {}
        #: The records found, held so the session's identity map (weak) keeps them: the
        #: form's picker then gets each from memory instead of a query per line.
        self._kept = {}

    def id_of(self, model, cell) -> str:
        text = plain_text(cell)
        if not text:
            return ""
        cache_key = (model, text)
        if cache_key not in self._cache:
            try:
                self._cache[cache_key] = ("ok", self._find(model, text))
            except BadCell as problem:
                self._cache[cache_key] = ("bad", problem)
        state, value = self._cache[cache_key]
        if state == "bad":
            raise value
        return value

    def _find(self, model, text: str) -> str:
        what, key_name, by_key, by_name = SEARCHES[model]
        record_ids = list(db.session.scalars(by_key(text))) if by_key else []
        if not record_ids and by_name is not None:
            record_ids = list(db.session.scalars(by_name(text).limit(2)))
            if len(record_ids) > 1:
                raise BadCell(words.AMBIGUOUS % {"value": text, "what": what, "key": key_name})
        if not record_ids:
            raise BadCell(words.NOT_FOUND % {"what": what, "value": text})
        self._kept[(model, str(record_ids[0]))] = db.session.get(model, record_ids[0])
        return str(record_ids[0])

    def record(self, model, record_id: str):
        """A record this finder found, by the id `id_of` gave (None if it found none)."""
        return self._kept.get((model, record_id))


class KnownRecordsLoader:
    """A picker's loader that answers from the records the finder already holds.

    Flask-Admin's loader asks the session for the id as the form posted it, a string; the
    identity map is keyed by the integer, so every line cost a query (38 % of a product
    preview, measured). Anything the finder did not find goes to the picker's own loader."""

    def __init__(self, loader, model, finder: RelatedFinder):
        self._loader, self._model, self._finder = loader, model, finder

    def get_one(self, pk):
        found = self._finder.record(self._model, str(pk))
        return found if found is not None else self._loader.get_one(pk)

    def __getattr__(self, name):
        return getattr(self._loader, name)


def _document_of(text: str) -> str | None:
    """The CPF/CNPJ a cell holds: alone, formatted or not, or in parentheses after a name
    ("Ana Ribeiro (529.982.247-25)", as the panel writes a customer)."""
    inside = IN_PARENTHESES.search(text)
    candidate = (inside[1] if inside else text).strip()
    digits = _digits(candidate)
    if len(digits) in (11, 14) and all(ch.isdigit() or ch in ".-/ " for ch in candidate):
        return digits
    return None


def _customer_by_key(text):
    document = _document_of(text)
    return select(Customer.id).where(Customer.document == document) if document else None


def _supplier_by_key(text):
    document = _document_of(text)
    return select(Supplier.id).where(Supplier.cnpj == document) if document else None


def _with_key(build):
    """A key search that may not apply to this text (then it finds nothing)."""
    def search(text):
        query = build(text)
        return query if query is not None else select(Customer.id).where(False)
    return search


#: model -> (what it is called, its key's name, search by key, search by name)
SEARCHES = {
    Customer: (_l("customer"), "CPF/CNPJ", _with_key(_customer_by_key),
               lambda t: select(Customer.id).where(Customer.name == t)),
    Supplier: (_l("supplier"), "CNPJ", _with_key(_supplier_by_key),
               lambda t: select(Supplier.id).where(
                   or_(Supplier.legal_name == t, Supplier.trade_name == t))),
    Category: (_l("category"), _l("name"),
               lambda t: select(Category.id).where(func.lower(Category.name) == t.lower()),
               None),
    Product: (_l("product"), "SKU", lambda t: select(Product.id).where(Product.sku == t),
              lambda t: select(Product.id).where(Product.name == t)),
    Order: (_l("order"), _l("number"), lambda t: select(Order.id).where(Order.number == t),
            None),
}
