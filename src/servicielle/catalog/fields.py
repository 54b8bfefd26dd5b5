"""Fields of a queryable table (defined in core so any module can publish data)."""

from __future__ import annotations

from servicielle.core.opendata import Field, FieldType

__all__ = ["Field", "FieldType"]
