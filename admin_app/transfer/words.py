"""What imports say to people, in one place (the logic raises and returns these keys'
sentences; nothing else in transfer/ writes words)."""

from admin_app.i18n import lazy_gettext as _l

# -- the file as a whole ------------------------------------------------------------------------
NOT_A_SPREADSHEET = _l("Send a CSV or XLSX file (the name must end in .csv or .xlsx).")
EMPTY_FILE = _l("The file is empty.")
TOO_BIG = _l("The file has more than %(mb)d MB; split it into smaller files.")
TOO_MANY_ROWS = _l("The file has more than %(rows)d rows; split it into smaller files.")
TOO_MANY_COLUMNS = _l("The file has more than %(columns)d columns.")
LINE_TOO_LONG = _l("Line %(line)d is longer than %(kb)d KB.")
NUL_BYTES = _l("The file contains NUL bytes: it is not a text CSV file.")
UNKNOWN_ENCODING = _l("The file is neither UTF-8 nor Windows-1252 text.")
BAD_CSV = _l("The CSV file cannot be read near line %(line)d: %(reason)s")
BAD_XLSX = _l("The file is not a valid XLSX workbook.")
XLSX_BOMB = _l("The XLSX file expands to more than %(mb)d MB: refused.")
NO_HEADER = _l("The first line must name the columns.")
UNKNOWN_COLUMNS = _l("Unknown columns: %(columns)s. Accepted: %(accepted)s.")
MISSING_COLUMNS = _l("Required columns missing: %(columns)s.")
REPEATED_COLUMN = _l("The column %(column)s appears twice.")
NO_ROWS = _l("The file has a header but no rows.")

# -- one cell -------------------------------------------------------------------------------
FORMULA = _l("formulas are not accepted; type the value itself")
NOT_A_NUMBER = _l("%(value)s is not a number")
NOT_A_DATE = _l("%(value)s is not a date (dd/mm/aaaa)")
NOT_A_DATETIME = _l("%(value)s is not a date and time (dd/mm/aaaa hh:mm)")
NOT_YES_NO = _l("%(value)s is not Sim or Não")
NOT_A_CHOICE = _l("%(value)s is not one of: %(choices)s")
NOT_FOUND = _l("%(what)s %(value)s does not exist")
AMBIGUOUS = _l("%(value)s names more than one %(what)s; use its key (%(key)s)")
KEY_MISSING = _l("the key column is empty")
KEY_TWICE = _l("%(value)s is also on line %(other)d")

# -- the outcome ----------------------------------------------------------------------------
STATUS_LABELS = {"new": _l("new"), "changed": _l("changed"), "unchanged": _l("unchanged"),
                 "error": _l("error")}
SUMMARY = _l("%(file)s: %(lines)d lines (new: %(new)d, changed: %(changed)d, unchanged: "
             "%(unchanged)d, with errors: %(error)d)")
DRY_RUN = _l("Preview only (--dry-run): nothing was written.")
APPLIED = _l("Import #%(id)d applied.")
ERROR_LINE = _l("line %(line)d, column %(column)s: %(reason)s")
CHANGED_RECORDS = _l("Records changed since the preview, preview again: %(keys)s")
