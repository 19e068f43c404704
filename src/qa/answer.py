"""Extractive answers: pick the sentences of the retrieved passages that answer the
question, cite each with a numbered span, or decline.

Scoring and selection are pure functions over arrays (``sentence_scores``,
``select_sentences``); ``compose`` turns a selection into an :class:`Answer`.
Answer text is profile sentences as written (whitespace cleaned) plus fixed framing
from ``FRAMING``; nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .corpus import Chunk
from .retrieve import Hit

FRAMING = {
    "en": {
        "prefix": "",
        "declined": "The profile does not say. The closest passages it has are listed below.",
        "greeting": "Ask me a question about the profile: its statistics, programs, organizations, research or laws.",
        "empty": "Please type a question.",
    },
    "es": {
        "prefix": "Según el perfil: ",
        "declined": "El perfil no dice nada sobre eso. Abajo están los pasajes más cercanos.",
        "greeting": "Hágame una pregunta sobre el perfil: sus estadísticas, programas, organizaciones, investigaciones o leyes.",
        "empty": "Escriba una pregunta, por favor.",
    },
}


@dataclass(frozen=True)
class Citation:
    n: int
    doc: str
    start: int
    end: int
    section: str
    text: str  # the cited sentences as shown in the answer
    chunk_id: str
    passage_start: int
    passage_end: int

    def to_dict(self) -> dict:
        return {"n": self.n, "doc": self.doc, "start": self.start, "end": self.end,
                "section": self.section, "text": self.text, "chunk_id": self.chunk_id,
                "passage_start": self.passage_start, "passage_end": self.passage_end}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    answered: bool
    lang: str = "en"
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    confidence: float = 0.0
    mode: str = "hybrid"
    query: str = ""  # what was searched (the question, resolved against history)
    latency_ms: float = 0.0
    kind: str = "answer"  # answer | declined | greeting | invalid
    marks: dict = field(default_factory=dict)  # chunk id -> [(start, end)] of quoted sentences

    def to_dict(self) -> dict:
        return {
            "answered": self.answered,
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [h.to_dict() for h in self.hits],
            "latency_ms": round(self.latency_ms, 2),
            "lang": self.lang,
            "mode": self.mode,
            "confidence": round(self.confidence, 4),
            "query": self.query,
        }


# ------------------------------------------------------------------ scoring (pure)

@dataclass(frozen=True)
class Weights:
    """How sentence features combine. Fitted on the dev split (`qa calibrate` reports them)."""
    lexical: float = 0.45
    dense: float = 0.40
    prior: float = 0.15
    # cosine of an unrelated pair vs a good match, per encoder: maps cosines to about 0..1
    dense_floor: dict = field(default_factory=lambda: {"minilm": 0.10, "e5": 0.72})
    dense_ceiling: dict = field(default_factory=lambda: {"minilm": 0.75, "e5": 0.92})


def lexical_coverage(query_weights: dict[str, float], sentence_terms: set[str]) -> float:
    """Share of the query's IDF mass whose terms the sentence holds."""
    total = sum(query_weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in query_weights.items() if t in sentence_terms) / total


def dense_feature(cosines: dict[str, float], weights: Weights) -> float:
    """Mean over encoders of cosines rescaled to 0..1 between floor and ceiling."""
    vals = []
    for name, cos in cosines.items():
        lo = weights.dense_floor.get(name, 0.0)
        hi = weights.dense_ceiling.get(name, 1.0)
        vals.append(min(1.0, max(0.0, (cos - lo) / (hi - lo))))
    return sum(vals) / len(vals) if vals else 0.0


def sentence_scores(lexical: np.ndarray, dense: np.ndarray, prior: np.ndarray, weights: Weights) -> np.ndarray:
    return weights.lexical * lexical + weights.dense * dense + weights.prior * prior


@dataclass(frozen=True)
class Candidate:
    hit_rank: int  # 0-based rank of the passage among the hits
    chunk: Chunk
    index: int  # sentence index within the chunk
    score: float
    terms: frozenset


