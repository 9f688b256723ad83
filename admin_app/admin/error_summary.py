"""The errors of a form that did not save, listed at its top (as GOV.UK's error summary):
each one names its field and links to it, so a keyboard or screen-reader user hears what
went wrong first and reaches the field in one step. Flask-Admin shows each error under its
field only, where it may lie far below the fold (the order's items)."""

from dataclasses import dataclass


@dataclass
class FieldError:
    anchor: str    # the id of the control (or of the inline list) the link jumps to
    label: str
    message: str


def _messages(errors) -> list[str]:
    """The messages of a field's errors, those of an inline list's rows included."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, (list, tuple)):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)] if errors else []


def form_errors(form) -> list[FieldError]:
    """Every error of the form, in the form's order (the CSRF token has a page of its own)."""
    if form is None:
        return []
    found = []
    for field in form:
        if not field.errors or field.type == "CSRFTokenField":
            continue
        label = field.label.text if field.label else field.name
        found += [FieldError(field.id, label, message) for message in _messages(field.errors)]
    return found


def init_app(app) -> None:
    app.jinja_env.globals["form_errors"] = form_errors
