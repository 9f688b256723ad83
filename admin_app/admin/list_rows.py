"""A list page's rows, prepared in Python for templates/admin/gestao/list.html.

Flask-Admin's list template renders every cell through a context call and every row action
through a macro (translated titles, URL building, the delete form's fields), about 40 Jinja
calls per row: most of a page's time once the rows are read through an index. Here each row
becomes its id, its cells and its action links in one pass, with everything that is the
same for every row (URL bases, titles, the return URL) computed once per page.
"""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask_admin.model import template

#: The row actions a list prints (delete is a form, printed by the template): the only
#: row-action path of the panel, Flask-Admin's per-row macros are not used.
LINKS = {
    template.ViewRowAction: (".details_view", "fa fa-eye glyphicon glyphicon-eye-open"),
    template.EditRowAction: (".edit_view", "fa fa-pencil glyphicon glyphicon-pencil"),
}


@dataclass
class ListRow:
    pk: str
    cells: list          # (column name, label, formatted value) in list order
    links: list          # (url, title, icon class) of the view/edit actions
    version: object      # the row's version, posted with its delete (optimistic locking)


def prepare_rows(view, rows, actions, return_url: str) -> list[ListRow]:
    """The page's rows ready to print. Editable cells and popup or extra row actions
    are Flask-Admin macro features this panel does not use: asking for one is an error."""
    if view.column_editable_list:
        raise TypeError(f"{type(view).__name__}: lists print their rows in Python "
                        "(list_rows.py), editable cells are not supported")
    links = []
    for action in actions:
        if type(action) is template.DeleteRowAction:
            continue
        if type(action) not in LINKS:
            raise TypeError(f"{type(view).__name__}: row action {type(action).__name__} "
                            "is not printed by list_rows.py")
        endpoint, icon = LINKS[type(action)]
        links.append((view.get_url(endpoint), str(action.title or ""), icon))
    tail = "&" + urlencode({"url": return_url}) if return_url else ""
    shown = view.shown_column_names()
    columns = [(name, str(label)) for name, label in view._list_columns if name in shown]
    formatters, type_formatters = view.column_formatters, view.column_type_formatters
    prepared = []
    for row in rows:
        pk = str(view.get_pk_value(row))
        key = quote(pk, safe="")
        prepared.append(ListRow(
            pk=pk,
            # formatters get no Jinja context here (none of this app's uses it)
            cells=[(name, label,
                    view._get_list_value(None, row, name, formatters, type_formatters))
                   for name, label in columns],
            links=[(f"{base}?id={key}{tail}", title, icon) for base, title, icon in links],
            version=getattr(row, "version", None),
        ))
    return prepared
