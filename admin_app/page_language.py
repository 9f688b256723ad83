"""Every HTML page says its language (`<html lang="pt-BR">`, or `en`): screen readers choose
their voice by it. Flask-Admin's base template writes a bare `<html>` outside any block a
template could fill, so the answer gets the attribute on its way out."""

from flask import Flask
from flask_babel import get_locale

BARE = b"<html>"


def page_lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "pt-BR"


def add_lang(response):
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    body = response.get_data()
    start = body.find(BARE, 0, 512)
    if start >= 0:
        tag = f'<html lang="{page_lang()}">'.encode()
        response.set_data(body[:start] + tag + body[start + len(BARE):])
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_lang)
    app.jinja_env.globals["page_lang"] = page_lang
