"""Text normalization and tokenization shared by indexing, retrieval and scoring.

Pure functions only. The tokenizer folds case and accents, keeps alphanumeric
tokens whole (``202bis``, ``XO``) and joins thousands separators so that
``5,000``, ``5.000`` and ``5000`` are one token (``5000``); decimals keep their
point (``27.6``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from .glossary import GLOSSARY, SYNONYMS

TOKENIZER_VERSION = 5

# A number with thousands groups (5,000 / 5.000 / 121,736,809 / 5 000), a decimal, or a word.
_TOKEN_RE = re.compile(
    r"(?P<grouped>\d{1,3}(?:[,.\u00a0\u202f]\d{3})+(?!\d))"  # thousands groups
    r"|\d+\.\d+(?![^\W_])"  # decimal (27.6)
    r"|[^\W_]+",  # letters and digits (202bis, XO, 2014)
    re.UNICODE,
)
_SEPARATORS = re.compile(r"[,.\u00a0\u202f]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACES = re.compile(r"\s+")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\s]*\)")
_MD_LINK_TAIL = re.compile(r"\]\((?:https?://|www\.)[^)\s]*\)")

EN_STOPWORDS = frozenset(
    """a about above across after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they this
    those through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves also tell me please know give s t d ll m re ve
    there's what's who's it's does did any many much
    get got gets getting make made makes take took taken give gave given use used say says said
    happen happened happens mean meant stand stands find found look looks go goes went way thing things
    kind sort type part whole like able well still really""".split()
)

ES_STOPWORDS = frozenset(
    """a al algo algun alguna algunas alguno algunos ante antes aqui asi aun cada como con contra cual
    cuales cuando de del desde donde dos el ella ellas ello ellos en entre era eran es esa esas ese eso
    esos esta estaba estan estar estas este esto estos fue fueron ha habia han hasta hay la las le les
    lo los mas me mi mis mucho muy nada ni no nos nosotros o os otra otras otro otros para pero poco
    por porque que quien quienes se sea ser si sin sobre son su sus tambien tan tanto te tiene tienen
    todo todos tu tus un una unas uno unos usted ustedes y ya yo cuanto cuanta cuantos cuantas
    dime decir puedo puede pueden saber quiero qué cual sabes hola gracias favor segun hacia tras mediante""".split()
)

STOPWORDS = EN_STOPWORDS | ES_STOPWORDS


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Educación' -> 'educacion'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean(text: str) -> str:
    """Index-side cleanup: one space for any run of whitespace, plain dashes,
    and the '[email protected]' artifact that the source's e-mail obfuscation left behind."""
    text = text.replace("[email\u00a0protected]", " ").replace("[email protected]", " ")
    text = _DASHES.sub("-", text)
    # markdown link syntax left in the source: keep the words, drop the address
    text = _MD_LINK_TAIL.sub("", _MD_LINK.sub(r"\1", text))
    text = _SPACES.sub(" ", text).strip()
    if text.startswith("[") and "]" not in text:
        text = text[1:].lstrip()
    return text


_MARKUP = re.compile(r"!?\[[^\]\n]*\]\([^)\s]*\)|<[^>\n]*>|https?://\S+|www\.\S+|\S+@\S+\.\w+")


def strip_markup(text: str) -> str:
    """A question without the links, addresses and tags pasted into it: the words a person
    asked with ('[click here](http://…) How many…?' -> 'How many…?')."""
    return _SPACES.sub(" ", _MARKUP.sub(" ", text)).strip()


