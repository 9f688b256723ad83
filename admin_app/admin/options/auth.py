"""Options for users, roles and the audit trail: administrators only."""

import uuid

from flask import flash, g, url_for
from flask_admin.actions import action
from markupsafe import Markup

from flask_security import current_user, hash_password
from sqlalchemy import func, inspect, select
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from admin_app import formats
from admin_app.admin import access
from admin_app.admin.history import (ACTION_LABELS, load_referenced, readable_changes,
                                     view_for_entity)
from admin_app.config import MIN_PASSWORD_LENGTH
from admin_app.extensions import db
from admin_app.i18n import lazy_gettext as _l
from admin_app.models import AuditEntry, ImportRun, Job, Role, User
from admin_app.models import signin as signin_models
from admin_app.models.auth import ADMIN, ROLE_NAMES
from admin_app.rules import BusinessRuleError
from admin_app.signin import lockout, sessions, two_factor

ADMINISTRATION = _l("Administration")


def active_admin_count(excluding_id: int | None = None) -> int:
    query = (select(func.count(User.id.distinct())).join(User.roles)
             .where(Role.name == ADMIN, User.active.is_(True)))
    if excluding_id is not None:
        query = query.where(User.id != excluding_id)
    return db.session.scalar(query)


class UserOptions:
    """A password is typed in `new_password`, stored hashed (argon2), never shown."""
    label, label_plural, category = _l("User"), _l("Users"), ADMINISTRATION
    read_roles = write_roles = access.ADMINS
    column_list = ("email", "active", "roles", "tf_primary_method", "last_login_at",
                   "login_count", "locked_until")
    column_details_list = ("email", "active", "roles", "tf_primary_method", "create_datetime",
                           "last_login_at", "current_login_at", "last_login_ip", "login_count",
                           "locked_until")
    column_export_list = ("email", "active", "roles", "last_login_at", "login_count")
    column_labels = {"email": _l("E-mail"), "active": _l("Active"), "roles": _l("Roles"),
                     "last_login_at": _l("Last login"), "login_count": _l("Logins"),
                     "create_datetime": _l("Created at"),
                     "current_login_at": _l("Current login"),
                     "last_login_ip": _l("Last login IP"), "new_password": _l("New password"),
                     "locked_until": _l("Locked until"),
                     "tf_primary_method": _l("Two-factor")}
    column_searchable_list = ("email",)
    column_filters = ("active",)
    column_sortable_list = ("email", "active", "last_login_at")
    column_formatters = {"roles": lambda v, c, m, n: ", ".join(sorted(r.name for r in m.roles)),
                         "locked_until": lambda v, c, m, n: locked_until_cell(m),
                         "tf_primary_method": lambda v, c, m, n: two_factor_cell(m)}
    action_permissions = {"delete": "delete", "unlock": "edit", "reset_two_factor": "edit"}
    writes_need_fresh_sign_in = True
    form_columns = ("email", "active", "roles", "new_password")
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"),
            validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, message=_l(
                "The password must have at least %(min)d characters."))],
            description=_l("Leave empty to keep the current password."),
        ),
    }

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True):
            g.locked_users = lockout.locked_emails(user.email for user in rows)
        return count, rows

    @action("unlock", _l("Unlock sign-in"),
            _l("Lift the sign-in lock of the selected users?"))
    def action_unlock(self, ids):
        users = [self.get_one(i) for i in ids]
        unlocked = [u.email for u in users
                    if u is not None and lockout.unlock(u.email, current_user.email, u)]
        if unlocked:
            flash(_l("Sign-in unlocked for: %(emails)s", emails=", ".join(unlocked)), "success")
        else:
            flash(_l("None of the selected users was locked."), "info")

    @action("reset_two_factor", _l("Reset two-factor"),
            _l("Reset the two-factor sign-in of the selected users? They will be signed out "
               "and must set up their authenticator app again."))
    def action_reset_two_factor(self, ids):
        users = [u for u in (self.get_one(i) for i in ids) if u is not None]
        reset = [u.email for u in users if u.tf_primary_method]
        for user in users:
            if user.tf_primary_method:
                two_factor.reset(user, current_user.email)
        if reset:
            flash(_l("Two-factor sign-in reset for: %(emails)s", emails=", ".join(reset)),
                  "success")
        else:
            flash(_l("None of the selected users had two-factor sign-in."), "info")

    def on_model_change(self, form, model, is_created):
        password = form.new_password.data if hasattr(form, "new_password") else None
        if is_created:
            if not password:
                raise BusinessRuleError("USER_NEEDS_PASSWORD")
            model.fs_uniquifier = uuid.uuid4().hex
        if password:
            model.password = hash_password(password)
        if not is_created:
            reason = sign_out_reason(model, bool(password))  # before a query flushes
            self._keep_an_admin(model)
            if reason:  # ends with this save, in its transaction
                sessions.end_all(model.id, reason, keep_current=model.id == current_user.id)

    def on_model_delete(self, model):
        if model.has_role(ADMIN) and model.active and active_admin_count(model.id) == 0:
            raise BusinessRuleError("LAST_ADMIN_DELETED")

    @staticmethod
    def _keep_an_admin(model):
        still_admin = model.active and any(r.name == ADMIN for r in model.roles)
        if not still_admin and active_admin_count(model.id) == 0:
            raise BusinessRuleError("LAST_ADMIN_DEMOTED")


