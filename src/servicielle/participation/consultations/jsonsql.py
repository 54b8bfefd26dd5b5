"""Two JSON expressions the choice counts need, written for SQLite and for PostgreSQL.

Questions keep their choices as a JSON list and observations their answers as a JSON object
(``{"<question id>": "choice"}`` or ``{"<question id>": ["choice", ...]}``): counting the
answers per choice in SQL, rather than in Python, keeps the open dataset a live selectable
and the back office fast with thousands of observations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class json_array_items(FunctionElement[str]):
    """The text items of a JSON array column, as a table with one column ``value``."""

    type = Text()
    inherit_cache = True
    name = "json_array_items"


@compiles(json_array_items, "sqlite")
def _items_sqlite(element: json_array_items, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(json_array_items, "postgresql")
def _items_postgresql(element: json_array_items, compiler: SQLCompiler, **kw: Any) -> str:
    return f"jsonb_array_elements_text({compiler.process(element.clauses, **kw)})"


class answer_has_choice(FunctionElement[bool]):
    """Whether ``answers[question id]`` is ``choice`` or a list holding it."""

    type = Boolean()
    inherit_cache = True
    name = "answer_has_choice"


def _parts(element: answer_has_choice, compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses.clauses]


@compiles(answer_has_choice, "sqlite")
def _has_sqlite(element: answer_has_choice, compiler: SQLCompiler, **kw: Any) -> str:
    answers, question_id, choice = _parts(element, compiler, **kw)
    # json_each on a path walks an array's items, or gives one row for a lone string.
    return (
        f"EXISTS (SELECT 1 FROM json_each({answers}, '$.\"' || {question_id} || '\"') "
        f"AS answer_item WHERE answer_item.value = {choice})"
    )


@compiles(answer_has_choice, "postgresql")
def _has_postgresql(element: answer_has_choice, compiler: SQLCompiler, **kw: Any) -> str:
    answers, question_id, choice = _parts(element, compiler, **kw)
    # jsonb containment: an array contains a string it holds, a string contains itself.
    return (
        f"coalesce(({answers} -> CAST({question_id} AS TEXT)) "
        f"@> to_jsonb(CAST({choice} AS TEXT)), false)"
    )


Column = ColumnElement[Any] | QueryableAttribute[Any]


def has_choice(answers: Column, question_id: Column, choice: Column) -> ColumnElement[bool]:
    """The condition that an observation's answers chose ``choice`` for the question."""
    return answer_has_choice(answers, question_id, choice)
