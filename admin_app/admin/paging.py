"""Keyset pagination cursors: where a list page starts, as the sort key of the row before it.

A page reached through `?after=<cursor>` (or `?before=<cursor>`) is read with
`WHERE (sort_column, id) > (:value, :id) ORDER BY sort_column, id LIMIT n`: an index seek,
so page 25,000 costs what page 1 costs, where `OFFSET 500000` walks half a million rows.
The cursor is opaque to users: the JSON list of the key values, base64url without padding.
"""

import base64
import binascii
import json
from datetime import date, datetime
from decimal import Decimal


def _plain(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _typed(value):
    if isinstance(value, dict) and len(value) == 1:
        (kind, raw), = value.items()
        if kind == "dt":
            return datetime.fromisoformat(raw)
        if kind == "d":
            return date.fromisoformat(raw)
        if kind == "n":
            return Decimal(raw)
    if isinstance(value, (dict, list)):
        raise ValueError("nested values are not keys")
    return value


def encode_cursor(values) -> str:
    """The cursor of a row whose sort key is `values` (sort column value(s), then id)."""
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, length: int) -> list | None:
    """The key values of a cursor, or None for anything that is not one of ours
    (a hand-edited URL falls back to the first page instead of an error)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != length:
            return None
        return [_typed(v) for v in values]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
