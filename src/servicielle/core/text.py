"""Free text as people send it, made storable: PostgreSQL and XML refuse control characters."""

from __future__ import annotations

import re

# C0 controls except tab, line feed and carriage return, plus DEL.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(text: str) -> str:
    """``text`` without control characters, surrounding spaces trimmed."""
    return _CONTROLS.sub("", text).strip()