def locked_until_cell(user) -> str:
    locked = g.get("locked_users")
    if locked is None:  # details page: one user
        locked = lockout.locked_emails([user.email])
    until = locked.get(lockout.normalise(user.email))
    return formats.short_datetime(until) if until else ""


def two_factor_cell(user) -> str:
    return str(_l("Yes") if user.tf_primary_method else _l("No"))


def sign_out_reason(user, password_set: bool) -> str | None:
    """Why an administrator's save must sign the user out everywhere, if it must."""
    state = inspect(user)
    if password_set:
        return "password"
    if state.attrs.active.history.has_changes() and not user.active:
        return "deactivated"
    if state.attrs.roles.history.has_changes():
        return "role"
    return None


class RoleOptions:
    label, label_plural, category = _l("Role"), _l("Roles"), ADMINISTRATION
    read_roles = write_roles = access.ADMINS
    writes_need_fresh_sign_in = True
    column_list = ("name", "description")
    column_labels = {"name": _l("Name"), "description": _l("Description"),
                     "users": _l("Users"), "permissions": _l("Permissions")}
    column_details_list = ("name", "description", "users")
    column_sortable_list = ("name",)
    form_columns = ("name", "description")

    def on_model_delete(self, model):
        if model.name in ROLE_NAMES:
            raise BusinessRuleError("BUILTIN_ROLE_DELETED")


class AdministratorsRecordOptions:
    """A record the panel keeps of its own (audit, sign-ins, imports, jobs): administrators
    read it, nobody writes it, newest first."""
    category = ADMINISTRATION
    read_roles = access.ADMINS
    writes = frozenset()
    column_default_sort = ("created_at", True)


class AuditEntryOptions(AdministratorsRecordOptions):
    """Read-only for everyone, administrators included."""
    label, label_plural = _l("Audit entry"), _l("Audit trail")
    column_list = ("created_at", "actor", "action", "entity", "object_id", "changes")
    column_exclude_list = ()
    column_labels = {"created_at": _l("When"), "actor": _l("Who"), "action": _l("Action"),
                     "entity": _l("Entity"), "object_id": _l("Object id"),
                     "changes": _l("Changes"), "user": _l("User")}
    column_searchable_list = ("object_id",)
    column_filters = ("actor", "entity", "action", "created_at")
    column_sortable_list = ("created_at", "actor", "action", "entity")
    column_formatters = {"changes": lambda v, c, m, n: changes_summary(m),
                         "action": lambda v, c, m, n: str(ACTION_LABELS.get(m.action, m.action)),
                         "object_id": lambda v, c, m, n: history_link(m)}
    column_formatters_export = {"changes": lambda v, c, m, n: changes_summary(m)}

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True):
            rows.referenced = load_referenced(rows)  # kept alive with the page it renders
        return count, rows


