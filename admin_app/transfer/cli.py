"""`python manage.py export ENTITY --format csv|xlsx --output FILE [--search TEXT]`: a list
exported from the command line exactly as its screen's "Exportar" writes it."""

import click
from flask import current_app
from flask.cli import with_appcontext

from . import export

FORMATS = ("csv", "xlsx")


def screen(endpoint: str):
    """The list screen of an endpoint name (`customer`, `product`, …), or exit 2."""
    for view in current_app.extensions["gestao_admin"]._views:
        if view.endpoint == endpoint and getattr(view, "model", None) is not None:
            return view
    names = sorted(v.endpoint for v in current_app.extensions["gestao_admin"]._views
                   if getattr(v, "model", None) is not None)
    raise click.UsageError(f"unknown entity {endpoint!r}; one of: {', '.join(names)}")


class Counted:
    """The rows of an export, counted as they are written."""

    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


@click.command("export")
@click.argument("entity")
@click.option("--format", "file_format", type=click.Choice(FORMATS), default="csv",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The file to write.")
@click.option("--search", default="", help="Only the rows the list's search finds.")
@click.option("--lang", type=click.Choice(("pt_BR", "en")), default="pt_BR", show_default=True,
              help="Language of the headers and values.")
@with_appcontext
def export_command(entity, file_format, output, search, lang):
    """Export ENTITY's list (sorted as on screen) to a CSV or XLSX file."""
    view = screen(entity)
    query = {"lang": lang, **({"search": search} if search else {})}
    with current_app.test_request_context(view.url + "/", query_string=query):
        _count, rows = view._export_data()
        rows = Counted(rows)
        if file_format == "csv":
            with open(output, "w", encoding="utf-8", newline="") as target:
                for chunk in export.csv_chunks(view, rows):
                    target.write(chunk)
        else:
            export.write_xlsx(view, rows, output)
    click.echo(f"{rows.count} rows exported to {output}")
