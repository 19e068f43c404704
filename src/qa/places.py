"""Country names in English and Spanish ('Brasil', 'Estados Unidos', 'argentina'), so that a
question about another country than the profile's is recognised even in lower case."""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

import pycountry

from .text import fold

# what people type that ISO 3166 does not list
_ALIASES = {
    "usa": "united states", "eeuu": "united states", "ee uu": "united states", "u s": "united states",
    "estados unidos de america": "united states", "united states of america": "united states",
    "uk": "united kingdom", "england": "united kingdom", "inglaterra": "united kingdom",
    "gran bretana": "united kingdom", "great britain": "united kingdom", "corea del sur": "south korea",
    "corea del norte": "north korea", "holland": "netherlands", "holanda": "netherlands",
}
# names that are also everyday words; they count only when capitalized ("Chile", not "chile";
# "USA", not the Spanish verb "usa"; "Réunion", not "la reunión", a meeting)
_COMMON = frozenset("chad jersey georgia jordan niger turkey china chile cuba india guinea mali togo oman usa reunion".split())


def _short(name: str) -> str:
    """'Bolivia, Plurinational State of' -> 'Bolivia'; 'Taiwán (Provincia de China)' -> 'Taiwán'."""
    return re.split(r"[,(]", name)[0].strip()


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], re.Pattern]:
    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        common = getattr(country, "common_name", None)
        canonical = fold(_short(common or country.name))
        for variant in (country.name, common, spanish.gettext(country.name)):
            if variant and len(_short(variant)) > 3:
                names.setdefault(fold(_short(variant)), canonical)
    names.update(_ALIASES)
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return names, re.compile(rf"(?<![\w.])({alternatives})(?![\w])")


def countries_in(text: str) -> list[tuple[str, str]]:
    """The countries a text names: (English name folded, the words as typed folded).
    'Brasil' -> ('brazil', 'brasil'); 'EE.UU.' -> ('united states', 'ee uu')."""
    names, pattern = _table()
    words = re.findall(r"[^\W\d_]+", text)
    capitalized = {fold(w) for w in words if w[0].isupper()}
    folded = " ".join(fold(w) for w in words)
    out = []
    for m in pattern.finditer(folded):
        typed = m.group(1)
        if typed in _COMMON and typed not in capitalized:
            continue
        out.append((names[typed], typed))
    return out
