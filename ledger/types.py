"""Column types: timezone-aware UTC datetimes on every backend (SQLite drops the zone), and
closed sets of words (statuses, outcomes) checked when written."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, get_args

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the ledger stores aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def choice(kind: Any, length: int) -> Enum:
    """A column holding one of a closed set: a StrEnum (read back as its members) or a
    ``Literal[...]`` (read back as plain strings). Stored as VARCHAR with no CHECK constraint,
    so the schema is unchanged and a new word needs no migration; a word outside the set is
    refused when written, so a drifted spelling (``not_satisfied``) cannot reach the ledger."""
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return Enum(kind, native_enum=False, create_constraint=False, length=length,
                    values_callable=lambda e: [m.value for m in e], validate_strings=True)  # fmt: skip
    values = get_args(kind)
    if not values:
        raise TypeError(f"{kind!r} is neither a StrEnum nor a Literal")
    return Enum(*values, native_enum=False, create_constraint=False, length=length,
                validate_strings=True)  # fmt: skip
