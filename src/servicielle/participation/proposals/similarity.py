"""French text similarity for proposals: folded words and character trigrams, pure Python.

"Vélos" and "velo" are the same word here: text is folded (accents and case dropped,
punctuation turned into spaces), French stop words are left out and a final plural "s" or
"x" is dropped before words are compared.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

STOP_WORDS = frozenset(
    """
    a afin ai aie aient ainsi alors au aucun aucune aupres auquel aussi autre autres aux
    avec avoir bon car ce ceci cela celle celles celui ces cet cette ceux chaque chez ci comme
    comment dans de des deja depuis dont donc du elle elles en encore entre est et etaient
    etait ete etre eu eux fait faire faut il ils je la le les leur leurs lors lui ma mais me
    meme mes moi moins mon ne ni nos notre nous on ont ou par parce pas peu peut plus pour
    pourquoi qu quand que quel quelle quelles quels qui sa sans se ses si son sont sous sur
    ta te tes toi ton tous tout toute toutes tres tu un une unes uns vers via vos votre vous
    y c d j l m n s t
    """.split()
)

# Below this, a proposal is not "similar" (Decidim uses 0.25 with pg_trgm).
THRESHOLD = 0.3
MAX_SUGGESTIONS = 5


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces: "Vélos !" → "velos"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    # Ligatures NFKD leaves whole: "œuvre" is written "oeuvre" as often.
    bare = bare.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    cleaned = "".join(c if c.isalnum() else " " for c in bare)
    return " ".join(cleaned.split())


def stem(word: str) -> str:
    """A word without its plural mark: "velos" → "velo", "travaux" → "travau"."""
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The meaningful words of a (not yet folded) text, stemmed, in order."""
    return [stem(w) for w in fold(text).split() if w not in STOP_WORDS and len(w) > 1]


def trigrams(text: str) -> set[str]:
    """Character trigrams of each word, padded as pg_trgm does ("  v", " ve", "vel"...)."""
    grams: set[str] = set()
    for word in text.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def search_terms(text: str, limit: int = 3) -> list[str]:
    """The words to prefilter candidates with in SQL: the longest ones, likely the rarest."""
    unique = list(dict.fromkeys(words(text)))
    return sorted(unique, key=lambda w: (-len(w), w))[:limit]


@dataclass(frozen=True)
class Candidate:
    """A proposal as the similarity search sees it."""

    id: int
    title: str
    folded: str
    supports_count: int


@dataclass(frozen=True)
class Match:
    """A similar proposal and how close it is (0 to 1)."""

    id: int
    title: str
    supports_count: int
    score: float


def score(query: str, title: str, folded_body: str = "") -> float:
    """How close a proposal (title, folded text) is to what is being written, 0 to 1."""
    return _Query(query).score(title, folded_body)


class _Query:
    """What is being written, prepared once to be compared with many titles."""

    def __init__(self, text: str) -> None:
        self.words = set(words(text))
        self.grams = trigrams(" ".join(sorted(self.words)))

    def score(self, title: str, folded_body: str = "") -> float:
        if not self.words:
            return 0.0
        theirs = set(words(title))
        common = self.words & theirs
        # Mean of both coverages: a short query fully inside a title scores high.
        coverage = len(common) / len(self.words)
        overlap = (coverage + (len(common) / len(theirs) if theirs else 0.0)) / 2
        other = trigrams(" ".join(sorted(theirs)))
        union = self.grams | other
        grams = len(self.grams & other) / len(union) if union else 0.0
        # Words of the query found only in the body count for a little.
        rest = self.words - common
        in_body = sum(1 for w in rest if w in folded_body) / len(self.words) if rest else 0.0
        return min(1.0, 0.6 * overlap + 0.3 * grams + 0.1 * in_body)


def rank(
    query: str, candidates: Iterable[Candidate], *, limit: int = MAX_SUGGESTIONS
) -> list[Match]:
    """The candidates closest to ``query``, best first, those above the threshold only."""
    prepared = _Query(query)
    matches = []
    for candidate in candidates:
        value = prepared.score(candidate.title, candidate.folded)
        if value >= THRESHOLD:
            matches.append(
                Match(candidate.id, candidate.title, candidate.supports_count, round(value, 3))
            )
    matches.sort(key=lambda m: (-m.score, -m.supports_count, m.id))
    return matches[:limit]
