"""Spanish or English? A small rule over function words and Spanish-only marks.

Questions are short, so character n-gram detectors guess poorly on them; the words
that carry a question ("qué", "cuántos", "dónde", "the", "how") decide it reliably.
"""

from __future__ import annotations

import re

from .text import fold

_ES_MARKS = re.compile(r"[¿¡ñ]|[áéíóú]", re.IGNORECASE)
_ES_WORDS = frozenset(
    """que cual cuales quien quienes cuanto cuanta cuantos cuantas donde cuando como por para del los las
    una unos unas el la es son esta estan hay fue fueron tiene tienen se su sus y o pero con sin sobre
    edad pena carcel anos ano ninos nino ninas menores padres maestros escuela escuelas internet denuncio
    denunciar puedo puede hola gracias organizacion organizaciones programa ley leyes articulo articulos
    cuenta sabe dice dijo ayuda mexico usuarios poblacion estudiantes alumnos recibio recibieron""".split()
)
_EN_WORDS = frozenset(
    """the what which who whom whose how many much when where why is are was were does did do of and or
    to in on for with about age law laws children parents teachers school report internet users
    population program organization article penalty there their they it its this that these those
    hello hi thanks thank please tell me""".split()
)
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str:
    """'es' or 'en'. Ties go to English, the profile's language."""
    words = [fold(w) for w in _WORD.findall(text)]
    es = sum(w in _ES_WORDS for w in words) + 2 * len(_ES_MARKS.findall(text))
    en = sum(w in _EN_WORDS for w in words)
    return "es" if es > en else "en"
