"""The project's own translatable strings (domain `messages`, catalog in translations/)."""

from flask import has_request_context, request, session
from flask_babel import gettext, lazy_gettext, ngettext  # noqa: F401

SUPPORTED_LOCALES = ("pt_BR", "en")


def select_locale() -> str:
    """Portuguese by default; `?lang=en` switches and is remembered in the session."""
    if not has_request_context():
        return "pt_BR"
    wanted = request.args.get("lang")
    if wanted in SUPPORTED_LOCALES:
        session["lang"] = wanted
    lang = session.get("lang")
    return lang if lang in SUPPORTED_LOCALES else "pt_BR"
