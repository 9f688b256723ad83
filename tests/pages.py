"""Reading the panel's pages the way a browser does: the text of a fragment, a list's
cells, the admin form's successful controls, where a POST lands; and the database as it
is now (expired first), for the screen tests to compare with what the page said."""

import html
import re
from html.parser import HTMLParser

from sqlalchemy import func, select

from admin_app.extensions import db


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def cells(response, column: str) -> list[str]:
    """The text of every list cell of `column` (Flask-Admin's `col-<name>` cells)."""
    body = response.get_data(as_text=True)
    return [text_of(c) for c in
            re.findall(r'<td class="col-%s">(.*?)</td>' % re.escape(column), body, re.S)]


class _FormReader(HTMLParser):
    """The successful controls of the page's admin form, as a browser would submit them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.in_form = False
        self._select = None
        self._select_first = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "admin-form" in (a.get("class") or ""):
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            self._input(name, a)
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def _input(self, name, a):
        kind = (a.get("type") or "text").lower()
        if kind in ("submit", "button", "file"):
            return
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                self.fields[name] = a.get("value") or "y"
            return
        self.fields[name] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        if tag == "select" and self._select:
            self.fields.setdefault(self._select, self._select_first or "")
            self._select = None
        if tag == "textarea" and self._textarea:
            # as a browser does: line breaks normalized, the one right after <textarea>
            # dropped, and sent back as CRLF
            text = self.fields[self._textarea].replace("\r\n", "\n").replace("\r", "\n")
            text = text[1:] if text.startswith("\n") else text
            self.fields[self._textarea] = text.replace("\n", "\r\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def read_form(response) -> dict[str, str]:
    assert response.status_code == 200, response.status_code
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    assert "csrf_token" in reader.fields, "the form carries no CSRF token"
    return reader.fields


def landed(client, response):
    """The page the user ends on after a POST: the response itself or where it redirects."""
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
        assert response.status_code == 200
    return response


def fresh(model, **where):
    db.session.expire_all()
    query = select(model).filter_by(**where) if where else select(model)
    return db.session.scalars(query).unique().all()


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))
