"""Numbers typed into URLs and forms: ASCII digits only, bounded, never a server error.

``str.isdigit`` accepts "²" or "٣", which ``int`` then refuses or reads; a number of a
thousand digits costs ``int`` time. An id above ``MAX_ID`` names no row: PostgreSQL's INTEGER
would refuse it ("integer out of range"), SQLite overflows past 2**63.
"""

from __future__ import annotations

# Ids are 32-bit integers in the database: a larger one in a URL finds nothing.
MAX_ID = 2**31 - 1
# Enough digits for any id or count we read; more is not a number we could use.
MAX_DIGITS = 18
_ASCII_DIGITS = frozenset("0123456789")


def whole_number(text: str | None, *, max_digits: int = MAX_DIGITS) -> int | None:
    """A whole number written in ASCII digits (surrounding spaces ignored), or None."""
    value = (text or "").strip()
    if not 0 < len(value) <= max_digits or not set(value) <= _ASCII_DIGITS:
        return None
    return int(value)


def is_id(number: int) -> bool:
    """Whether a row could have this id."""
    return 0 < number <= MAX_ID


def parse_id(text: str | None) -> int | None:
    """An id a row could have, from its text; None for anything else."""
    number = whole_number(text, max_digits=len(str(MAX_ID)))
    return number if number is not None and is_id(number) else None
