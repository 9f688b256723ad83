"""The one save of every restore: the changes written in one transaction whose audit
entries say which version came back; whatever the database or the rules refuse becomes a
`RestoreRefused`, with everything rolled back."""

from contextlib import contextmanager

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from admin_app.audit import RESTORED_KEY
from admin_app.extensions import db
from admin_app.i18n import gettext
from admin_app.models.base import first_version
from admin_app.rules import BusinessRuleError

from .errors import describe_integrity_error
from .restore_text import RestoreRefused


@contextmanager
def _signed(number: int, starting_version: int | None):
    session = db.session
    session.info[RESTORED_KEY] = number
    token = first_version.set(starting_version)
    try:
        yield session
    finally:
        first_version.reset(token)
        session.info.pop(RESTORED_KEY, None)


def save_restore(view, model, number: int, write, form=None,
                 starting_version: int | None = None) -> None:
    """Run `write()` (it sets the values or adds the records), the screen's own save hooks
    when a form is given, and commit. `starting_version`: the version a re-created record
    starts at (it goes on numbering where it stopped)."""
    created = form is None
    with _signed(number, starting_version) as session:
        try:
            write()
            if form is not None:
                view._on_model_change(form, model, False)
            session.commit()
        except BusinessRuleError as exc:
            session.rollback()
            raise RestoreRefused("RULE", reason=exc) from exc
        except IntegrityError as exc:
            session.rollback()
            raise RestoreRefused("RULE", reason=describe_integrity_error(
                exc, view.field_labels())) from exc
        except DataError as exc:
            session.rollback()
            raise RestoreRefused("RULE", reason=gettext(
                "A value does not fit the database (too long or out of range).")) from exc
        except StaleDataError as exc:
            session.rollback()
            raise RestoreRefused("CONCURRENT", record=model) from exc
    if form is not None:
        view.after_model_change(form, model, created)