_CAPITALIZED_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|for|and|the|de|del|la|y)\s+)*[A-Z][\w’'-]*)+")


def acronyms_of(text: str) -> set[str]:
    """The initials of every stretch of capitalized words, folded: 'Massachusetts Institute
    of Technology' -> 'mit' (and 'miot', with the small words)."""
    out = set()
    for m in _CAPITALIZED_RUN.finditer(text):
        words = m.group(0).split()
        for i in range(len(words)):  # every stretch that starts and ends on a capital
            if not words[i][0].isupper():
                continue
            for part in (words[i:j] for j in range(i + 2, min(len(words), i + 8) + 1)):
                if part[-1][0].isupper():
                    out.add(fold("".join(w[0] for w in part if w[0].isupper())))
                    out.add(fold("".join(w[0] for w in part)))
    return {a for a in out if 3 <= len(a) <= 6}


def raw_tokens(text: str) -> list[str]:
    """Folded tokens without stemming or stopword removal."""
    out = []
    for match in _TOKEN_RE.finditer(fold(_DASHES.sub("-", text))):
        token = match.group(0)
        if match.group("grouped"):
            token = _SEPARATORS.sub("", token)
        out.append(token)
    return out


@lru_cache(maxsize=2)
def _stemmer(lang: str):
    return snowballstemmer.stemmer("spanish" if lang == "es" else "english")


# a Spanish infinitive with a pronoun attached: "mostrarle" is "mostrar"
_CLITIC = re.compile(r"^(\w{2,}[aei]r)(?:se|me|te|nos|les?|los?|las?)$")

# Spanish verb endings (folded) and the infinitive endings they may come from, longest
# first: "obliga" -> "obligar", "prostituye" -> "prostituir", "grabado" -> "grabar"
_VERB_ENDINGS = (("uyen", ("uir",)), ("uye", ("uir",)), ("ieron", ("er", "ir")), ("iendo", ("er", "ir")),
                 ("aron", ("ar",)), ("ando", ("ar",)), ("ados", ("ar",)), ("adas", ("ar",)), ("idos", ("er", "ir")),
                 ("ado", ("ar",)), ("ada", ("ar",)), ("ido", ("er", "ir")), ("io", ("er", "ir")), ("an", ("ar",)),
                 ("en", ("er", "ir")), ("a", ("ar",)), ("e", ("er", "ir")), ("o", ("ar",)))


def glossary_entry(token: str) -> str:
    """The glossary's English for a folded Spanish word, trying the word itself, then an
    infinitive with a pronoun attached ("mostrarle"), then the infinitive a conjugated
    form may come from ("obliga", "convence", "prostituye")."""
    entry = GLOSSARY.get(token) or GLOSSARY.get(_CLITIC.sub(r"\1", token))
    if entry or len(token) < 4:
        return entry or ""
    for ending, infinitives in _VERB_ENDINGS:
        if token.endswith(ending):
            stem = token[: -len(ending)]
            for inf in infinitives:
                if stem + inf in GLOSSARY:
                    return GLOSSARY[stem + inf]
            break
    return ""


def synonyms_entry(token: str) -> str:
    """The paraphrases of an English question word, or of another form of it ("showing")."""
    return SYNONYMS.get(token) or _synonyms_by_stem().get(_stem(token, "en"), "")


@lru_cache(maxsize=1)
def _synonyms_by_stem() -> dict[str, str]:
    out: dict[str, str] = {}
    for word, entry in SYNONYMS.items():
        out.setdefault(_stem(word, "en"), entry)
    return out


@lru_cache(maxsize=65536)
def _stem(token: str, lang: str) -> str:
    if token[0].isdigit() or len(token) <= 3:
        return token
    return _stemmer(lang).stemWord(token)


# "about how many…", "roughly 5,000": an approximation asked for, not a topic ("what is it about?")
_APPROXIMATELY = re.compile(r"\b(about|around|roughly|approximately|nearly|almost)\s+(?=how\b|what\b|\d)", re.I)
# "¿qué le pasa a alguien que le pasa pornografía…?": the frame asks for a penalty (see
# ``answer.ANSWER_TYPES``); its verb is no topic, the offense's "pasa" (gives) is
_WHAT_HAPPENS = re.compile(r"^\W*(?:y\s+)?qu[eé]\s+(?:le\s+|les\s+)?(?:pasa|pasar[ií]a|sucede)\b", re.I)

# "touches a child without actually having sex with them", "sin llegar a la violación": the
# profile's "sexual act which does not include intercourse" (Articles 260, 261), not the rape
# the question rules out
_NOT_INTERCOURSE = re.compile(
    r"\b(without|but not|short of) (actually |really |quite |ever )?(having (sex|sexual intercourse|intercourse)|"
    r"raping|rape|penetrat\w*|intercourse|going all the way)\b|"
    r"\bsin (llegar a |que llegue a )?(la |una )?(violaci[oó]n|violarl[oa]s?|violar|tener (relaciones|sexo)|"
    r"penetra\w*|coito)\b( sexuales)?", re.I)
# other phrases a parent uses for the profile's words: "talking a teenager into selling sex" is
# Article 204's inducing or persuading a minor to engage in prostitution
_PHRASES = (
    (_NOT_INTERCOURSE, " not include intercourse "),
    (re.compile(r"\b(selling|sell|sells|sold) (sex|their bod(y|ies)|her body|his body|themselves|herself|himself)\b|"
                r"\b(vender|venda|vende|venden) (sexo|su cuerpo)\b", re.I), " prostitution "),
    (re.compile(r"\b(talk|talks|talking|talked|pressure|pressures|pressuring|pressured|sweet-talk\w*) "
                r"(([\w'-]+ ){1,3})into\b", re.I), r" inducing persuading \2 "),
)

# "a kid under 15", "menores de 18": the profile writes such ages in words ("under the age of
# fifteen"); other figures in digits stay as they are ("a 16-year-old" is no "sixteen years")
_UNDER_AGE = re.compile(r"\b(under|below|younger than|menor(?:es)? de|de menos de)\s+(1[0-9]|[2-9])\b", re.I)
NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                 "sixteen seventeen eighteen nineteen").split()


