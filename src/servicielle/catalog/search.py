"""French full-text search over datasets, on PostgreSQL and on SQLite.

PostgreSQL stems with its ``french`` configuration behind ``unaccent`` into a stored,
GIN-indexed vector (migration 0002).
SQLite's FTS5 only folds diacritics, so words are stemmed here with the same Snowball
French stemmer before they are indexed or searched.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from servicielle.catalog.models import Dataset

WORD = re.compile(r"\w+", re.UNICODE)
PG_CONFIG: ColumnElement[str] = literal_column("'servicielle_french'::regconfig")
# A generated column PostgreSQL keeps in step with search_text (migration 0002).
PG_VECTOR: ColumnElement[str] = literal_column("datasets.search_vector")
FTS = table("dataset_fts", column("dataset_id"), column("body"))
MAX_TERMS = 12


def fold(value: str) -> str:
    """Lower case without diacritics."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("french")


def stems(value: str) -> list[str]:
    """Stemmed, folded words of ``value``."""
    words = WORD.findall(value.lower())
    return [fold(stem) for stem in _stemmer().stemWords(words) if stem]


def terms(query: str) -> list[str]:
    """The words of a user's query, folded, at most ``MAX_TERMS``."""
    return [w for w in WORD.findall(fold(query)) if w][:MAX_TERMS]


def index_dataset(session: Session, dataset: Dataset, body: str) -> None:
    """Store what search reads for ``dataset``."""
    dataset.search_text = body
    if session.get_bind().dialect.name == "sqlite":
        session.execute(FTS.delete().where(FTS.c.dataset_id == dataset.id))
        session.execute(FTS.insert().values(dataset_id=dataset.id, body=" ".join(stems(body))))


def unindex_dataset(session: Session, dataset_id: str) -> None:
    """Forget a deleted dataset (PostgreSQL's index follows the row by itself)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(FTS.delete().where(FTS.c.dataset_id == dataset_id))


def matching(
    session: Session, query: str
) -> tuple[ColumnElement[bool], ColumnElement[float]] | None:
    """A filter on ``Dataset`` and a relevance score (higher is better) for ``query``."""
    words = terms(query)
    if not words:
        return None
    if session.get_bind().dialect.name == "postgresql":
        # Prefix matching keeps "vélo" finding "vélos", which the stemmer leaves apart.
        tsquery = func.to_tsquery(PG_CONFIG, " & ".join(f"{w}:*" for w in words))
        return PG_VECTOR.op("@@")(tsquery), func.ts_rank(PG_VECTOR, tsquery)
    stemmed = [s for w in words for s in stems(w)] or words
    fts_query = " AND ".join(f'"{s}"*' for s in stemmed)
    hits: Select[tuple[str, float]] = select(
        FTS.c.dataset_id, (-func.bm25(literal_column("dataset_fts"))).label("score")
    ).where(text("dataset_fts MATCH :fts_query").bindparams(fts_query=fts_query))
    subquery = hits.subquery()
    score = select(subquery.c.score).where(subquery.c.dataset_id == Dataset.id).scalar_subquery()
    return Dataset.id.in_(select(subquery.c.dataset_id)), score
