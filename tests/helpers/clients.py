"""The test client the app uses in the tests (each request in an app context of its own, as
under a real server) and a file upload built the way a browser sends it."""

import contextvars
import io

from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.helpers.auth import csrf_token


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as under a real server.

    Tests hold an app context open (for factories and queries); without this, Flask would
    reuse it for every request, sharing `g` (the logged-in user, the CSRF token, the locale)
    and the database session between clients. The request runs in an empty
    `contextvars.Context`, where no app context is current, so Flask pushes a new one for it
    (and for each redirect followed); the test's own context is left as it was.
    """

    def open(self, *args, **kwargs):
        kwargs["buffered"] = True  # streamed responses finish inside their own context
        return contextvars.Context().run(super().open, *args, **kwargs)


def post_file(client, url: str, data: bytes, name: str):
    """POST a file with the page's CSRF token, the multipart body built in memory (the test
    client spools a big one to a temporary file it never closes)."""
    boundary, body = encode_multipart(MultiDict([
        ("csrf_token", csrf_token(client)), ("file", FileStorage(io.BytesIO(data), name))]))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