def select_sentences(cands: list[Candidate], query_weights: dict[str, float],
                     second_ratio: float = 0.6, min_gain: float = 0.3) -> list[Candidate]:
    """The best sentence, plus a second one when it covers a part of the question the
    first leaves out (two-part questions) and scores nearly as well."""
    if not cands:
        return []
    ranked = sorted(cands, key=lambda c: -c.score)
    best = ranked[0]
    picked = [best]
    total = sum(query_weights.values())
    if total > 0:
        uncovered = {t: w for t, w in query_weights.items() if t not in best.terms}
        if sum(uncovered.values()) / total >= min_gain:
            for c in ranked[1:]:
                if c.score < second_ratio * best.score:
                    break
                gain = sum(w for t, w in uncovered.items() if t in c.terms) / total
                if gain >= min_gain and not (c.chunk.id == best.chunk.id and c.index == best.index):
                    picked.append(c)
                    break
    return picked


# ------------------------------------------------------------------ composing

_SHORT = 45  # a sentence this short ("Rape.", an article label) needs the next one to mean anything


def expand(chunk: Chunk, indices: set[int], question_terms: set[str], title_terms: set[str]) -> list[int]:
    """Sentences to quote from one chunk: the picked ones, the next one after a fragment,
    and the entry's name line (sentence 0) when the question does not already name it."""
    out = set(indices)
    for i in list(indices):
        if len(chunk.sentences[i].text) < _SHORT and i + 1 < len(chunk.sentences):
            out.add(i + 1)
    if chunk.title and chunk.kind in ("organization", "research", "article") and 0 not in out:
        named = title_terms and len(title_terms & question_terms) / len(title_terms) >= 0.5
        if chunk.kind == "article" or not named:
            out.add(0)
    return sorted(out)


def _join(chunk: Chunk, idx: list[int]) -> str:
    parts = []
    for j, i in enumerate(idx):
        s = chunk.sentences[i].text
        if j > 0 and idx[j - 1] != i - 1:
            parts.append("…")
        parts.append(s)
    text = ""
    for p in parts:
        if not text:
            text = p
        elif text.endswith((".", "!", "?", ":", "…")) or p == "…":
            text += " " + p
        else:
            text += ": " + p  # a name line ("Clic Seguro (Click Security)") introducing its entry
    return text


def build_answer_text(groups: list[tuple[Chunk, list[int]]], lang: str) -> tuple[str, list[Citation], dict]:
    citations, pieces, marks = [], [], {}
    for n, (chunk, idx) in enumerate(groups, start=1):
        text = _join(chunk, idx)
        start = chunk.sentences[idx[0]].start
        end = chunk.sentences[idx[-1]].end
        citations.append(Citation(n, chunk.doc, start, end, chunk.section, text, chunk.id, chunk.start, chunk.end))
        marks.setdefault(chunk.id, []).extend((chunk.sentences[i].start, chunk.sentences[i].end) for i in idx)
        pieces.append(f"{text} [{n}]")
    return FRAMING[lang]["prefix"] + " ".join(pieces), citations, marks


def order_groups(picked: list[Candidate]) -> list[tuple[Chunk, set[int]]]:
    """Group picked sentences by chunk, keeping the order in which chunks were picked."""
    groups: dict[str, tuple[Chunk, set[int]]] = {}
    for c in picked:
        groups.setdefault(c.chunk.id, (c.chunk, set()))[1].add(c.index)
    return list(groups.values())


def confidence_from(best_score: float, unknown_terms: int, penalty: float = 0.5) -> float:
    """The decline decision's score: the best sentence's score, lowered for each salient
    question term (a name, a year) that appears nowhere in the corpus."""
    return best_score * (penalty ** unknown_terms)


def idf_weights(terms: list[str], idf: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in terms:
        w = idf.get(t)
        if w is not None and w > 0:
            out[t] = max(out.get(t, 0.0), w)
    return out


def prior_of_rank(rank: int) -> float:
    return 1.0 / math.sqrt(rank + 1)

