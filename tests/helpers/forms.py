"""Driving the panel's forms as a browser does: the admin form's successful controls read from
the page, some changed and POSTed back, the page the user lands on, a list filter's argument."""

from html.parser import HTMLParser


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


def submit(client, url: str, changes: dict, follow: bool = False):
    """Open the form at `url`, change some fields (None unticks/empties one) and POST it."""
    fields = read_form(client.get(url))
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return client.post(url, data=fields, follow_redirects=follow)


def landed(client, response):
    """The page the user ends on after a POST: the response itself or where it redirects."""
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
        assert response.status_code == 200
    return response


def filter_arg(app, endpoint: str, column: str, operation: str) -> str:
    """The URL argument of one of a screen's filters (`flt0_<index>`), found by column and
    filter class name, so the test does not depend on the filters' order."""
    admin = app.extensions["gestao_admin"]
    view = next(v for v in admin._views if v.endpoint == endpoint)
    for index, flt in enumerate(view._filters):
        if getattr(flt, "column", None) is not None and flt.column.key == column \
                and type(flt).__name__ == operation:
            return f"flt0_{view.get_filter_arg(index, flt)}"
    raise AssertionError(f"no {operation} filter on {endpoint}.{column}")
