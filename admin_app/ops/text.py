"""The migration status in words, in the user's language: each code of ops/codes.py (and the
schema differences of ops/drift.py) as the Migrações page, the JSON and the command line
say it. The only module of the status that speaks; the others return codes."""

from admin_app.i18n import gettext, ngettext

from .codes import (AUTH, CANNOT_OPEN, EMPTY_DOWNGRADE, ERROR, FILE_MISSING, MISSING, MODIFIED,
                    MULTIPLE_HEADS, NO_DATABASE, NO_DOWNGRADE, NOT_INITIALIZED, PENDING,
                    RAISING_DOWNGRADE, REFUSED, TIMEOUT, UNKNOWN_REVISION, UNREACHABLE,
                    UNSUPPORTED, UP_TO_DATE)
from .environments import INVALID_URL, MISSING_VARIABLE
from .reference_schema import BUILD_FAILED, NO_CREATEDB


def state_label(state: str | None, pending_count: int = 0) -> str:
    """The state as the page says it (pt_BR: em dia, N pendentes, …)."""
    # The six state names are fixed by issue 4 (pt_BR: em dia, N pendentes, revisão
    # desconhecida, não inicializado, múltiplas heads, inacessível); tests check them.
    if state == PENDING:
        # TRANSLATORS: migration state, fixed wording: "%(num)s pendente" / "%(num)s pendentes"
        return ngettext("%(num)s pending", "%(num)s pending", pending_count)
    labels = {
        # TRANSLATORS: migration state, fixed wording: "em dia" (not "atualizado")
        UP_TO_DATE: gettext("up to date"),
        # TRANSLATORS: migration state, fixed wording: "revisão desconhecida"
        UNKNOWN_REVISION: gettext("unknown revision"),
        # TRANSLATORS: migration state, fixed wording: "não inicializado"
        NOT_INITIALIZED: gettext("not initialized"),
        # TRANSLATORS: migration state, fixed wording: "múltiplas heads" (feminine, as in
        # "a head"; not "múltiplos heads")
        MULTIPLE_HEADS: gettext("multiple heads"),
        # TRANSLATORS: migration state, fixed wording: "inacessível"
        UNREACHABLE: gettext("unreachable"),
    }
    return labels.get(state, "—")


def error_words(kind: str | None, url_env: str | None = None) -> str:
    words = {
        REFUSED: gettext("connection refused (is the server running on that host and port?)"),
        TIMEOUT: gettext("no answer within the timeout"),
        AUTH: gettext("authentication failed"),
        NO_DATABASE: gettext("the database does not exist"),
        CANNOT_OPEN: gettext("the database file cannot be opened"),
        UNSUPPORTED: gettext("database type not supported (SQLite and PostgreSQL only)"),
        INVALID_URL: gettext("the database URL is invalid"),
        MISSING_VARIABLE: gettext("the environment variable %(name)s is not set",
                                  name=url_env or "?"),
        ERROR: gettext("the database could not be read"),
    }
    return words.get(kind or ERROR, words[ERROR])


def integrity_label(kind: str | None) -> str:
    # TRANSLATORS: fixed wording: "modificada após aplicação" / "ausente nos scripts"
    labels = {MODIFIED: gettext("modified after applied"),
              MISSING: gettext("missing from the scripts")}
    return labels.get(kind, "—")


def rollback_label(kind: str | None) -> str:
    if kind in (EMPTY_DOWNGRADE, RAISING_DOWNGRADE, NO_DOWNGRADE):
        # TRANSLATORS: fixed wording: "sem reversão"
        return gettext("no rollback")
    return ""


def rollback_words(kind: str | None) -> str:
    words = {EMPTY_DOWNGRADE: gettext("its downgrade() is empty"),
             RAISING_DOWNGRADE: gettext("its downgrade() raises an error"),
             NO_DOWNGRADE: gettext("it has no downgrade()")}
    return words.get(kind, "")


def note_words(note: str | None) -> str:
    if note == FILE_MISSING:
        return gettext("the database file does not exist yet; the first upgrade creates it")
    return ""


def drift_error_words(kind: str | None, revision: str | None = None) -> str:
    """Why schema drift was not checked, in the user's language."""
    if kind == NO_CREATEDB:
        return gettext(
            "schema drift not checked: the schema of revision %(rev)s is rebuilt in a scratch "
            "database, and this environment's database user may not create databases "
            "(CREATE DATABASE)", rev=revision or "?")
    if kind == BUILD_FAILED:
        return gettext("schema drift not checked: the schema of revision %(rev)s could not "
                       "be rebuilt from the migration scripts", rev=revision or "?")
    return gettext("schema drift not checked: the comparison failed")


def _drift_messages() -> dict:
    return {
        "add_table": lambda v: gettext(
            "table %(table)s is in the models but not in the database", **v),
        "remove_table": lambda v: gettext(
            "table %(table)s is in the database but not in the models", **v),
        "add_column": lambda v: gettext(
            "column %(table)s.%(column)s is in the models but not in the database", **v),
        "remove_column": lambda v: gettext(
            "column %(table)s.%(column)s is in the database but not in the models", **v),
        "add_index": lambda v: gettext(
            "index %(name)s on %(table)s (%(columns)s) is in the models but not in the "
            "database", **v),
        "remove_index": lambda v: gettext(
            "index %(name)s on %(table)s (%(columns)s) is in the database but not in the "
            "models", **v),
        "add_constraint": lambda v: gettext(
            "constraint %(name)s on %(table)s (%(columns)s) is in the models but not in the "
            "database", **v),
        "remove_constraint": lambda v: gettext(
            "constraint %(name)s on %(table)s (%(columns)s) is in the database but not in the "
            "models", **v),
        "modify_type": lambda v: gettext(
            "column %(table)s.%(column)s has type %(database)s in the database and "
            "%(models)s in the models", **v),
        "modify_nullable": lambda v: gettext(
            "column %(table)s.%(column)s: nullable is %(database)s in the database and "
            "%(models)s in the models", **v),
        "modify": lambda v: gettext(
            "column %(table)s.%(column)s: %(what)s is %(database)s in the database and "
            "%(models)s in the models", **v),
    }


def drift_words(item: dict) -> str:
    """One schema difference in words (as ``flask db check`` lists them, in the user's
    language)."""
    kind = item["kind"]
    values = dict(item, columns=", ".join(item.get("columns") or ()))
    messages = _drift_messages()
    kind = {"add_fk": "add_constraint", "remove_fk": "remove_constraint"}.get(kind, kind)
    if kind not in messages and kind.startswith("modify_"):
        values["what"] = kind[len("modify_"):]
        kind = "modify"
    message = messages.get(kind)
    return message(values) if message else (item.get("detail") or kind)


def upgrade_in_progress_label() -> str:
    # TRANSLATORS: fixed wording: "upgrade em andamento"
    return gettext("upgrade in progress")


def drift_label() -> str:
    # TRANSLATORS: fixed wording: "divergência de esquema"
    return gettext("schema drift")
