"""The forms every model screen is built on: Flask-WTF's CSRF token in Flask-Admin's base form
(the token CSRFProtect checks), and the version a form was rendered from (optimistic
locking: a save from a stale form is refused)."""

from flask_admin.form import BaseForm
from flask_admin.helpers import get_current_view
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms import HiddenField

from .fields import clean_formdata


class VersionField(HiddenField):
    """The version the form was rendered from; never written to the model."""

    def populate_obj(self, obj, name):
        pass


class CsrfForm(BaseForm):
    """Flask-Admin's base form carrying Flask-WTF's CSRF token (the one CSRFProtect checks)."""

    class Meta:
        csrf = True
        csrf_class = _FlaskFormCSRF
        csrf_field_name = "csrf_token"
        csrf_secret = None
        csrf_time_limit = None

        @property
        def csrf_context(self):
            from flask import session
            return session

        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            view = get_current_view()
            return clean_formdata(formdata, getattr(view, "_form_ajax_refs", None) or {})
