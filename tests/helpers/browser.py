"""Helpers for the real-browser tests (tests/test_browser.py): Debian's chromium driven by
Playwright, the app served by a real WSGI server on 127.0.0.1, and a watcher that records the
JavaScript errors, the Content-Security-Policy violations and the static assets that failed to
load.

Nothing here downloads a browser: Playwright only drives the chromium the system provides
(`make test` installs Debian's package when it is missing).
"""

import os
import shutil
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
STATIC_PREFIXES = ("/static/", "/admin/static/")
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});"""


def words(text: str) -> str:
    """A text as a person reads it: its words, one space apart."""
    return " ".join(text.split())


def unavailable(reason: str):
    """Without a browser the tests cannot run: a failure in CI, a skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI; `make test` installs chromium)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        if found is None:
            unavailable(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
        return found
    return CHROMIUM


class LiveServer:
    """The Flask app behind werkzeug's threaded WSGI server, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="browser-test-server", daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def is_static(url: str) -> bool:
    return urlsplit(url).path.startswith(STATIC_PREFIXES)


@dataclass
class PageWatcher:
    """Everything that went wrong in the browser while the scenarios ran."""

    problems: list[str] = field(default_factory=list)
    pages_seen: set[str] = field(default_factory=set)
    expected_failures: set[str] = field(default_factory=set)

    def expect_failure(self, url: str) -> None:
        """A page a scenario opens on purpose to see it refused (403): its console line
        "Failed to load resource" is no fault."""
        self.expected_failures.add(url)

    def watch(self, page) -> None:
        # Every Content-Security-Policy violation, as the page itself hears of it.
        page.add_init_script(CSP_LISTENER)
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.problems.append(
            f"uncaught JavaScript error on {page.url}: {exc}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)
        page.on("framenavigated", lambda frame: frame == page.main_frame and
                self.pages_seen.add(urlsplit(frame.url).path))

    def _console(self, page, msg) -> None:
        location = msg.location or {}
        if msg.type == "error" and not (location.get("url") in self.expected_failures
                                        and msg.text.startswith("Failed to load resource")):
            self.problems.append(f"console error on {page.url}: {msg.text} "
                                 f"({location.get('url', '')}:{location.get('lineNumber', '')})")

    def _request_failed(self, request) -> None:
        # ERR_ABORTED: the page was left before the file arrived (a navigation, not a fault);
        # a file that is missing or broken answers >= 400 and is caught in `_response`.
        if is_static(request.url) and "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"static asset failed: {request.url} ({request.failure})")

    def _response(self, response) -> None:
        if is_static(response.url) and response.status >= 400:
            self.problems.append(f"static asset answered {response.status}: {response.url}")
