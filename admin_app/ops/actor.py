"""Who runs a migration, as ``migration_log`` records it: ``$GESTAO_MIGRATION_ACTOR`` when
set (a deploy pipeline names itself), else the login and host of the process."""

import getpass
import os
import socket

ACTOR_ENV = "GESTAO_MIGRATION_ACTOR"


def login() -> str:
    """user@host of this process."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in this process (some containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def default_actor() -> str:
    if os.environ.get(ACTOR_ENV):
        return os.environ[ACTOR_ENV][:255]
    return login()[:255]
