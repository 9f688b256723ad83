"""What the sign-in says to people, apart from the code that decides (see lockout.py,
sessions.py). Every sentence is in the project's catalog (pt_BR by default)."""

from admin_app.i18n import lazy_gettext as _l

#: The same words whether the password was right, wrong, or the e-mail unknown.
LOCKED = _l("Too many failed sign-ins for this e-mail. Access is blocked for %(minutes)d "
            "minutes; try again later or ask an administrator to unlock it.")
SESSION_ENDED = {
    "idle": _l("Your session ended after %(minutes)d minutes without activity. "
               "Please sign in again."),
    "lifetime": _l("Your session reached its maximum length of %(hours)d hours. "
                   "Please sign in again."),
}
SESSION_REVOKED = _l("Your session was ended (password, role or second factor changed, or "
                     "the account was deactivated). Please sign in again.")
LAST_SIGN_IN = _l("Your previous sign-in: %(when)s from %(ip)s.")
FIRST_SIGN_IN = _l("This is your first sign-in.")
TOO_MANY_REQUESTS = _l("Too many attempts")
TOO_MANY_REQUESTS_TEXT = _l("Too many attempts from your address in a short time. Wait a "
                            "minute and try again; nothing was changed.")
FIELD_TOO_LONG = _l("The e-mail or the password is too long.")
