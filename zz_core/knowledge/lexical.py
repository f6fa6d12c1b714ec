"""The lexical half of retrieval: terms for BM25 and a compact BM25 Okapi.

``tokenize`` keeps what matters in audio questions (words with their digits such as
"r128" or "dbtp", signed numbers such as "-14"), drops English stop words and strips
plurals lightly; ``Bm25`` scores texts for a tokenized query as a share of the highest
score the query could reach, so scores compare across indexes (see ``retrieval``).
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

BM25_K1 = 1.2
BM25_B = 0.75

_TOKEN = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?|[^\W_]+")
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-",
                         "\u2011": "-"})
_STOP_WORDS_TEXT = """
a about above after again all also am an and any are as at be been before being below
between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more
most my no nor not of off on once only or other our ours out over own same she should so
some such than that the their theirs them then there these they this those through to too
under until up very was we were what when where which while who whom why will with would
you your yours s t
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def tokenize(text: str) -> list[str]:
    """Lower-cased terms for BM25: words with their digits ("r128", "dbtp", "plr"), numbers
    with their sign ("-14", also indexed as "14"), light plural stemming, no stop words."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).casefold()
    terms: list[str] = []
    for token in _TOKEN.findall(text):
        if token[0] in "+-" or token[0].isdigit():
            terms.append(token)
            if token[0] in "+-":
                terms.append(token[1:])
        elif token not in STOP_WORDS:
            terms.append(_stem(token))
    return terms


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclasses.dataclass(frozen=True)
class Bm25:
    """BM25 Okapi over a fixed list of texts (k1 = 1.2, b = 0.75)."""

    count: int
    idf: dict[str, float]
    postings: dict[str, tuple[np.ndarray, np.ndarray]]  # term -> (rows, saturated tf)

    @classmethod
    def build(cls, texts: Sequence[str]) -> Bm25:
        counts = [Counter(tokenize(text)) for text in texts]
        lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
        average = float(lengths.mean()) if len(texts) and lengths.mean() > 0 else 1.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / average)
        rows: dict[str, list[int]] = {}
        weights: dict[str, list[float]] = {}
        for row, counter in enumerate(counts):
            for term, tf in counter.items():
                rows.setdefault(term, []).append(row)
                weights.setdefault(term, []).append(tf * (BM25_K1 + 1) / (tf + norm[row]))
        postings = {t: (np.array(rows[t], dtype=np.int64), np.array(weights[t]))
                    for t in rows}
        idf = {t: cls._idf(len(texts), len(r)) for t, r in rows.items()}
        return cls(count=len(texts), idf=idf, postings=postings)

    @staticmethod
    def _idf(count: int, containing: int) -> float:
        return math.log(1 + (count - containing + 0.5) / (containing + 0.5))

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """Per text, BM25 of the query over its maximum reachable score (a share < 1)."""
        result = np.zeros(self.count)
        unique = set(terms)
        reachable = sum(self.idf.get(t, self._idf(self.count, 0)) for t in unique)
        if reachable <= 0:
            return result
        for term in unique:
            if term in self.postings:
                rows, weights = self.postings[term]
                result[rows] += self.idf[term] * weights
        return result / (reachable * (BM25_K1 + 1))
