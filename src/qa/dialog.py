"""Follow-up questions: decide whether a question leans on earlier turns, and build
the query that carries their topic ("And how many students benefited?" after a
question on the 2014 pilot searches for both)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import STOPWORDS, raw_tokens

_LEADS = re.compile(
    r"^\W*(and|also|what about|how about|what else|so|then|y|e|también|tambien|entonces|además|ademas|pero|o sea)\b",
    re.IGNORECASE,
)
_REFERENCES = frozenset(
    """it its it's they them their theirs that this those these he she his her him there
    ese esa eso esos esas este esta esto estos estas ellos ellas su sus dicho dicha dichos dichas
    ahi alli aquel aquella""".split()
)


# words that name no particular thing: "What was the program called?", "under what program tho?"
# lean on the conversation for which program
_GENERIC = frozenset(
    """program programme project initiative organization organisation group network website site page platform
    campaign foundation plan strategy pilot event law article report study paper document company service portal
    called named name tho though exactly
    programa proyecto iniciativa organizacion grupo red pagina sitio plataforma campana fundacion estrategia
    evento ley articulo informe estudio documento empresa servicio llama llamaba llamado nombre""".split()
)


def is_followup(question: str, history: Sequence[dict]) -> bool:
    """True when there is history and the question opens like a continuation, points back
    with a pronoun, or names nothing particular on its own."""
    if not any(t.get("role") == "user" for t in history):
        return False
    words = raw_tokens(question)
    if _LEADS.search(question) or any(w in _REFERENCES for w in words):
        return True
    content = [w for w in words if w not in STOPWORDS]
    # "What is Article 203?" names something particular in a generic word's company
    return len(content) <= 1 or all(w in _GENERIC for w in content)


_ASKS = re.compile(
    # a question word, after a preposition too: "y de dónde sacan…?", "and in which year?"
    r"^((de|a|en|con|para|por|desde|hasta|from|to|in|at|with|for|by|of)\s+)?"
    r"(what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|will|would|has|have|"
    r"que|qué|cual|cuál|cuales|cuáles|quien|quién|quienes|quiénes|cuando|cuándo|donde|dónde|por qué|como|cómo|"
    r"cuanto|cuánto|cuanta|cuánta|cuantos|cuántos|cuantas|cuántas|hay|es|son|fue|tiene|tienen)\b",
    re.IGNORECASE,
)


def continues_question(question: str) -> bool:
    """True when a follow-up only changes the subject of the question before it ("And for
    the people who make it?", "¿Y al que viaja?", "What about Article 203?"): it asks
    the same thing, so it wants the same kind of answer."""
    lead = _LEADS.search(question)
    if not lead:
        return False
    rest = question[lead.end():].lstrip(" ,¿?¡!")
    if lead.group(1).lower() in ("what about", "how about"):
        return True
    return not _ASKS.search(rest)


def earlier_questions(question: str, history: Sequence[dict], depth: int = 2) -> list[str]:
    """The user turns a follow-up depends on, nearest first, back to the first one
    that stands on its own."""
    if not is_followup(question, history):
        return []
    users = [t.get("content", "") for t in history if t.get("role") == "user" and t.get("content")]
    out = []
    for i in range(len(users) - 1, -1, -1):
        out.append(users[i])
        if len(out) >= depth or not is_followup(users[i], [{"role": "user"}] if i > 0 else []):
            break
    return out


def resolve(question: str, history: Sequence[dict]) -> str:
    """The search query for a question in its conversation."""
    earlier = earlier_questions(question, history)
    return " ".join([question, *earlier]) if earlier else question


def previous_answer(history: Sequence[dict]) -> str:
    for turn in reversed(history):
        if turn.get("role") == "assistant" and turn.get("content"):
            return str(turn["content"])
    return ""
