"""Create a related record without leaving the form (Django admin's "+", Flask-Admin #472):
next to the picker of a customer, supplier, category or product, a "+" opens that screen's
create form in a modal (admin_app/static/quick_create.js); saving it selects the new record
in the picker, and a form with errors comes back into the modal, so the main form keeps
everything typed in it.

The modal's form is the screen's own create form, validated and saved by the screen itself
(`/admin/<entity>/quick/`): its validators, business rules, audit trail, CSRF and the right
to create are those of the full screen. Its fields carry a prefix, so their ids never clash
with the main form's."""

from flask import abort, get_flashed_messages, jsonify, request, url_for
from flask_admin import expose
from flask_admin.form import FormOpts
from flask_admin.helpers import get_form_data
from sqlalchemy import inspect
from sqlalchemy.orm import RelationshipProperty

from admin_app.i18n import gettext

from .screens import screens

PREFIX = "quick"


def _related_models(model) -> dict[str, type]:
    """Field name -> the model of every many-to-one relationship of `model`."""
    return {prop.key: prop.mapper.class_ for prop in inspect(model).relationships
            if isinstance(prop, RelationshipProperty) and prop.direction.name == "MANYTOONE"}


class QuickCreate:
    """Mixed into GestaoModelView. `quick_create = True` (per-model options) offers the
    screen's create form in a modal next to its pickers on other screens."""

    quick_create = False

    def quick_create_targets(self) -> dict[str, dict]:
        """Picker field name -> where its "+" posts and how it is named, for the pickers of
        this screen's form and of its inline rows whose screen the user may create in."""
        related = _related_models(self.model)
        for inline in getattr(self, "inline_models", None) or ():
            model = inline[0] if isinstance(inline, tuple) else getattr(inline, "model", None)
            if model is not None:
                related.update(_related_models(model))
        found = {}
        for name, model in related.items():
            view = screens().by_model_name.get(model.__name__)
            if view is not None and view.quick_create and view.can_create:
                found[name] = {"url": url_for(f"{view.endpoint}.quick_create_view"),
                               "title": gettext("Create %(label)s",
                                                label=str(view.label).lower())}
        return found

    @expose("/quick/", methods=("GET", "POST"))
    def quick_create_view(self):
        """The create form as a fragment for the modal; a POST answers the new record's id
        and label (JSON), or the form again with its errors (HTML: the browser's console
        would report a 4xx answer as an error)."""
        if not self.quick_create:
            abort(404)
        form = self._create_form_class(get_form_data(), prefix=PREFIX)
        self._validate_form_instance(ruleset=self._form_create_rules, form=form)
        if request.method == "POST":
            model = self.create_model(form) if self.validate_form(form) else None
            if model:
                return jsonify(id=str(self.get_pk_value(model)), text=str(model))
        opts = FormOpts(widget_args=self.form_widget_args, form_rules=self._form_create_rules)
        return self.render("admin/gestao/quick_create.html", form=form, form_opts=opts,
                           messages=get_flashed_messages(with_categories=True))
