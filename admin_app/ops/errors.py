"""What went wrong when a database was asked: an exception as a kind (ops/codes.py) and the
driver's own words, first lines only, any password removed."""

from __future__ import annotations

from .codes import AUTH, CANNOT_OPEN, ERROR, NO_DATABASE, REFUSED, TIMEOUT
from .environments import Environment, scrub


def classify(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", None) or exc).lower()
    if "connection refused" in message:
        return REFUSED
    if "timeout" in message or "timed out" in message:
        return TIMEOUT
    if "authentication" in message or "password" in message:
        return AUTH
    if "does not exist" in message and "database" in message:
        return NO_DATABASE
    if "unable to open" in message or "not a database" in message:
        return CANNOT_OPEN
    return ERROR


def driver_words(exc: BaseException, environment: Environment | None = None, *,
                 lines: int | None = None, limit: int = 300) -> str:
    """The driver's own words (its first `lines`, at most `limit` characters), with the
    environment's password and URL removed."""
    original = getattr(exc, "orig", None) or exc
    kept = [line.strip() for line in str(original).splitlines() if line.strip()][:lines]
    words = f"{type(original).__name__}: {' '.join(kept)}" if kept \
        else type(original).__name__
    if environment is None:
        return words[:limit]
    return scrub(words[:limit], environment.password, environment.url)
