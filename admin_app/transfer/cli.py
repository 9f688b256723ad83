"""`python manage.py export ENTITY --format csv|xlsx --output FILE [--search TEXT]`: a list
exported from the command line exactly as its screen's "Exportar" writes it; and
`python manage.py import ENTITY FILE [--dry-run]`, the screen's import (exit 0 when it
applied or would apply, 1 when the file has errors or was refused, 2 for a bad entity)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from admin_app.admin import registry
from admin_app.extensions import db

from . import apply as applying
from . import entities, export, plan as planning, reading, words

CLI_ACTOR = "cli"

FORMATS = ("csv", "xlsx")


def screen(endpoint: str):
    """The list screen of an endpoint name (`customer`, `product`, …), or exit 2."""
    view = registry.model_screen(current_app, endpoint)
    if view is None:
        names = ", ".join(registry.model_endpoints(current_app))
        raise click.UsageError(f"unknown entity {endpoint!r}; one of: {names}")
    return view


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
        rows = export.Counted(rows)
        if file_format == "csv":
            with open(output, "w", encoding="utf-8", newline="") as target:
                for chunk in export.csv_chunks(view, rows):
                    target.write(chunk)
        else:
            export.write_xlsx(view, rows, output)
    click.echo(f"{rows.count} rows exported to {output}")


@click.command("import")
@click.argument("entity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Preview only: classify every line, write nothing.")
@with_appcontext
def import_command(entity, file, dry_run):
    """Import a CSV or XLSX FILE into ENTITY (customer, supplier, category, product,
    financialentry): new records are created, those found by their key updated."""
    if entity not in entities.IMPORTABLE:
        raise click.UsageError(f"{entity!r} cannot be imported; one of: "
                               + ", ".join(entities.IMPORTABLE))
    view = screen(entity)
    config = current_app.config
    with current_app.test_request_context(view.url + "/"):
        try:
            plan = planning.preview(view, file.name, file.read_bytes(),
                                    config["GESTAO_IMPORT_MAX_ROWS"],
                                    config["GESTAO_IMPORT_MAX_MB"])
        except reading.FileProblem as problem:
            raise click.ClickException(str(problem)) from None
        _print_plan(plan)
        if not plan.ok:
            db.session.rollback()
            raise SystemExit(1)
        if dry_run:
            db.session.rollback()
            click.echo(str(words.DRY_RUN))
            return
        run = applying.record_preview(plan, None, CLI_ACTOR)
        db.session.commit()
        try:
            applying.apply(view, plan, run, None, CLI_ACTOR)
        except applying.ImportRefused as refusal:
            click.echo(str(refusal), err=True)
            raise SystemExit(1) from None
        click.echo(words.APPLIED % {"id": run.id})


def _print_plan(plan) -> None:
    click.echo(words.SUMMARY % {
        "file": plan.file_name, "lines": len(plan.lines),
        **{status: plan.count(status) for status in (planning.NEW, planning.CHANGED,
                                                     planning.UNCHANGED, planning.ERROR)}})
    for line in plan.lines:
        for label, old, new in line.changes:
            click.echo(f"  {line.key}: {label}: {old} → {new}")
    for message in plan.error_messages():
        click.echo(message, err=True)
