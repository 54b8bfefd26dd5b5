"""Answers to a category's extra questions (Open311 attributes), checked against their type."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _
from servicielle.reports.models import CategoryQuestion

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
MAX_ANSWER_LENGTH = 2000

AnswerInput = str | list[str]


def _one(value: AnswerInput) -> str:
    return (value[0] if value else "") if isinstance(value, list) else value


def _number(text: str) -> float:
    number = float(text.replace(",", "."))
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _check(question: CategoryQuestion, raw: AnswerInput) -> Any:
    """The stored form of one answer, or ValueError with the reason."""
    keys = {str(v["key"]) for v in question.values}
    if question.datatype == "multivaluelist":
        chosen = [v.strip() for v in (raw if isinstance(raw, list) else raw.split(","))]
        chosen = [v for v in chosen if v]
        unknown = [v for v in chosen if v not in keys]
        if unknown:
            raise ValueError(_("not one of the proposed values: %(v)s") % {"v": unknown[0]})
        return chosen
    text = _one(raw).strip()
    if len(text) > MAX_ANSWER_LENGTH:
        raise ValueError(_("longer than %(n)d characters") % {"n": MAX_ANSWER_LENGTH})
    if question.datatype == "singlevaluelist":
        if text and text not in keys:
            raise ValueError(_("not one of the proposed values: %(v)s") % {"v": text})
        return text
    if question.datatype == "number" and text:
        try:
            return _number(text)
        except ValueError:
            raise ValueError(_("not a number")) from None
    if question.datatype == "datetime" and text:
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
        except ValueError:
            raise ValueError(_("not a date and time (2026-05-01T08:30)")) from None
    return text


def _blank(value: Any) -> bool:
    return value in ("", [], None)


def check_answers(
    questions: Sequence[CategoryQuestion], answers: Mapping[str, AnswerInput]
) -> dict[str, Any]:
    """The answers to keep; every problem is named by its question's code."""
    errors: dict[str, str] = {}
    kept: dict[str, Any] = {}
    for question in sorted(questions, key=lambda q: q.order):
        if not question.variable:
            continue
        raw = answers.get(question.code)
        try:
            value = None if raw is None else _check(question, raw)
        except ValueError as exc:
            errors[f"attribute[{question.code}]"] = f"{question.description} : {exc}"
            continue
        if _blank(value):
            if question.required:
                errors[f"attribute[{question.code}]"] = _(
                    "%(question)s : an answer is required."
                ) % {"question": question.description}
            continue
        kept[question.code] = value
    if errors:
        raise InvalidInput.on_fields(_("Some answers are missing or invalid."), errors)
    return kept
