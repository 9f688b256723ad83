"""Extensions created once, unbound; `create_app` binds them to an app."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_security import Security
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints make migrations reproducible and let SQLite batch mode
# drop or alter them; the names also drive the friendly error messages.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Prefix of the search objects (SQLite FTS5 tables and their triggers, PostgreSQL trigram
#: indexes) that migrations create outside the models; see admin_app/search.py.
SEARCH_PREFIX = "search_"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate and drift checks skip the search objects: they are made by migrations,
    not declared in the models, and are not drift."""
    return not (type_ in ("table", "index") and name and name.startswith(SEARCH_PREFIX))


class AppSession(FlaskSession):
    """The panel's sessions (``db.session``). The business rules (models/lifecycle.py) and
    the audit trail (audit.py) listen to this class, not to every SQLAlchemy session in the
    process: ops/ and Alembic open their own on other databases."""


db = SQLAlchemy(model_class=Base, session_options={"class_": AppSession})
migrate = Migrate()
security = Security()
babel = Babel()
csrf = CSRFProtect()


def enforce_foreign_keys(engine) -> None:
    """SQLite enforces foreign keys only when asked, per connection: ask on each of the
    app's connections (migrations switch it off around a table rebuild, see
    migrations/env.py)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _foreign_keys_on(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
