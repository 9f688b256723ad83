"""The model screens of one app, found by endpoint or model name. Kept in the app's
extensions (registry.py fills it), never in module state or Flask-Admin's private list."""

from flask import current_app

EXTENSION_KEY = "gestao_screens"


class Screens:
    """The model screens of one app, by endpoint (`customer`) and by model name (`Customer`):
    kept in `app.extensions`, so two apps in one process (the tests make many) never see
    each other's."""

    def __init__(self):
        self.by_endpoint: dict[str, object] = {}
        self.by_model_name: dict[str, object] = {}

    def add(self, view) -> None:
        self.by_endpoint[view.endpoint] = view
        self.by_model_name[view.model.__name__] = view


def screens(app=None) -> Screens:
    """The screens of `app` (the current one by default)."""
    return (app or current_app).extensions[EXTENSION_KEY]
