"""The codes the migration status speaks in: states, marks, why an environment or its schema
could not be checked, integrity problems, what a downgrade does. Plain strings, no words:
ops/text.py says each in the user's language, the page and the JSON carry the code."""

UP_TO_DATE = "up_to_date"
PENDING = "pending"
UNKNOWN_REVISION = "unknown_revision"
NOT_INITIALIZED = "not_initialized"
MULTIPLE_HEADS = "multiple_heads"
UNREACHABLE = "unreachable"
STATES = (UP_TO_DATE, PENDING, UNKNOWN_REVISION, NOT_INITIALIZED, MULTIPLE_HEADS, UNREACHABLE)

# Matrix marks.
CURRENT, APPLIED, NOT_APPLIED, UNKNOWN = "current", "applied", "pending", "unknown"

# Why an environment could not be checked.
REFUSED, TIMEOUT, AUTH, NO_DATABASE, CANNOT_OPEN, UNSUPPORTED, ERROR = (
    "refused", "timeout", "auth", "no_database", "cannot_open", "unsupported", "error")
FILE_MISSING = "file_missing"

# Why schema drift was not checked (beside reference_schema.NO_CREATEDB and BUILD_FAILED).
DRIFT_FAILED = "comparison_failed"

# Integrity problems of an environment (beside its state): an applied revision whose script
# changed since, or one the scripts no longer hold.
MODIFIED = "modified_after_applied"
MISSING = "missing_script"

# What a revision's downgrade() does, read from its source with ``ast``.
REVERSIBLE, EMPTY_DOWNGRADE, RAISING_DOWNGRADE, NO_DOWNGRADE = (
    "reversible", "empty", "raises", "missing")
