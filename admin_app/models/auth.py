"""Users and roles: Flask-Security-Too's shipped SQLAlchemy mixins (frozen by design)."""

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
        from admin_app.signin.two_factor import required_for

        return bool(tf_setup_methods) or required_for(self), tf_setup_methods

    def check_tf_required_setup(self) -> bool:
        from admin_app.signin.two_factor import required_for

        return required_for(self)

    def __str__(self) -> str:
        return self.email
