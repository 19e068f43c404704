"""Evaluation sets: JSONL, one item a line. Loading validates every line and reports
all problems at once, with line numbers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import Document
from .errors import EvalSetError

CATEGORIES = ("statistic", "timeline", "program", "organization", "research", "law", "event", "unanswerable")
LANGS = ("en", "es")
_BARE_FIGURE = re.compile(r"^[\d.,%\s\u2011-]*\d[\d.,%]*$")


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    lang: str
    category: str
    answerable: bool
    answers: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    history: tuple[dict, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        d = {"id": self.id, "question": self.question, "lang": self.lang, "category": self.category,
             "answerable": self.answerable, "answers": list(self.answers), "evidence": list(self.evidence)}
        if self.history:
            d["history"] = [dict(t) for t in self.history]
        d.update(self.extra)
        return d


def _problems(obj, docs: list[Document]) -> list[str]:
    p = []
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    for key, typ in (("id", str), ("question", str), ("lang", str), ("category", str), ("answerable", bool),
                     ("answers", list), ("evidence", list)):
        if key not in obj:
            p.append(f"missing field {key!r}")
        elif not isinstance(obj[key], typ):
            p.append(f"{key!r} must be {typ.__name__}")
    if p:
        return p
    if not obj["question"].strip():
        p.append("empty question")
    if obj["lang"] not in LANGS:
        p.append(f"lang {obj['lang']!r} is not one of {', '.join(LANGS)}")
    if obj["category"] not in CATEGORIES:
        p.append(f"category {obj['category']!r} is not one of {', '.join(CATEGORIES)}")
    if not all(isinstance(a, str) and a.strip() for a in obj["answers"]):
        p.append("answers must be non-empty strings")
    if obj["answerable"]:
        if not obj["answers"]:
            p.append("an answerable item needs at least one answer")
        if not 1 <= len(obj["evidence"]) <= 3:
            p.append("an answerable item needs 1 to 3 evidence strings")
        if obj["category"] == "unanswerable":
            p.append("category 'unanswerable' with answerable true")
    else:
        if obj["answers"] or obj["evidence"]:
            p.append("an unanswerable item has empty answers and evidence")
    for ev in obj["evidence"]:
        if not isinstance(ev, str):
            p.append("evidence must be strings")
            continue
        if not (20 <= len(ev) <= 200 or _BARE_FIGURE.match(ev)):
            p.append(f"evidence {ev[:40]!r} is {len(ev)} characters (20 to 200, or a bare figure)")
        if docs and not any(ev in d.text for d in docs):
            p.append(f"evidence {ev[:60]!r} is not verbatim in the corpus")
    history = obj.get("history", [])
    if not isinstance(history, list):
        p.append("history must be a list")
    else:
        for i, turn in enumerate(history):
            if not (isinstance(turn, dict) and turn.get("role") in ("user", "assistant")
                    and isinstance(turn.get("content"), str)):
                p.append(f"history turn {i + 1} must be {{'role': 'user'|'assistant', 'content': str}}")
    return p


def load_set(path: Path, docs: list[Document] | None = None) -> list[Item]:
    """Read and validate a set; raise :class:`EvalSetError` listing every bad line."""
    path = Path(path)
    try:
        raw = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise EvalSetError(str(path), [(0, f"cannot read the file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise EvalSetError(str(path), [(0, f"not UTF-8 (byte {exc.start})")]) from exc
    items, problems, seen = [], [], set()
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            problems.append((n, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        why = _problems(obj, docs or [])
        if isinstance(obj, dict) and obj.get("id") in seen:
            why.append(f"duplicate id {obj['id']!r}")
        if why:
            problems.extend((n, w) for w in why)
            continue
        seen.add(obj["id"])
        known = {"id", "question", "lang", "category", "answerable", "answers", "evidence", "history"}
        items.append(Item(obj["id"], obj["question"], obj["lang"], obj["category"], obj["answerable"],
                          tuple(obj["answers"]), tuple(obj["evidence"]), tuple(obj.get("history", [])),
                          {k: v for k, v in obj.items() if k not in known}))
    if not items and not problems:
        problems.append((0, "the set holds no items"))
    if problems:
        raise EvalSetError(str(path), problems)
    return items