def changes_summary(entry) -> str:
    """`Campo: antes → depois; …` with the entity screen's labels, for lists and exports."""
    view = view_for_entity(entry.entity)
    parts = []
    for change in readable_changes(view, entry.changes):
        if change["secret"]:
            parts.append(f"{change['label']}: ••••••")
        elif entry.action == "update":
            parts.append(f"{change['label']}: {change['old']} → {change['new']}")
        else:
            value = change["new"] if entry.action == "create" else change["old"]
            parts.append(f"{change['label']}: {value}")
    return "; ".join(parts)


def history_link(entry):
    view = view_for_entity(entry.entity)
    if view is None:
        return entry.object_id
    url = url_for("history.object_history", entity=entry.entity, object_id=entry.object_id)
    return Markup('<a href="{}">{}</a>').format(url, entry.object_id)


class SignInEventOptions(AdministratorsRecordOptions):
    """The sign-in trail: read-only, administrators only."""
    label, label_plural = _l("Sign-in event"), _l("Sign-in trail")
    column_list = ("created_at", "kind", "email", "ip", "user_agent", "actor")
    column_labels = {"created_at": _l("When"), "kind": _l("Event"), "email": _l("E-mail"),
                     "ip": _l("Address"), "user_agent": _l("Browser"), "actor": _l("By")}
    column_filters = ("email", "kind", "created_at")  # each with an index
    column_sortable_list = ("created_at", "kind", "email")
    column_formatters = {"kind": lambda v, c, m, n: str(EVENT_LABELS.get(m.kind, m.kind))}


class ImportRunOptions(AdministratorsRecordOptions):
    """Every import (and preview) of a file into a list: read-only, administrators only."""
    label, label_plural = _l("Import"), _l("Imports")
    column_list = ("created_at", "actor", "entity", "file_name", "status", "rows", "created",
                   "changed", "unchanged", "errors")
    column_details_list = column_list + ("message", "finished_at")
    column_labels = {"created_at": _l("When"), "actor": _l("Who"), "entity": _l("Entity"),
                     "file_name": _l("File"), "status": _l("Status"), "rows": _l("Lines"),
                     "created": _l("New"), "changed": _l("Changed"),
                     "unchanged": _l("Unchanged"), "errors": _l("With errors"),
                     "message": _l("Message"), "finished_at": _l("Finished at")}
    column_filters = ("entity", "status", "created_at")  # each with an index
    column_sortable_list = ("created_at", "entity", "status")
    column_formatters = {"status": lambda v, c, m, n: str(IMPORT_STATUS.get(m.status, m.status))}


class JobOptions(AdministratorsRecordOptions):
    """The worker's jobs (big imports and exports): read-only, administrators only."""
    label, label_plural = _l("Job"), _l("Jobs")
    column_list = ("created_at", "kind", "entity", "status", "rows", "finished_at", "message")
    column_labels = {"created_at": _l("When"), "kind": _l("Kind"), "entity": _l("Entity"),
                     "status": _l("Status"), "rows": _l("Lines"),
                     "finished_at": _l("Finished at"), "message": _l("Message")}
    column_filters = ("status", "created_at")  # each with an index
    column_sortable_list = ("created_at", "status")
    column_formatters = {"kind": lambda v, c, m, n: str(JOB_KINDS.get(m.kind, m.kind))}


JOB_KINDS = {"import-preview": _l("Import preview"), "import-apply": _l("Import"),
             "export": _l("Export")}
IMPORT_STATUS = {"previewed": _l("Previewed"), "applied": _l("Applied"), "failed": _l("Failed"),
                 "undone": _l("Undone")}


EVENT_LABELS = {
    signin_models.LOGIN: _l("Signed in"), signin_models.FAILURE: _l("Failed sign-in"),
    signin_models.LOCKED: _l("Locked"), signin_models.UNLOCKED: _l("Unlocked"),
    signin_models.LOGOUT: _l("Signed out"), signin_models.EXPIRED: _l("Session expired"),
    signin_models.TF_SETUP: _l("Two-factor set up"),
    signin_models.TF_RESET: _l("Two-factor reset"),
    signin_models.TF_FAILURE: _l("Wrong two-factor code"),
}


AUTH_OPTIONS = {User: UserOptions, Role: RoleOptions, AuditEntry: AuditEntryOptions,
                ImportRun: ImportRunOptions, Job: JobOptions,
                signin_models.SignInEvent: SignInEventOptions}
