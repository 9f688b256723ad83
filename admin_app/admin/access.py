"""Who may do what: the one permission table every admin screen consults.

Django's `has_{view,add,change,delete}_permission` idea: a view declares which roles
read and which roles write; `allowed(action)` answers for the current user.
"""

from flask import abort, current_app, redirect, request, url_for
from flask_security import check_and_update_authn_fresh, current_user, url_for_security
from flask_security.utils import do_flash, get_message

from admin_app.models.auth import ADMIN, EDITOR, READER

EVERYONE = frozenset({ADMIN, EDITOR, READER})
WRITERS = frozenset({ADMIN, EDITOR})
ADMINS = frozenset({ADMIN})

READ_ACTIONS = frozenset({"list", "details", "export"})
WRITE_ACTIONS = frozenset({"create", "edit", "delete"})

# Flask-Admin view method name -> the action it performs.
VIEW_ACTIONS = {
    "index_view": "list",
    "details_view": "details",
    "export": "export",
    "ajax_lookup": "list",
    "create_view": "create",
    "quick_create_view": "create",
    "edit_view": "edit",
    "ajax_update": "edit",
    "delete_view": "delete",
    "import_view": "create",
    "import_apply": "create",
}


def user_has_role(roles) -> bool:
    return bool(current_user.is_authenticated and current_user.active
                and any(current_user.has_role(r) for r in roles))


def login_redirect():
    """To the login page, coming back afterwards to the page that was asked for."""
    return redirect(url_for("security.login", next=request.full_path.rstrip("?")))


def gate(is_allowed):
    """The way into every panel page: anonymous -> the login page (and back afterwards);
    signed in but not allowed (`is_allowed()` false: no role for it, or inactive) -> 403.
    None lets the request through."""
    if not current_user.is_authenticated:
        return login_redirect()
    if not is_allowed():
        abort(403)
    return None


class Gated:
    """Mixed in before Flask-Admin's view class: its pages go through `gate` with the
    view's own `is_accessible` (Flask-Admin's default would hide them behind a 403 for
    anonymous users too)."""

    def _handle_view(self, name, **kwargs):
        return gate(self.is_accessible)


class SignedInPages(Gated):
    """Pages with no menu entry, open to any active signed-in user: each of their pages
    checks the rule of the screen it acts on (history, restores, saved views)."""

    def is_visible(self):
        return False

    def is_accessible(self):
        return current_user.is_authenticated and current_user.active


def fresh_sign_in_or_verify(back_to: str):
    """None when the user typed their password within `GESTAO_REAUTH_MINUTES` (Flask-Security's
    freshness); otherwise the redirect to its "confirm your password" page, back to `back_to`
    afterwards. For the sensitive actions: users, roles, second factors, migrations."""
    config = current_app.config
    if check_and_update_authn_fresh(config["SECURITY_FRESHNESS"],
                                    config["SECURITY_FRESHNESS_GRACE_PERIOD"]):
        return None
    do_flash(*get_message("REAUTHENTICATION_REQUIRED"))
    return redirect(url_for_security("verify", next=back_to))
