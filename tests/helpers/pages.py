"""What a panel page shows, read the way a person reads it: the text of a fragment, a list's
cells, the flashed messages, a field's errors, a details page, an exported CSV."""

import csv
import html
import io
import re

_ALERT_RE = re.compile(r'<div class="alert alert-(\w+)[^"]*"[^>]*>(.*?)</div>', re.S)


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def cells(response, column: str) -> list[str]:
    """The text of every list cell of `column` (Flask-Admin's `col-<name>` cells)."""
    body = response.get_data(as_text=True)
    return [text_of(c) for c in
            re.findall(r'<td class="col-%s"[^>]*>(.*?)</td>' % re.escape(column), body, re.S)]


def alerts(response) -> list[tuple[str, str]]:
    """The flashed messages on the page, as (bootstrap kind, text)."""
    body = response.get_data(as_text=True)
    found = []
    for kind, fragment in _ALERT_RE.findall(body):
        fragment = re.sub(r"<button.*?</button>", "", fragment, flags=re.S)
        found.append((kind, text_of(fragment)))
    return found


def field_errors(response, field: str) -> list[str]:
    """The errors shown right under the field `field` of the form (after the input group
    of a money box, which carries its currency symbol)."""
    body = response.get_data(as_text=True)
    control = r'<(?:input|select|textarea)[^>]*\bid="%s"[^>]*>' % re.escape(field)
    match = re.search(control + r'(?:.*?</(?:select|textarea)>)?(?:\s*</div>)?'
                      r'\s*<div class="invalid-feedback">(.*?)</div>', body, re.S)
    if not match:
        return []
    return [text_of(li) for li in re.findall(r"<li>(.*?)</li>", match[1], re.S)]


def details(response) -> dict[str, str]:
    """Label -> value of a details page."""
    body = response.get_data(as_text=True)
    table = body[body.find('<table class="table table-hover table-bordered searchable">'):]
    rows = re.findall(r"<tr>\s*<td>\s*<b>(.*?)</b>\s*</td>\s*<td>(.*?)</td>\s*</tr>", table, re.S)
    return {text_of(k): text_of(v) for k, v in rows}


def csv_rows(response) -> list[list[str]]:
    """An exported CSV as rows of cells (spaces normalised as in `text_of`): in Portuguese,
    as Brazilian Excel reads it (a byte-order mark, `;` between cells)."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = csv.reader(io.StringIO(text[1:]), delimiter=";")
    return [[" ".join(cell.split()) for cell in row] for row in rows]
