"""The AJAX pickers (a product on an order item, a customer on an order) search through the
same substring indexes as the lists: Flask-Admin's loader matches `CAST(col AS VARCHAR)
ILIKE '%term%'`, which reads the whole related table on every keystroke."""

from flask_admin.contrib.sqla.ajax import DEFAULT_PAGE_SIZE, QueryAjaxModelLoader

from admin_app import search as text_search
from admin_app.extensions import db


class IndexedAjaxLoader(QueryAjaxModelLoader):
    def get_list(self, term: str, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE):
        query = self.get_query()
        dialect = db.session.get_bind().dialect.name
        for word in term.replace("\x00", "").split():
            query = query.filter(text_search.matches(self._cached_fields, word, dialect))
        if self.order_by:
            query = query.order_by(self.order_by)
        return query.offset(offset).limit(limit).all()
