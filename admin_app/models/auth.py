"""Users and roles: Flask-Security-Too's shipped SQLAlchemy mixins (frozen by design)."""

from flask import current_app
from flask_security.models.sqla import FsModels, FsRoleMixin, FsUserMixin

from admin_app.extensions import db

from .base import sort_index

FsModels.set_db_info(base_model=db.Model)

ADMIN, EDITOR, READER = "admin", "editor", "reader"
ROLE_NAMES = (ADMIN, EDITOR, READER)


class Role(db.Model, FsRoleMixin):
    __tablename__ = "role"

    def __str__(self) -> str:
        return self.name


class User(db.Model, FsUserMixin):
    __tablename__ = "user"
    __table_args__ = (sort_index("user", "active"), sort_index("user", "last_login_at"))

    def has_any_role(self, names) -> bool:
        return any(role.name in names for role in self.roles)

    def check_tf_required(self, tf_setup_methods, tf_fresh):
        """Flask-Security's hook: two-factor for the roles that require it (signin/two_factor.py)
        and for whoever set it up; asked on every sign-in (TWO_FACTOR_ALWAYS_VALIDATE)."""
        return bool(tf_setup_methods) or self.check_tf_required_setup(), tf_setup_methods

    def check_tf_required_setup(self) -> bool:
        """Whether one of the user's roles is in `GESTAO_2FA_REQUIRED_ROLES`."""
        return self.has_any_role(current_app.config.get("GESTAO_2FA_REQUIRED_ROLES") or ())

    def __str__(self) -> str:
        return self.email
