"""What a refused restore says. The restore modules raise `RestoreRefused(code, **params)`;
the sentence lives here, translated by the catalogue."""

from admin_app.i18n import lazy_gettext as _l

REFUSALS = {
    "NO_SUCH_VERSION": _l("%(record)s has no version %(number)s in its history."),
    "NOT_A_RECORD": _l("There is no %(entity)s #%(id)s, nor one in the trash."),
    "NOT_DELETED_YET": _l("%(entity)s #%(id)s is deleted: restore it from the trash first "
                          "(without a version), then restore one of its versions."),
    "NOT_DELETED": _l("%(entity)s #%(id)s is not deleted: it is in the list. To bring back "
                      "earlier values, restore one of its versions."),
    "NOTHING_TO_RESTORE": _l("Version %(number)s holds the same values as the record now: "
                             "nothing to restore."),
    "STALE": _l("%(record)s was changed by %(who)s since the confirmation was shown; nothing "
                "was restored. Look at the values again before restoring."),
    "CONCURRENT": _l("%(record)s was changed by someone else at the same moment; nothing was "
                     "restored. Look at the values again before restoring."),
    "UNIQUE_TAKEN": _l("%(field)s %(value)s is now used by %(other)s; nothing was restored. "
                       "Change or delete that record first."),
    "REFERENCE_DELETED": _l("%(field)s %(target)s has been deleted; nothing was restored. "
                            "Restore it first."),
    "REFERENCE_MISSING": _l("%(field)s #%(id)s no longer exists and is not in the trash; "
                            "nothing was restored."),
    "INVALID_VALUE": _l("The value of %(field)s in that version no longer fits (%(error)s); "
                        "nothing was restored."),
    "RULE": _l("%(reason)s Nothing was restored."),
    # undoing an import
    "IMPORT_NOT_APPLIED": _l("Import no. %(id)s is not applied (or was undone already): "
                             "there is nothing to undo."),
    "IMPORT_CHANGED_SINCE": _l("Import no. %(id)s cannot be undone: %(count)s of its records "
                               "changed since (%(records)s). Nothing was changed."),
    "IMPORT_RECORD_IN_USE": _l("Import no. %(id)s cannot be undone: %(record)s, which it "
                               "created, is now used by other records. Nothing was changed."),
    "IMPORT_UNKNOWN_BEFORE": _l("The value %(record)s had in %(field)s before the import is "
                                "not known; nothing was changed."),
}

#: What a restore says it could not know or did not bring back.
UNKNOWN_FIELDS = _l("The history of this record starts before the audit trail kept whole "
                    "records: the value of %(fields)s in that version is not known, so it "
                    "stays as it is now.")
SECRETS_NOT_RESTORED = _l("Secrets are never restored: %(fields)s stay as they are now.")
NEW_PASSWORD_NEEDED = _l("The user comes back without a password and without roles: set a "
                         "new password and the roles before they sign in.")
RESTORED_VERSION = _l("%(record)s: version %(number)s restored (now version %(now)s).")
RESTORED_DELETED = _l("%(record)s restored from the trash with id %(id)s.")
RESTORED_WITH_CHILDREN = _l("%(record)s restored from the trash with id %(id)s, with %(count)s "
                            "items.")
IMPORT_UNDONE = _l("Import no. %(id)s undone: %(deleted)s records it created deleted, "
                   "%(reverted)s it changed given back their values.")
UNKNOWN_VALUE = _l("not known")


class RestoreRefused(Exception):
    """A restore that cannot happen; nothing was changed. `restore_first` names a deleted
    record (entity, id) that, restored first, would let this one come back."""

    def __init__(self, code: str, restore_first: tuple[str, str] | None = None, **params):
        super().__init__(code)
        self.code, self.params, self.restore_first = code, params, restore_first

    def __str__(self) -> str:
        return str(REFUSALS[self.code] % {k: str(v) for k, v in self.params.items()})
