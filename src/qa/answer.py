"""Extractive answers: pick the sentences of the retrieved passages that answer the
question, cite each with a numbered span, or decline.

Scoring and selection are pure functions over arrays (``sentence_scores``,
``select_sentences``); ``compose`` turns a selection into an :class:`Answer`.
Answer text is profile sentences as written (whitespace cleaned), a long one up to the
last clause the question needs and marked "…" where cut (``kept_length``), plus fixed framing
from ``FRAMING``: for "how many years between A and B?", a marked line counting the years
between the two quoted (``span_note``); nothing else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .corpus import Chunk
from .retrieve import Hit
from .text import NUMBER_WORDS, clean, fold, glossary_entry, query_terms, raw_tokens, tokenize

FRAMING = {
    "en": {
        "prefix": "",
        "declined": "The profile does not say. The closest passages it has are listed below.",
        "greeting": "Ask me a question about the profile: its statistics, programs, organizations, research or laws.",
        "empty": "Please type a question.",
        # after the two quoted dates of "how many years between A and B?"
        "span": "That is {years} years ({first} to {last}), counted from the years quoted.",
    },
    "es": {
        "prefix": "Según el perfil: ",
        "declined": "El perfil no dice nada sobre eso. Abajo están los pasajes más cercanos.",
        "greeting": "Hágame una pregunta sobre el perfil: sus estadísticas, programas, organizaciones, investigaciones o leyes.",
        "empty": "Escriba una pregunta, por favor.",
        "span": "Son {years} años (de {first} a {last}), contados a partir de los años citados.",
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

# ------------------------------------------------------------------ answer types

# What kind of answer a question asks for, and how to recognise a sentence that gives
# it. Checked in order; the first question pattern that matches wins.
_YEAR = r"(?:19|20)\d{2}"
_OFFENDERS = r"(jefe|maestro|maestra|profesor|profesora|adulto|hombre|senor|tipo|servidor|funcionario)s?"
ANSWER_TYPES: tuple[tuple[str, re.Pattern, re.Pattern], ...] = (
    ("money",
     re.compile(r"\b(budget|cost|costs|price|funding|funded with|how much money|spent|spend|invest\w*|salary of|presupuesto|cuesta|cuestan|costo|precio|financiamiento|inversion|gasto|"
                r"(in|en) (pesos|dollars|dolares|usd|mxn)\b|(how many|cuant[oa]s) (pesos|dollars|dolares)\b)", re.I),
     re.compile(r"[$€£]|\b(dollars?|pesos?|euros?|usd|mxn|budget|funding|invest\w*)\b", re.I)),
    ("contact",
     # a phone number or an address asked for, not a website named as a topic ("what do
     # students get from the website?") nor "address" the verb
     re.compile(r"\b((tele)?phone (number|line)|(hotline|helpline|report line) number|number (to|do i|should i|can i) call|"
                r"call (to|for)\b|(what|which) (tele)?phone\b(?! (company|companies|provider|operator|firm|carrier))|(tele)?phone (of|for)\b|"
                r"(what is|what's|whats) (the|its|their|his|her) (website|web ?site|web page|url|e-?mail|web address|address)\b|"
                r"(website|web ?site|web page|url|e-?mail|web address|postal address|street address) (of|for|address)\b|"
                r"e-?mail address|telefono|llamar|a que numero|a que correo|(cual|que) (es )?(su |el )?correo|"
                # "an emergency number to report grooming", "¿hay un número para denunciar…?"
                r"(emergency|helpline|hotline|toll-free) (phone )?number|number (to|for) (call|report|dial)|"
                r"numero (de (emergencia|ayuda|denuncia|whatsapp|telefono|celular)|telefonico|gratuito|"
                r"para (llamar|denunciar|reportar))|"
                r"whatsapp|"
                r"(cual|cuales) (es|son) (su|sus|el|la|los) (pagina|sitio|correo|direccion)|"
                r"(pagina|sitio) (web|de internet) de|correo electronico de)", re.I),
     re.compile(r"\+?\d[\d\s().-]{6,}\d|https?://|www\.|\.(?:org|com|gob|mx|net)\b|@\w", re.I)),
    ("report",
     # where to report something: a reporting channel answers, not a report on the subject
     re.compile(r"\b((where|how)( in \w+)? (can|do|should|could|would|to|does one|do you) (i |we |you |parents |people |someone |one )?"
                r"(go to |file a |make a )?(report|flag|denounce)|where (is|are) (the )?reporting|"
                r"who (can|do|should|could) (i|we|you|parents|people) (report|flag|denounce)|to whom (can|do|should) \w+ report|"
                # "which group is the official place to report it?"
                r"(place|site|website|organi[sz]ation|group|body|agency|office|channel) (to|for) (report|flag|denounc)|"
                r"(lugar|sitio|pagina|organizacion|institucion|instancia|organismo) (para|donde) (se puede )?(denunci|report)|"
                r"(donde|a donde|como|ante quien|a quien) ((puedo|se puede|debo|podemos|hay que|se|les?|lo|la) )*"
                r"(denunci|report)\w*)", re.I),
     re.compile(r"\breporting (node|line|point)|\breport(ing)? line\b|allowing users to report|contact point for reporting",
                re.I)),
    ("author",
     re.compile(r"\b(who (wrote|writes|authored|published|produced|prepared|put out|released|issued)|which \w+ (wrote|published|produced|prepared|put out|released|issued)|by whom|(co-?)?author(s|ed)?\b|written by|quien(es)? (lo |la |los |las )?(escribio|escribieron|publico|publicaron|elaboro|elaboraron)|autor(a|es|as)?\b|"
                # "who studied the digital gap…?", "¿quién investigó…?"
                r"who (studied|researched|investigated|examined|analy[sz]ed|surveyed|looked (at|into))\b|"
                r"quien(es)? (estudio|estudiaron|investigo|investigaron|analizo|analizaron)\b|"
                # "who did the 2013 study", "¿quién hizo el estudio…?"
                r"who (did|does|conducted|carried out|made|ran|undertook) (\S+ ){0,3}(study|studies|research|report|survey|paper|analysis)|"
                r"quien(es)? (hizo|hicieron|realizo|realizaron|llevo a cabo|llevaron a cabo) (\S+ ){0,3}(estudio|investigacion|informe|reporte|encuesta|documento|analisis)|"
                # "Is there a study on…? Who did it?", "¿hay algún estudio…? ¿quién lo escribió?"
                r"(study|studies|research|report|paper|survey|estudio|investigacion|informe|reporte|encuesta)\b.*\b("
                r"who (did|made|wrote|conducted|published|prepared) (it|that|this|them)\b|"
                r"quien(es)? (lo|la|los|las) (hizo|hicieron|escribio|escribieron|realizo|realizaron|publico|publicaron|elaboro)))", re.I),
     re.compile(r"^$")),  # matched by position (a research entry's second line), see sentence_types
    ("percent",
     re.compile(r"(?:what|which|que|qué) ?%|\b(percent|percentage|(literacy|unemployment|poverty|dropout|penetration|enrollment|enrolment|growth|birth|mortality|crime) rate|tasa de|(what|which) share|share of|proportion|what part|porcentaje|por ciento|proporcion|que parte)", re.I),
     re.compile(r"\d%|\bper ?cent")),
    ("fine",
     # "what fine…", "¿cuánto es de multa?": a term of imprisonment alone does not say
     re.compile(r"\b(fines?\b(?! de lucro)|multas?\b)", re.I),
     re.compile(r"\bfines?\b|minimum salary", re.I)),
    ("penalty",
     # "what does Article 262 punish?", "¿qué castiga…?" ask for the offense, not the penalty
     re.compile(r"\b(penalt|punish(ment|ments|ed|able)\b|sentence|jail|prison|fined\b|how long|years? (in|of)|penas?\b|"
                r"castig(o|os|ado|ada|ados|adas)\b|carcel|prision|sancion|condena|"
                r"cuantos an(y)?os (de (carcel|prision|condena|pena)|dan|le dan|te dan|me dan|de castigo)|"
                r"cuanto (tiempo )?(le|les|te|me) (dan|toca|tocan)\b|"
                # "what happens to someone who…", "¿qué le pasa al que…?": what the law does to an offender
                r"what (can |could |will |would )?happens? (to|if) (someone|somebody|anyone|anybody|a person|people|those|"
                r"the person|an adult|adults|a man|a teacher|whoever)|"
                # "what happens to a boss who keeps harassing…?"
                r"what (can |could |will |would )?happens? to (a|an|the|any) ([\w'-]+ ){1,3}who\b|"
                r"what (can |could |will |would )?happens? if (a|an|the|my|your|his|her) (boss|coach|relative|"
                r"stranger|priest|neighbou?r|stepfather|uncle|police officer|public servant|official)\b|"
                r"que (le |les )?(pasa|pasaria|puede pasar|va a pasar|sucede|hacen|le hacen) (a |al |con |si )?"
                r"(alguien|quien|una persona|los que|el que|que|la persona|un adulto|quienes)|"
                r"que (le |les )?(pasa|pasaria|puede pasar|va a pasar|sucede|hacen) ((a|al) "
                r"(un |una |el |la |los |las )?" + _OFFENDERS + r" (que|quien)\b|si (un|una|el|la|los|las) "
                + _OFFENDERS + r"\b))",
     re.I),
     # a term or a fine: not a sentence that only names "the same penalties" (a penalty
     # raised is a weaker answer, see RAISED)
     re.compile(r"\b(years?|months?|days?)['’]?\s+(imprisonment|in prison|minimum salary)|\bimprisonment (for|of)\b|"
                r"\bprison term\b|\bfine of\b|\bsentence (is|of)\b", re.I)),
    ("names",
     # "which companies backed…", "¿qué empresas apoyaron…?" (plural): a list of names is the answer
     re.compile(r"\b((which|what) (other )?(tech |technology |private |international |telecom |big )?(companies|organizations|"
                r"organisations|partners|sponsors|institutions|firms|corporations|businesses)\b|"
                r"que (otras )?(empresas|organizaciones|instituciones|companias|socios|patrocinadores)\b|"
                # "Which states were in the 2014 trial?": a list of places
                r"(which|what) (mexican )?(states|cities)\b|(en )?(que|cuales) (estados|ciudades)\b)", re.I),
     # two or more capitalized names in a list: "Microsoft, Intel, IUSA, Cisco, Elara"
     re.compile(r"\b[A-Z][\w&.’'-]*(?: (?:for |of |the )?[A-Z][\w&.’'-]*)*, (?:and )?(?:the )?[A-Z][\w&.’'-]*"
                r"(?: (?:for |of |the )?[A-Z][\w&.’'-]*)*(?:,| and)|"
                # "such as iSAFE and FOSI"
                r"\b(?:such as|including|like) (?:the )?[\w&.’'-]*[A-Z][\w&.’'-]* and (?:the )?[\w&.’'-]*[A-Z]")),
    ("place",
     # where an event was held or a body is based, not "where do I report…"
     re.compile(r"\b((in|at) (which|what) (city|town|place|venue)|(which|what) (city|town|venue)\b|"
                r"where (is|are|was|were|did|does) [\w\s,'’-]{0,120}(held|hold|hosted|host|located|based|take place|took place|meet|met|get together|got together|gather|gathered|convene|convened|come together|came together)\b|"
                r"headquarter|donde (esta|estan|queda|quedan|se encuentra|se ubica|tiene) (su|sus|la|el|las|los)? ?sede|"
                # "where was the 2001 meeting?", "¿dónde fue la junta…?"
                r"where (was|were|is) (the|that|this|their|its) ([\w'-]+ ){0,4}(meeting|conference|congress|"
                r"consultation|event|forum|roundtable|summit|gathering|get-together)s?\b|"
                r"donde (fue|fueron|era|es) (la|el|esa|ese|su) ([\w-]+ ){0,2}(junta|reunion|conferencia|congreso|"
                r"consulta|evento|foro|encuentro|mesa redonda|cumbre)\b|"
                # "Which university hosted the 2001 meeting…?"
                r"(which|what) (university|college|school|campus|institution) (hosted|held|housed|was host)|"
                r"(que|cual) (universidad|escuela|institucion) (fue sede|albergo|recibio|hospedo)|"
                r"donde (se|fue|tuvo) \w* ?(celebr|realiz|llev|organiz|reun|hizo|hicieron)|en (que|cual) (ciudad|lugar|sede)|"
                r"(su|la) sede\b)", re.I),
     # a capitalized name after "in", "at", "en": "in Mexico City", "at the University of …"
     re.compile(r"\b(?:[Ii]n|[Aa]t|[Ee]n)\s+(?:the\s+)?(?!(?:January|February|March|April|May|June|July|August|"
                r"September|October|November|December|Internet|English|Spanish)\b)[A-Z][a-z]")),
    ("number",
     re.compile(r"\b(how many|how much|number of|cuant[oa]s?|numero de|cantidad de)", re.I),
     re.compile(r"\d+(?:[,.]\d+)*(?![\d])(?<!\b" + _YEAR + r")|\b(" + "|".join(NUMBER_WORDS[1:])
                + r"|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen)\b",
                re.I)),
    ("date",
     # "when are you legally an adult?" asks for an age
     re.compile(r"\b(when(?! (are|is|does|do|can) (you|someone|a person|one|people|kids|children|a child|minors?) "
                r"(legally |considered |old enough |allowed )?(an? )?(adults?|of age|old enough|allowed|able|grown))|what year|which year|"
                # "which is older, RELPE or the Forum?", "¿cuál es más antigua…?": the two dates answer it
                r"\b(which|who|cual|quien)\b(\s\S+){0,3}\s(is|was|came|started|began|es|fue|empezo|surgio)\s(older|newer|first|earlier|later|mas (antigu|viej|nuev|recient)|primero)(?!\w* (than|que) \d)|"
                r"(what|which) (date|day|month)\b(?!-)|cuando|que an(y)?o|en que an(y)?o|que fecha|"
                r"(que|cual) (dia|mes)\b)", re.I),
     re.compile(r"\b" + _YEAR + r"\b|\b(january|february|march|april|may|june|july|august|september|october|november|december)\b", re.I)),
)


# "the penalty is increased by up to half", "a public servant… will lose their job": about a
# penalty, but not the term or fine itself
RAISED = re.compile(r"\b(penalty|penalties|sentence) (is|are) increased|\bincreased (penalt|sentence)|"
                    r"\blose their (job|position)\b", re.I)


_NOW = re.compile(r"\b(today|currently|nowadays|right now|at present|presently|these days|still|at the moment|"
                  r"actualmente|hoy en dia|hoy|ahora|ahorita|todavia|en la actualidad|a la fecha)\b")
_DATED = re.compile(r"\b" + _YEAR + r"\b")


def asks_about_now(question: str) -> bool:
    """'How many RIA centers are operating today?', '¿…hay actualmente?': a sentence about a
    year in the past does not say how things stand now."""
    return bool(_NOW.search(fold(question)))


def is_dated(sentence: str) -> bool:
    return bool(_DATED.search(sentence))


RAISED_MATCH = 0.5  # how fully a penalty that is only raised answers a penalty asked for


def type_match(wanted: str | None, types: frozenset[str], raised: float = RAISED_MATCH) -> float:
    """How fully a sentence of these types gives the kind of answer asked for: 1, or
    ``raised`` for a penalty that is only raised, or 0."""
    if wanted in types:
        return 1.0
    return raised if wanted == "penalty" and "raised" in types else 0.0


# "and if two or more people did it together?", "¿y si es servidor público?": a condition
# added to the offense asked about before, which a raised penalty answers in full
_CONDITION = re.compile(r"^\W*((and|y|e|pero|but)\s+)?(what\s+)?(if|si)\b", re.I)


def adds_condition(question: str) -> bool:
    """'And if two or more people did it together?', '¿y si es servidor público?'"""
    return bool(_CONDITION.match(fold(question)))


# "how many years passed between A and B?": the two dates answer it (the profile gives no
# span to quote, and the answer does not subtract)
_SPAN = re.compile(r"\b(how many years (passed|went by|were there|are there|between|since|before|after|apart)|"
                   r"how long (before|after|between)|cuantos an(y)?os (pasaron|hay|habia|de diferencia|entre|antes|despues|"
                   r"desde))", re.I)


# the sentences of a question that ask, after any that only set the scene
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[¿¡\"“A-ZÁÉÍÓÚÑ])")


def expected_type(question: str) -> str | None:
    """The kind of answer asked for. Only the asking sentences count: "The group that runs
    Mexico's site for reporting illegal stuff also started a program. What was it?" asks
    for a program, not a place to report."""
    question = " ".join(s for s in _SENTENCE_END.split(question) if s.rstrip().endswith("?")) or question
    q = fold(question.replace("ñ", "ny").replace("Ñ", "NY"))  # "Peña Nieto" asks for no "pena"
    if _SPAN.search(q):
        return "date"
    for name, asks, _gives in ANSWER_TYPES:
        if asks.search(q):
            return name
    return None


GIVES = {name: gives for name, _asks, gives in ANSWER_TYPES}  # a kind of answer -> what a sentence giving it has
_NUMBER_WORD = GIVES["number"]  # a figure, not a year
_COUNTED = re.compile(r"\b(?:how many|number of|cuant[oa]s|numero de|cantidad de)\s+(.+)", re.I)
COUNT_WINDOW = 4  # tokens either side of a figure that say what it counts


def counted_terms(question: str, lang: str) -> tuple[str, ...]:
    """What a "how many" question counts, as its first content word's variants
    ('How many member organizations…' -> member; '¿Cuántas escuelas…?' -> school, escuel)."""
    m = _COUNTED.search(fold(question))
    groups = query_terms(m.group(1), lang) if m else []
    return groups[0] if groups else ()


def counts(sentence: str, counted: tuple[str, ...]) -> bool:
    """Whether the sentence gives a figure with what the question counts beside it:
    '5,000 XO laptops' counts laptops, not schools."""
    words = raw_tokens(sentence)
    for i, w in enumerate(words):
        if _NUMBER_WORD.fullmatch(w):
            near = " ".join(words[max(0, i - COUNT_WINDOW):i + COUNT_WINDOW + 1])
            if not set(tokenize(near)).isdisjoint(counted):
                return True
    return False


_TENS = dict(zip("twenty thirty forty fifty sixty seventy eighty ninety".split(), map(str, range(20, 100, 10))))


def figures(text: str) -> frozenset[str]:
    """The figures a text gives, in the profile's words: '2,800', 'seven', Spanish 'siete'
    as 'seven' (years are figures too), '8' as 'eight' and 'thirty' as '30', as the profile
    writes them ("between eight and 30 years")."""
    out = set()
    for w in raw_tokens(text):
        for t in (w, *glossary_entry(w).split()):
            if t.isdigit() and int(t) < len(NUMBER_WORDS):
                out.add(NUMBER_WORDS[int(t)])
            elif t[0].isdigit() or _NUMBER_WORD.fullmatch(t):
                out.add(_TENS.get(t, t))
    return frozenset(out)


# Words that ask for a figure or frame the whole country's population rather than narrow
# what is counted: "What share of people in Mexico use the internet?" asks no more than
# "Internet Users: 49.3%" gives; "…under 18?", "…in which state?", "…in Colombia?" do.
STATISTIC_FRAME = frozenset(tokenize(
    "percentage share proportion rate number total figure figures statistics many much people population "
    "inhabitants live living use uses country nation profile according current currently estimated "
    "age aged years kids children young younger roughly approximately about around nearly almost exactly "
    "overall user users actually really just only even still anyway more than fewer less higher lower bigger "
    "go goes get gets access account accounts")) | frozenset(
    "porcentaj porcentag cuant cifra poblacion ano usa usan vive viven hay tien tiene perfil usuario".split()) | frozenset(
    tokenize("aproximadamente cerca casi", "es"))
_RANGE = re.compile(r"(\d+)-(\d+)")


def statistic_misses(groups: list[tuple[str, ...]], label: str, context: str, countries: tuple[str, ...] = ()) -> list:
    """The question words a country statistic ("Population 0-14: 27.6%") does not answer:
    content words its label and context lack, other than words that frame a statistic
    and the profile's own country. An age under the top of a range counts as the range
    ("children under 15" is "0-14")."""
    terms = set(tokenize(label + " " + context))
    ranges = [(int(a), int(b)) for a, b in _RANGE.findall(label)]

    def answered(variants: tuple[str, ...]) -> bool:
        head = variants[0]
        if not terms.isdisjoint(variants) or not STATISTIC_FRAME.isdisjoint(variants):
            return True
        if any(v.startswith(countries) for v in variants):
            return True
        return head.isdigit() and any(lo <= int(head) <= hi + 1 for lo, hi in ranges)

    return [g for g in groups if not answered(g)]


# "Who is the director of…", "¿Quién fundó…?": the role asked about, and the stems a
# sentence naming someone in that role would use
_ROLES = {
    "found": ("found", "founder", "establish"),
    "direct": ("director", "direct", "head", "lead", "leader"),
    "presid": ("presid", "chair", "chairman", "head"),
    "chair": ("presid", "chair", "chairman", "head"),
    "own": ("owner", "own"),
    "ceo": ("ceo", "chief"),
    "secretar": ("secretari",),  # "Secretary of Public Education X", not "the Secretariat launched…"
    "minister": ("minist", "secretari"),
    "coordinat": ("coordin",),
    "charge": ("coordin", "director", "direct", "head", "lead", "leader", "charg"),  # "who was in charge of…"
}
_ROLE_QUESTION = re.compile(
    r"\bwho (?:is|was|are|were) (?:the |its |their )?(found|direct|presid|chair|own|ceo)\w*|"
    r"\bwho (?:is|was|are|were) (?:the |its |their |mexico's )?(?:\w+ ){0,4}?(secretar|minister|coordinat)\w*|"
    r"\bwho (?:is|was|are|were) (?:\w+ )?in (charge)\b|"
    r"\bquien(?:es)? (?:es|era|fue|son|eran|fueron) (?:el|la|los|las|su|sus) (secretari|ministr|coordinador)\w*|"
    r"\bwho (found|direct|lead|led|head|run|ran|chair|own)\w*|"
    r"\bquien(?:es)? (?:es|era|fue|son|eran|fueron) (?:el|la|los|las|su|sus) (fundador|director|president|jefe|dueno)\w*|"
    r"\bquien(?:es)? (fund|dirig|encabez|presid|lider)\w*", re.I)
_ROLE_ALIASES = {"lead": "direct", "led": "direct", "head": "direct", "run": "direct", "ran": "direct",
                 "fundador": "found", "fund": "found", "director": "direct", "dirig": "direct", "jefe": "direct",
                 "encabez": "direct", "lider": "direct", "president": "presid", "dueno": "own",
                 "secretari": "secretar", "ministr": "minister", "coordinador": "coordinat"}


def role_asked(question: str) -> tuple[str, ...]:
    """The stems a sentence must hold to say who holds the role a question asks about."""
    m = _ROLE_QUESTION.search(fold(question))
    if not m:
        return ()
    role = next(g for g in m.groups() if g)
    return _ROLES[_ROLE_ALIASES.get(role, role)]


def sentence_types(chunk: Chunk, i: int) -> frozenset[str]:
    """The answer types sentence ``i`` of ``chunk`` can give (computed at load, not per question)."""
    text = chunk.sentences[i].text
    out = {name for name, _asks, gives in ANSWER_TYPES if name != "author" and gives.search(text)}
    if RAISED.search(text):
        out.add("raised")
    if chunk.kind == "research" and i == 1:
        out.add("author")
    return frozenset(out)


_ID = re.compile(r"^(?!(?:19|20)\d{2}$)\w*\d\w*$")


def title_keys(chunk: Chunk) -> tuple[frozenset[str], bool]:
    """What a question must contain to name this entry: its identifiers ('203', '202bis';
    years do not identify) if the title has any, else its title words. The flag says which."""
    ids = frozenset(t for t in raw_tokens(chunk.title) if _ID.match(t))
    if ids:
        return ids, True
    return frozenset(tokenize(chunk.title)), False


def names_entry(keys: frozenset[str], by_id: bool, question_raw: set[str], question_terms: set[str]) -> bool:
    if not keys:
        return False
    if by_id:
        return keys <= question_raw
    return len(keys & question_terms) / len(keys) >= 0.6


def is_heading(chunk: Chunk, i: int) -> bool:
    """An entry's name line, a research entry's title or authors: quoted beside an answer, rarely one."""
    if chunk.kind in ("organization", "article") and i == 0:
        return True
    return chunk.kind == "research" and i <= 1


FEATURES = ("lexical", "chunk_lexical", "minilm", "e5", "prior", "answer_type", "heading", "named", "absent", "said")


@dataclass(frozen=True)
class Weights:
    """A linear sentence scorer: one weight per feature, per question language.

    Features, each about 0..1: ``lexical`` (IDF share of the question's terms in the
    sentence, with its entry's name, and in part those of its passage's lead sentence),
    ``chunk_lexical`` (the same over the whole passage), ``minilm``/``e5`` (cosine of
    question and sentence, rescaled between an unrelated pair's and a good match's),
    ``prior`` (1/sqrt(rank+1) of the passage; rank 0 for a passage BM25 alone puts far
    ahead), ``answer_type`` (the sentence gives the kind of answer asked for), ``heading``
    (an entry's name line), ``named`` (the question names the sentence's entry: "Article
    203", "Clic Seguro"), ``absent`` (the share of the years and proper names the question names that the
    sentence's passage lacks: "the 2014 pilot" asked, the entry of 2005 offered), ``said``
    (a follow-up asks the same kind of thing of another subject, and the sentence only
    gives figures the previous answer gave: "and the one who goes on the trip?" after
    Article 203's term was quoted).
    Fitted on the dev split; see ``qa calibrate``."""
    per_lang: dict = field(default_factory=lambda: {
        "en": {"lexical": 0.25, "chunk_lexical": 0.15, "minilm": 0.05, "e5": 0.1, "prior": 0.3,
               "answer_type": 0.3, "heading": -0.15, "named": 0.15, "absent": -0.3, "said": -0.5},
        "es": {"lexical": 0.15, "chunk_lexical": 0.05, "minilm": 0.0, "e5": 0.2, "prior": 0.3,
               "answer_type": 0.15, "heading": -0.15, "named": 0.15, "absent": -0.3, "said": -0.5},
    })
    dense_floor: dict = field(default_factory=lambda: {"minilm": 0.10, "e5": 0.72})
    dense_ceiling: dict = field(default_factory=lambda: {"minilm": 0.75, "e5": 0.92})
    lead_share: float = 0.5  # the share of its passage's lead sentence a later sentence holds (``lexical``)
    exact_lead_ratio: float = 1.5  # a passage BM25 scores this many times above the next gets the top ``prior``
    unknown_penalty: float = 0.5  # multiplies the confidence per name the answer cannot be about
    type_miss_penalty: float = 0.4  # multiplies it when the answer lacks the kind of answer asked for
    # the share of its score a sentence keeps when it lacks the kind of answer asked for and
    # another sentence gives it (see ``typed_first``)
    typed_share: float = 0.9
    # IDF mass, as a share of the question's mean term IDF, that each English content word
    # absent from the corpus adds to the question ("budget", "director"): what the profile
    # has no word for, it rarely answers
    missing_word: float = 0.5

    def vector(self, lang: str) -> np.ndarray:
        w = self.per_lang.get(lang) or self.per_lang["en"]
        return np.array([w.get(f, 0.0) for f in FEATURES])


QueryWeights = dict[tuple[str, ...], float]  # a question word's variants -> its IDF weight


def lexical_coverage(query_weights: QueryWeights, sentence_terms: set[str], missing: float = 0.0) -> float:
    """Share of the question's IDF mass whose words the sentence holds (any variant of a
    word counts); ``missing`` is the mass of question words the corpus never uses."""
    total = sum(query_weights.values()) + missing
    if total <= 0:
        return 0.0
    return sum(w for variants, w in query_weights.items() if not sentence_terms.isdisjoint(variants)) / total


def rescale(cosines: np.ndarray, floor: float, ceiling: float) -> np.ndarray:
    """Cosines mapped to 0..1 between an unrelated pair's and a good match's."""
    return np.clip((cosines - floor) / (ceiling - floor), 0.0, 1.0)


def sentence_scores(features: np.ndarray, weights: Weights, lang: str) -> np.ndarray:
    return features @ weights.vector(lang)


@dataclass(frozen=True)
class Candidate:
    hit_rank: int  # 0-based rank of the passage among the hits
    chunk: Chunk
    index: int  # sentence index within the chunk
    score: float
    terms: frozenset
    row: int = -1  # the sentence's row in the index (its vectors, terms and types)
    passage_terms: frozenset = frozenset()  # every sentence's terms in its passage (empty: the sentence's)
    typed: bool = False  # gives the kind of answer the question asks for

    @property
    def entry_terms(self) -> frozenset:
        return self.passage_terms or self.terms


_WH = r"(what|which|who|when|where|how|why|que|cual|cuales|cuanto|cuanta|cuantos|cuantas|donde|cuando|quien|quienes|por que)"
_COMPARATIVE = (r"more|less|fewer|longer|shorter|higher|lower|larger|bigger|greater|older|newer|earlier|later|"
                r"mas|menos|mayor|menor")
# "which … more …, A or B?", "more … than …", and the pair named first: "RELPE and RIATE:
# which one covers more countries?"
_COMPARISON = re.compile(rf"\b({_COMPARATIVE}|antes)\b.+\b(than|or|que|o)\b|"
                         rf"\b(and|y|e)\b[^,:]+[,:]\s*(which|who|cual|quien)\b.*\b({_COMPARATIVE})\b|"
                         # "Which of the two networks, RELPE or RIATE, covers more countries?"
                         rf"\b(which|who|cual|quien)\b[^?]*,[^,?]+\s(or|o)\s[^,?]+,[^?]*\b({_COMPARATIVE})\b")
_TWO_PART = re.compile(rf"\b(and|y|e)\s+(in\s+|en\s+|a\s+)?{_WH}\b|,\s*(and\s+|y\s+)?{_WH}\b|" + _COMPARISON.pattern
                       + "|" + _SPAN.pattern)


def is_comparison(question: str) -> bool:
    """'Which is older, RELPE or the Forum?', '¿cuál red junta más países, la RELPE o la RIATE?'"""
    return bool(_COMPARISON.search(fold(question)))


_OR = re.compile(r"\s(?:or|o|u)\s+(?!(?:not|no|so|more|less|mas|menos)\b)", re.I)
_THAN = re.compile(rf"\b(?:{_COMPARATIVE})\b.*?\s(than|que)\s", re.I)


_BETWEEN = re.compile(r"\b(?:between|entre)\s+(?:que\s+)?(.+?)\s+(?:and|y|e)\s+(?:when\s+|cuando\s+|que\s+)?(.+)|"
                      # "how many years after MIT started its project did Sonora get laptops?"
                      r"\b(?:after|before)\s+(.+?)\s+(?:did|was|were|had|does|do)\s+(.+)|"
                      r"\b(?:from|since|desde)\s+(?:que\s+|when\s+)?(.+?)\s+(?:to|until|till|hasta|a)\s+(?:que\s+|when\s+)?(.+)",
                      re.I)


# the pair a comparison names before asking: "Of the two networks, RELPE and RIATE, which…"
_PAIR = re.compile(r"(?:^\W*|[,:]\s*)(?:(?:of|between|entre|de)\s+(?:the two|both|los dos|las dos|ambos|ambas)?\s*)?"
                   r"([^,:]+?)\s+(?:and|y|e)\s+([^,:]+?)\s*[,:]\s*(?:which|who|cual|quien)\b", re.I)


# two things asked about at once: "which companies backed both the mobile cinema and the
# 2014 pilot?", "¿qué empresas apoyaron tanto los Cinetransformers como el piloto?"
_BOTH = re.compile(r"\b(?:both|tanto)\s+(.+?)\s+(?:and|como)\s+(.+)", re.I)


def asks_both(question: str) -> bool:
    """'Which companies backed both the mobile cinema and the 2014 pilot?': two things
    asked about at once, not weighed against each other."""
    return bool(_BOTH.search(question)) and not is_comparison(question) and not _SPAN.search(fold(question))


# two things the question ties together: "the group partnered in the alliance also convened…",
# "what has MIT's 2005 project to do with the laptops of Sonora?"
_LINKS = re.compile(r"\b(also|both|too|as well|and|tambien|ambos|tanto|y|(has|have|had) to do with|tiene que ver|"
                    r"related|relation|connection|connected|link|linked|relacion|relacionad[oa]s?)\b")


def links_two(question: str) -> bool:
    """Whether a question may be about two entries, each of which names some of what it asks
    about; "How many XO laptops did Sonora hand out in 2014?" asks of one."""
    return bool(_LINKS.search(fold(question))) or is_two_part(question)


def question_sides(question: str) -> tuple[str, str] | None:
    """The two things a comparison weighs or a span runs between, each as a question of its
    own: "Which gets more prison time: showing porn to a child, or pushing a child into sexual
    acts?" -> ("showing porn to a child", "pushing a child into sexual acts"); "How many years
    passed between MIT starting its project and Sonora getting laptops?" -> ("MIT starting its
    project", "Sonora getting laptops"). A compared side runs from the last colon or comma
    before it (the frame: "which is older,"); None when the question is neither or a side
    names nothing."""
    text = question.strip().rstrip("?!. ")
    span = _SPAN.search(fold(text))
    if span:
        m = _BETWEEN.search(text[span.start():])
        sides = tuple(g.strip(" ¿¡,") for g in m.groups() if g) if m else ()
        return sides if len(sides) == 2 and all(map(tokenize, sides)) else None
    compared = is_comparison(question)
    both = None if compared else _BOTH.search(text)  # two things asked at once (``asks_both``; no span here)
    if both:  # each thing with what is asked of it: "which tech companies backed the 2014 pilot"
        frame = text[:both.start()].lstrip(" ¿¡")
        sides = tuple(g.strip(" ¿¡,") for g in both.groups())
        return (frame + sides[0], frame + sides[1]) if all(map(tokenize, sides)) else None
    if not compared:
        return None
    ors = list(_OR.finditer(text))
    than = _THAN.search(fold(text))
    pair = _PAIR.search(fold(text))
    if ors:
        split, rest = ors[-1].start(), ors[-1].end()
    elif than:
        split, rest = than.start(1) - 1, than.end()
    elif pair:
        return text[pair.start(1):pair.end(1)], text[pair.start(2):pair.end(2)]
    else:
        return None
    head = text[:split].rstrip(" ,")
    cut = max(head.rfind(":"), head.rfind(","), head.rfind("?"))
    # a side ends at a comma too: "…, RELPE or RIATE, covers more countries" compares "RIATE"
    first, second = head[cut + 1:].strip(" ¿¡"), text[rest:].split(",")[0].strip(" ¿¡")
    # a side may name its thing in a word that is only a paraphrase: "…or only having it?"
    return (first, second) if query_terms(first) and query_terms(second) else None


def one_passage_sides(first: list[tuple[float, Candidate]], second: list[tuple[float, Candidate]]
                      ) -> tuple[float, Candidate, Candidate] | None:
    """Two sentences of the one passage both sides of a comparison find best, when it tells
    them apart ("making child porn or only having it?": Article 202 gives both terms). Each
    side's sentences of it come as (score, candidate), its own pick first; a side may give
    up its pick for its next one. The pair's total score with the pair, or None."""
    (s1, c1), (s2, c2) = first[0], second[0]
    if c1.row != c2.row:
        return s1 + s2, c1, c2
    options = [(s1 + s, c1, c) for s, c in second[1:2]] + [(s + s2, c, c2) for s, c in first[1:2]]
    return max(options, key=lambda t: t[0], default=None)


def is_two_part(question: str) -> bool:
    """'How many users … and how many registrations …?', '¿Qué programas … y en qué años?',
    and comparisons, which need both sides quoted: 'more phones than people', 'longer: A or B'.
    A question word after a comma starts a second part only if one came before it: not in
    'Under Article 266, what prison term…?'."""
    q = fold(question)
    for m in _TWO_PART.finditer(q):
        if not m.group(0).startswith(",") or re.search(rf"\b{_WH}\b", q[:m.start()]):
            return True
    return False


def select_sentences(cands: list[Candidate], query_weights: "QueryWeights", second_ratio: float = 0.6,
                     min_gain: float = 0.3, two_part: bool = False, tie_ratio: float = 0.88,
                     anchors: frozenset = frozenset(), anchor_ratio: float = 0.3,
                     comparison: bool = False) -> list[Candidate]:
    """The best sentence, plus a second one when it covers a part of the question the
    first leaves out and scores nearly as well (from the same passage for any question,
    from another passage only for a question in two parts), or when it is a sentence of
    the same passage that the scores cannot tell apart from the best (quoting both is
    more honest than guessing). A best sentence that gives the kind of answer asked for
    (``Candidate.typed``) is not joined by one of its passage that does not, but for a
    second part. When the question names years or names (``anchors``, stemmed) that the
    best sentence's passage lacks, the best sentence of a passage that has them joins too:
    "what has MIT's 2005 project to do with the laptops of Sonora?" takes the 2005 entry and
    Sonora's. A comparison looks for its other side before a second sentence of the same
    passage."""
    picked = _select(cands, query_weights, second_ratio, min_gain, two_part or comparison, tie_ratio,
                     ties=not comparison)
    if not picked or not anchors:
        return picked
    missing = anchors - frozenset().union(*(c.entry_terms for c in picked))
    if missing:
        ids = {c.chunk.id for c in picked}
        other = next((c for c in sorted(cands, key=lambda c: -c.score)
                      if c.chunk.id not in ids and c.score >= anchor_ratio * picked[0].score
                      and not missing.isdisjoint(c.entry_terms)), None)
        if other is not None:
            picked.append(other)
    return picked


def _select(cands: list[Candidate], query_weights: "QueryWeights", second_ratio: float, min_gain: float,
            two_part: bool, tie_ratio: float, ties: bool = True) -> list[Candidate]:
    if not cands:
        return []
    ranked = sorted(cands, key=lambda c: -c.score)
    best = ranked[0]
    picked = [best]
    runner = next((c for c in ranked[1:] if c.chunk.id == best.chunk.id), None)
    # a best sentence giving the kind of answer asked for answers on its own: a sentence of its
    # passage beside it would repeat what the question said (Article 203's "Defines the offense
    # of sex tourism…" beside its term), unless that one gives the kind too or the question has
    # a second part
    if ties and runner is not None and best.score > 0 and runner.score >= tie_ratio * best.score \
            and (runner.typed or not best.typed):
        return [best, runner]
    if best.typed and not two_part:
        return picked
    total = sum(query_weights.values())
    if total <= 0:
        return picked

    def part_left(covered: frozenset) -> dict:
        return {t: w for t, w in query_weights.items() if covered.isdisjoint(t)}

    # within the passage, a sentence must add words; across passages (a question in two
    # parts), the other entry must: "…sex tourism (Article 203) or procuring (Article 204)?"
    # is answered by Article 204's penalty sentence, which names neither
    in_passage, in_other = part_left(best.terms), part_left(best.entry_terms)
    for c in ranked[1:]:
        if c.score < second_ratio * best.score:
            break
        same = c.chunk.id == best.chunk.id
        if same and c.index == best.index or not same and not two_part:
            continue
        left, terms = (in_passage, c.terms) if same else (in_other, c.entry_terms)
        if sum(left.values()) / total >= min_gain and \
                sum(w for t, w in left.items() if not terms.isdisjoint(t)) / total >= min_gain:
            picked.append(c)
            break
    return picked


# ------------------------------------------------------------------ composing

_SHORT = 45  # a sentence this short ("Rape.", an article label) needs the next one to mean anything


_DEFINITION = re.compile(r"^\W*(what|who)\s+(exactly\s+|really\s+)?(is|are|was|were)\b|^\W*what's\b|"
                         r"^\W*(que|q|quien|quienes)\s+(es|son|era|fue)\b|"
                         r"^\W*para (que|q) (sirve|sirven|es|son)\b", re.I)
_CONTINUES = re.compile(r"^(It|Its|This|These|They|Their|The (program|project|strategy|platform|initiative|organization)) ")
# "what was the traveling movie-theater project called?": the answer must hold the name,
# which a sentence going on about it ("It consists of a mobile cinema…") leaves to the one before
_NAME_ASKED = re.compile(r"\b(called|(its|the|their|a) names?\b|named|se llama\w*|llamad[oa]s?|nombre)", re.I)
# an entry asked for by what it is or does: "Which university project lets teachers earn a
# diploma…?", "Is there a Latin American group of organizations…?", "¿qué programa…?"
# (not a company or an agency: "Which UN agency backed…?" asks for a party the entry names)
_ENTITY = (r"(project|program|programme|initiative|organi[sz]ation|group|network|website|site|web ?page|platform|"
           r"campaign|foundation|association|service|portal|alliance|coalition)s?")
_ENTITIES = (r"(proyecto|programa|iniciativa|organizacion|grupo|red|pagina|sitio|plataforma|campana|fundacion|"
             r"asociacion|servicio|portal|alianza)s?")
_NOT_ADJECTIVE = (r"(?!(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|the|a|an|this|that|its|"
                  r"their|of)\b)")
_ENTITY_ASKED = re.compile(
    r"\b(which|what) (" + _NOT_ADJECTIVE + r"[\w'-]+ ){0,3}" + _ENTITY + r"\b|"
    r"\b(is|are) there (a|an|any|some) ([\w'-]+ ){0,3}" + _ENTITY + r"\b|"
    r"\b(que|cual|cuales)( es el| es la| son los| son las)? " + _ENTITIES + r"\b|"
    r"\b(hay|existe|existen) (algun|alguna|algunos|algunas|un|una) (tipo de )?" + _ENTITIES + r"\b")
# a sentence that only finishes the one before it: "unless violence was used… In that case,
# the sentence is increased by up to half."
_FINISHES = re.compile(r"^(In (that|this|such) cases?|If so|Otherwise)\b")
# a research title's year on a line of its own ("… Outlook and Challenges. (2013)"), before the authors
_YEAR_LINE = re.compile(r"^\W*" + _YEAR + r"\W*$")


def asks_name(question: str) -> bool:
    """'What's the name of the movie-theater-on-wheels project?', '¿cómo se llama…?', 'Which
    university project lets teachers earn a diploma…?'"""
    q = fold(question)
    return bool(_NAME_ASKED.search(q) or _ENTITY_ASKED.search(q))


def asks_definition(question: str) -> bool:
    """'What are Cinetransformers?', '¿Qué es Clic Seguro?'"""
    return bool(_DEFINITION.search(fold(question)))


def expand(chunk: Chunk, indices: set[int], question_terms: set[str], title_terms: set[str],
           definition: bool = False, author: bool = False, name: bool = False,
           compared: bool = False) -> list[int]:
    """Sentences to quote from one chunk: the picked ones, the next one after a fragment
    or a heading (but a research entry's authors asked for are the answer: "Who wrote the
    2015 paper…?" quotes the title and "Darrel M. West", not the summary), for a definition
    question the next one when it goes on about the same thing ("It consists of…"), for a
    question asking a name the one before such a sentence (which names what "It" is), and
    the entry's heading lines: an article's label, a research entry's title (and its authors
    when asked for, or when they are short), an organization's name unless the question
    already names it (and is no comparison, whose answer must say which figure is whose:
    "Which covers more countries, RELPE or RIATE?")."""
    out = set(indices)
    for i in list(indices):
        s = chunk.sentences[i].text
        if (len(s) < _SHORT or is_heading(chunk, i)) and i + 1 < len(chunk.sentences) \
                and not (chunk.kind == "research" and (i == 0 or author and i == 1 and not _YEAR_LINE.match(s))):
            out.add(i + 1)
        elif definition and i + 1 < len(chunk.sentences) and _CONTINUES.match(chunk.sentences[i + 1].text):
            out.add(i + 1)
        if i + 1 < len(chunk.sentences) and _FINISHES.match(chunk.sentences[i + 1].text):
            out.add(i + 1)
        if name and i > 0 and chunk.kind not in ("organization", "timeline") \
                and _CONTINUES.match(chunk.sentences[i].text):
            out.add(i - 1)  # an entry names itself in its first line, added below
    if chunk.kind == "research":
        out.add(0)
        if len(chunk.sentences) > 1 and (author or len(chunk.sentences[1].text) <= 40):
            out.add(1)
    elif chunk.kind == "article":
        out.add(0)
    elif chunk.kind == "organization" and chunk.title:
        named = title_terms and len(title_terms & question_terms) / len(title_terms) >= 0.5
        if compared or name or not named:
            out.add(0)
    elif chunk.kind == "timeline" and name:
        out.add(0)  # the entry's first sentence names what it is about
    return sorted(out)


# A trailing clause a long sentence can be quoted without: ", which aims to…", ", allowing…",
# "; …". Not ", through…" or ", with…": "The National Autonomous University of Mexico, through
# its tv channel…, with support of UNESCO hosted…" has its verb after them. Only outside
# brackets: "(in any format, including electronic means)" is one aside.
_CLAUSE = re.compile(r",\s+(?=(?:which|who|whose|whilst|while|where|as well as|and|in order to|such as|"
                     r"in addition to|especially|particularly|[a-z]+ing)\b)|;\s+")
TRIM_FROM = 120  # a sentence shorter than this is quoted whole
_HEAD = 40  # nor is one whose first clause is shorter: it needs what follows to mean anything


def kept_length(text: str, needed: Callable[[str], bool]) -> int:
    """How much of a sentence to quote: through the last of its clauses that ``needed`` says
    holds something the question asks about (its words, the kind of answer it wants), the
    first clause always. "The State of Sonora received 5,000 XO laptops in 2012 under their
    Un Nuevo Futuro (A New Future) program, which aims to provide tools…" asked how many
    laptops Sonora got stops at "program"."""
    if len(text) < TRIM_FROM:
        return len(text)
    depth, ends = 0, []
    marks = {m.start() for m in _CLAUSE.finditer(text)}
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif i in marks and depth == 0 and i >= _HEAD:
            ends.append(i)
    if not ends:
        return len(text)
    keep = ends[0]
    for a, b in zip(ends, ends[1:] + [len(text)]):
        if needed(text[a:b]):
            keep = b
    return keep


_YES_NO = re.compile(r"^\W*(is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|es cierto|"
                     r"es verdad)\b")
_WHO = re.compile(r"\b(who|whom|quien|quienes)\b")


def quotes_whole(question: str, wanted: str | None) -> bool:
    """Whether the sentences answering ``question`` are quoted whole: a yes/no question is
    answered by the whole statement ("Did the RIA win any recognition?"), and "who took part
    in the ASI congress?" by a clause ("bringing together… youth, to law enforcement") that
    none of its words is in."""
    q = fold(question)
    return bool(_YES_NO.match(q)) or wanted is None and bool(_WHO.search(q))


def raw_end(chunk: Chunk, i: int, kept: int) -> int:
    """The stored file's offset where the first ``kept`` characters of sentence ``i`` (as
    cleaned for display) end: a clause boundary, found by cleaning the raw text up to it."""
    s = chunk.sentences[i]
    if kept >= len(s.text):
        return s.end
    raw = chunk.text[s.start - chunk.start:s.end - chunk.start]
    for m in re.finditer(r"[,;]", raw):
        if clean(raw[:m.start()]) == s.text[:kept]:
            return s.start + m.start()
    return s.end


def _join(chunk: Chunk, idx: list[int], kept: dict[int, int]) -> str:
    parts = []
    for j, i in enumerate(idx):
        s = chunk.sentences[i].text
        if j > 0 and idx[j - 1] != i - 1 and not parts[-1].endswith("…"):
            parts.append("…")
        parts.append(s if kept.get(i, len(s)) >= len(s) else s[:kept[i]] + " …")
    text = ""
    for p in parts:
        if not text:
            text = p
        elif text.endswith((".", "!", "?", ":", "…")) or p == "…":
            text += " " + p
        else:
            text += ": " + p  # a name line ("Clic Seguro (Click Security)") introducing its entry
    return text


def build_answer_text(groups: list[tuple[Chunk, list[int]]], lang: str,
                      needed: Callable[[str], bool] | None = None) -> tuple[str, list[Citation], dict]:
    """The answer's text, its citations and the quoted spans per chunk. With ``needed``, a
    long sentence other than a heading or a statistic's "label: figure" (no sentence of the
    file as written) is quoted up to its last needed clause (``kept_length``)."""
    citations, pieces, marks = [], [], {}
    for n, (chunk, idx) in enumerate(groups, start=1):
        kept = {} if needed is None or chunk.kind == "statistic" else \
            {i: kept_length(chunk.sentences[i].text, needed) for i in idx if not is_heading(chunk, i)}
        text = _join(chunk, idx, kept)
        ends = {i: raw_end(chunk, i, kept[i]) if i in kept else chunk.sentences[i].end for i in idx}
        start = chunk.sentences[idx[0]].start
        citations.append(Citation(n, chunk.doc, start, ends[idx[-1]], chunk.section, text, chunk.id, chunk.start,
                                  chunk.end))
        marks.setdefault(chunk.id, []).extend((chunk.sentences[i].start, ends[i]) for i in idx)
        pieces.append(f"{text} [{n}]")
    return FRAMING[lang]["prefix"] + " ".join(pieces), citations, marks


def span_note(question: str, quoted: list[str], lang: str) -> str:
    """For "how many years passed between A and B?", the span between the two years the
    quoted sentences give, as marked framing; nothing when they give other than two years."""
    if not _SPAN.search(fold(question)):
        return ""
    years = sorted({int(y) for text in quoted for y in re.findall(r"\b" + _YEAR + r"\b", text)})
    if len(years) != 2:
        return ""
    return FRAMING[lang]["span"].format(years=years[1] - years[0], first=years[0], last=years[1])


def order_groups(picked: list[Candidate]) -> list[tuple[Chunk, set[int]]]:
    """Group picked sentences by chunk, keeping the order in which chunks were picked."""
    groups: dict[str, tuple[Chunk, set[int]]] = {}
    for c in picked:
        groups.setdefault(c.chunk.id, (c.chunk, set()))[1].add(c.index)
    return list(groups.values())


def confidence_from(coverage: float, dense_match: float | None, off_topic: int, type_missed: bool,
                    weights: Weights) -> float:
    """The decline decision's score, apart from the choice of sentence: how much of the
    question the answer's passage covers (IDF share) and how close it is in meaning
    (rescaled cosine; absent in BM25-only mode), lowered for each name the question asks
    about that the answer cannot be about (unknown to the corpus, or another country or
    year than its passages'), and when the quoted sentences do not give the kind of answer
    the question asks for (a cost, a phone number, a date, a penalty, a figure counting
    what was asked about): the near misses the profile cannot answer are mostly of that kind."""
    base = coverage if dense_match is None else 0.5 * coverage + 0.5 * dense_match
    return base * (weights.unknown_penalty ** off_topic) * (weights.type_miss_penalty if type_missed else 1.0)


def typed_first(passages: list[int], typed: np.ndarray, scores: np.ndarray, share: float,
                anywhere: bool = False) -> np.ndarray:
    """Sentence scores that put a sentence giving the kind of answer asked for (``typed``)
    first. In a passage whose best sentence lacks it while another gives it ("y dónde se
    hizo?" after the consultation: the sentence saying where, not the one naming it), the
    sentences that lack it keep ``share`` of their score and the best one that gives it
    gains as much, up to the passage's best: the passage keeps its standing against the
    others. ``anywhere`` (a rarely given kind: "where can I report it?"): every sentence
    that lacks it keeps ``share``, whatever its passage."""
    if anywhere:
        return np.where(typed, scores, scores * share)
    best: dict[int, int] = {}  # passage -> its best sentence, and its best typed one
    best_typed: dict[int, int] = {}
    for j, p in enumerate(passages):
        if p not in best or scores[j] > scores[best[p]]:
            best[p] = j
        if typed[j] and (p not in best_typed or scores[j] > scores[best_typed[p]]):
            best_typed[p] = j
    out = scores.astype(float)
    for j, p in enumerate(passages):
        if p in best_typed and not typed[best[p]]:
            if j == best_typed[p]:
                out[j] = min(scores[best[p]], scores[j] / share)
            elif not typed[j]:
                out[j] = scores[j] * share
    return out


def idf_weights(groups: list[tuple[str, ...]], idf: dict[str, float]) -> QueryWeights:
    """Each question word weighs the highest IDF among its variants the corpus uses;
    words the corpus never uses are left out (see ``Weights.missing_word``)."""
    out: QueryWeights = {}
    for variants in groups:
        w = max((idf[v] for v in variants if v in idf), default=0.0)
        if w > 0:
            out[variants] = max(out.get(variants, 0.0), w)
    return out


def prior_of_rank(rank: int) -> float:
    return 1.0 / math.sqrt(rank + 1)

