"""Walk the SQLAlchemy registry and build one screen per mapped model.

A model added later gets a working screen with no view code; an entry in
`options.OPTIONS` only tunes it.
"""

from admin_app.extensions import db
from admin_app.i18n import lazy_gettext as _l

from .base import GestaoModelView
from .options import OPTIONS, screen_labels
from .screens import EXTENSION_KEY, Screens, screens


def mapped_models() -> list[type]:
    """Every mapped class, in menu order: the options' order, then the rest by name."""
    models = [m.class_ for m in db.Model.registry.mappers]
    known = [m for m in OPTIONS if m in models]
    rest = sorted((m for m in models if m not in OPTIONS), key=lambda m: m.__name__)
    return known + rest


def screen_models() -> list[type]:
    """The mapped models, then the models of other registries that have options (the
    sign-in trail, models/signin.py): those get a screen only by asking for one."""
    models = mapped_models()
    return models + [m for m in OPTIONS if m not in models]


def view_class_for(model: type) -> type[GestaoModelView]:
    options = OPTIONS.get(model)
    bases = (options, GestaoModelView) if options else (GestaoModelView,)
    return type(f"{model.__name__}View", bases, {})


def register_model_views(app, admin) -> None:
    registered = app.extensions[EXTENSION_KEY] = Screens()
    for model in screen_models():
        view_class = view_class_for(model)
        _label, plural = screen_labels(model)
        category = getattr(view_class, "category", None) or _l("Other")
        view = view_class(model, db, name=plural, category=category,
                          endpoint=model.__name__.lower())
        admin.add_view(view)
        registered.add(view)


def model_screen(app, endpoint: str):
    """The model screen of an endpoint name (`customer`, `product`, …) of `app`, or None:
    what the command line and the worker act through."""
    return screens(app).by_endpoint.get(endpoint)


def model_endpoints(app) -> list[str]:
    return sorted(screens(app).by_endpoint)
