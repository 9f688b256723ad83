"""Operations on the database environments: which exist (environments.toml), which Alembic
revision each is on (status), backups, and the guarded upgrade.

Nothing here goes through the app's own session: each environment gets its own short-lived
engine, read-only for status checks.
"""