def query_terms(text: str, lang: str = "en", stopwords: frozenset[str] = STOPWORDS) -> list[tuple[str, ...]]:
    """A question's content words, each with the variants that may meet the English
    profile: its English stem; for Spanish also its Spanish stem (cognates:
    'consentimiento' and 'consent' both stem to 'consent') and its glossary translations
    ('cárcel' -> 'prison', 'imprisonment'); for English, its paraphrases ('kids' ->
    'children'). A word and its variants count as one term when scoring coverage."""
    out: list[tuple[str, ...]] = []
    ages = {m.group(2) for m in _UNDER_AGE.finditer(text)}
    for phrase, words in _PHRASES:
        text = phrase.sub(words, text)
    for token in raw_tokens(_WHAT_HAPPENS.sub("", _APPROXIMATELY.sub("", text))):
        # a stop word with a paraphrase stays ("makes" -> make -> creating, production)
        if token in stopwords and not (token in GLOSSARY if lang == "es" else synonyms_entry(token)):
            continue
        variants = [_stem(token, "en")]
        if lang == "es":
            variants.append(_stem(token, "es"))
            if len(token) > 6 and token.endswith(("e", "es")):  # 'componentes' -> 'component(s)'
                variants.append(_stem(token[:-2] if token.endswith("es") else token[:-1], "en"))
        entry = glossary_entry(token) if lang == "es" else synonyms_entry(token)
        variants += [_stem(w, "en") for w in entry.split() if w not in stopwords]
        if token in ages:
            variants.append(NUMBER_WORDS[int(token)])
        if token in stopwords and len(variants) == 1:
            continue
        out.append(tuple(dict.fromkeys(variants)))
    return out


def query_tokens(text: str, lang: str = "en") -> list[str]:
    """BM25 tokens of a question: every variant of every content word."""
    return [v for group in query_terms(text, lang) for v in group]


def tokenize(text: str, lang: str = "en", stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """BM25 tokens of a passage: folded, stopwords dropped, English Snowball stems.
    (Questions go through :func:`query_tokens`, which adds variants.)"""
    return [_stem(t, "es" if lang == "es" else "en") for t in raw_tokens(text) if t not in stopwords]


class Speller:
    """Corrects a misspelt question word to the one corpus word a single edit away (a letter
    added, dropped, changed or two swapped): "cinetransfomers" -> "cinetransformers",
    "cyberbulying" -> "cyberbullying". A word the glossary or the paraphrases know, and a
    short word, stay as typed: without a full dictionary, "sexting" or "tienen" would be
    taken for typos of "texting" or "vienen"."""

    MIN_LENGTH = 8

    def __init__(self, counts: dict[str, int]):
        self.counts = dict(counts)
        self._by_delete: dict[str, set[str]] = {}
        for word in self.counts:
            for key in _deletes(word) | {word}:
                self._by_delete.setdefault(key, set()).add(word)

    def correct(self, token: str) -> str | None:
        if len(token) < self.MIN_LENGTH or not token.isalpha() or token in self.counts \
                or glossary_entry(token) or synonyms_entry(token):
            return None
        near = {w for key in _deletes(token) | {token} for w in self._by_delete.get(key, ())
                if _one_edit(token, w)}
        if not near:
            return None
        best = sorted(near, key=lambda w: (-self.counts[w], w))
        # two neighbours as common as each other: no way to tell which was meant
        if len(best) > 1 and self.counts[best[0]] == self.counts[best[1]]:
            return None
        return best[0]

    def correct_text(self, text: str) -> str:
        def fix(match: re.Match) -> str:
            word = match.group(0)
            if fold(word) != word.lower():
                return word  # an accent was typed on purpose: "políticas" is no typo of "political"
            better = self.correct(fold(word))
            if better is None:
                return word
            return better.capitalize() if word[0].isupper() else better
        return re.sub(r"[^\W\d_]+", fix, text)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether b is a, with one letter added, dropped or changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]
