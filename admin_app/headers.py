"""Security headers on every response, set in one place (OWASP ASVS 14.4).

Pages may run only the scripts the panel serves itself, or inline ones carrying this
request's nonce (Flask-Admin prints it on its own `<script>` tags through
`Admin(csp_nonce_generator=...)`); nothing can frame them; nothing behind the login is kept
in a browser's or a proxy's cache. Static files keep the caching Flask gives them.

Styles may be inline: pygal's server-side SVG charts carry `<style>` elements and
Bootstrap's widgets set `style` attributes. Images may be `data:` URIs: Bootstrap's form
controls draw their arrows that way, and the two-factor setup page shows its QR code so.
"""

import secrets

from flask import Flask, g, request

STATIC_SUFFIX = "static"
HSTS = "max-age=31536000; includeSubDomains"
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "interest-cohort=()")
FIXED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp_nonce() -> str:
    """This request's script nonce, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def is_static_request() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == STATIC_SUFFIX or endpoint.endswith("." + STATIC_SUFFIX)


def add_security_headers(response, hsts: bool):
    response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    for name, value in FIXED_HEADERS.items():
        response.headers[name] = value
    if hsts:
        response.headers["Strict-Transport-Security"] = HSTS
    if not is_static_request():
        # Pages, exports and JSON are personal data: never stored by a browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    hsts = app.config.get("GESTAO_ENV") == "production"  # HTTPS is then a given
    app.after_request(lambda response: add_security_headers(response, hsts))
    app.jinja_env.globals["csp_nonce"] = csp_nonce
