"""The assistant: a question (and its conversation) in, a cited :class:`Answer` out.

Loads the index and models once; ``ask`` is safe to call from several threads.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .answer import (FEATURES, FRAMING, GIVES, RAISED_MATCH, Answer, Candidate, QueryWeights, Weights, adds_condition,
                     asks_about_now, asks_both, asks_definition, asks_name, build_answer_text, confidence_from,
                     counted_terms, counts, expand, expected_type, figures, idf_weights, is_comparison, is_dated,
                     is_heading, is_two_part, lexical_coverage, links_two, names_entry, one_passage_sides,
                     order_groups, prior_of_rank, question_sides, quotes_whole, rescale, role_asked, select_sentences,
                     sentence_scores, sentence_types, span_note, statistic_misses, title_keys, type_match,
                     typed_first)
from .config import Settings
from .dialog import continues_question, earlier_questions, previous_answer
from .errors import InputError
from .glossary import GLOSSARY
from .index import Index, load_index, sentence_text
from .lang import detect_language
from .places import countries_in
from .retrieve import Hit, Retrievers
from .text import (STOPWORDS, Speller, acronyms_of, fold, glossary_entry, query_terms, raw_tokens, strip_markup,
                   tokenize)

CANDIDATE_PASSAGES = 6  # sentences are picked from this many top passages
# an answer type this few sentences give ("where can I report it?": the reporting node)
# brings their passages into the candidates, wherever the search ranked them
FEW_TYPED = 6
PREVIOUS_CHARS = 300  # of the previous answer, searched with a follow-up
MAX_HISTORY_TURNS = 12  # the chat sends its last 6 exchanges; follow-ups look back 2 questions
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_GREETING = frozenset("""hola hello hi hey thanks thank you gracias muchas buenos buenas dias tardes noches ok okay
    bye adios saludos good morning afternoon evening cheers great perfecto vale
    there que tal a lot so very much""".split())  # "hi there", "hola, ¿qué tal?", "thanks a lot"
_SALIENT = re.compile(r"(?<![\d,.])\b([A-ZÁÉÍÓÚÑ][\w\-]+|(?:19|20)\d{2}|\d{3}(?:bis|ter)?)\b")
_CONNECTOR = re.compile(r"\s+(?:(?:de|del|la|las|los|el|y|e|en|para|of|the|and|for)\s+)*")
_PERSONS = frozenset(tokenize("kids kid children child students student pupils youth young teens adolescents"))
# offenses a parent may ask the law about, in English and Spanish (folded): an article that
# names none of the question's offense words does not answer "the penalty for cyberbullying"
_OFFENSES = frozenset("""cyberbullying cyberbully cyberbullied ciberbullying ciberacoso bullying bully bullied
    sexting sextortion sextorsion grooming groom grooms groomed stalking stalker acecho hacking hacker hackear
    phishing fraud fraude extortion extorsion kidnapping secuestro secuestrar trafficking defamation difamacion piracy pirateria
    drugs drogas doxxing""".split())
# a capitalized word, not an acronym; a proper name unless it is an adjective of a place
# ('American', 'Chinese')
_CAPITALIZED = re.compile(r"[A-ZÁÉÍÓÚÑ][a-záéíóúñü]{2,}")
_ADJECTIVE = re.compile(r"(an|ese|ish|ans)$")
# a law named in lower case, as people type it: "la ley olimpia"
_LAW_NAME = re.compile(r"\bley\s+([a-záéíóúñü]{3,})\b")
# a follow-up about the same subject: "When was it founded?" after "What is RedNATIC?" (not
# "el", which folded is the article as often as "él")
_BACK_REFERENCE = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|lo|le|les|su|sus|"
                             r"eso|ello|ella|ellos|ellas)\b")


def _country_words(text: str) -> set[str]:
    """The words of the countries a text names, in any of their names ("estados unidos")."""
    return {t for _, typed in countries_in(text) for t in typed.split()}


def _name_runs(question: str) -> list[list[tuple[int, str]]]:
    """The question's capitalized words, years and identifiers, grouped into runs of words
    joined by spaces and connectors ('Asamblea General de la ONU'): each run one name."""
    runs: list[list[tuple[int, str]]] = []
    end = -1
    for m in _SALIENT.finditer(question):
        if runs and _CONNECTOR.fullmatch(question[end:m.start()]) and not m.group(1)[0].isdigit():
            runs[-1].append((m.start(), m.group(1)))
        else:
            runs.append([(m.start(), m.group(1))])
        end = m.end()
    return runs


def clean_question(question, limit: int) -> str:
    """Validate and tidy a question; raise :class:`InputError` with what to do instead."""
    if question is None:
        raise InputError("Please type a question.")
    if isinstance(question, bytes):
        try:
            question = question.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError("The question is not valid UTF-8 text; type it again as plain text.") from exc
    if not isinstance(question, str):
        raise InputError("The question must be text.")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, e.g. "\ud800" in JSON: no model can read it
        raise InputError("The question is not valid UTF-8 text; type it again as plain text.") from exc
    question = unicodedata.normalize("NFC", _CONTROL.sub(" ", question)).strip()
    if not question:
        raise InputError("Please type a question.")
    if len(question) > limit:
        raise InputError(f"The question is {len(question):,} characters long; the limit is {limit:,}. "
                         "Ask about one thing at a time.")
    return question


def clean_history(history, limit: int) -> list[dict]:
    """The earlier turns a client sent that can be used: {"role": "user"|"assistant",
    "content": text}, the last MAX_HISTORY_TURNS, each cut to ``limit`` characters.
    Anything else (a string, numbers, a turn without text) is left out, not an error."""
    if not isinstance(history, (list, tuple)):
        return []
    out = []
    for t in history[-MAX_HISTORY_TURNS:]:
        if isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str):
            content = _CONTROL.sub(" ", t["content"])[:limit]
            try:
                content.encode("utf-8")
            except UnicodeEncodeError:
                continue
            out.append({"role": t["role"], "content": content})
    return out


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    query: str  # with the earlier questions a follow-up leans on
    weights: QueryWeights  # each content word's variants -> IDF weight (earlier turns at half)
    missing: float  # IDF mass of English words the corpus never uses
    wanted: str | None  # the kind of answer asked for
    counted: tuple[str, ...]  # what a "how many" question counts (its variants)
    role: tuple[str, ...]  # the stems naming the role a "who is the director…" question asks about
    raw: frozenset[str]  # folded words, for entry identifiers ("203", "202bis")
    terms: frozenset[str]  # every variant of every content word
    salient: tuple[str, ...] = ()  # the names, years and identifiers it asks about (folded)
    anchors: frozenset[str] = frozenset()  # those of them an answer's passage must name
    offenses: tuple[tuple[str, ...], ...] = ()  # the offenses it names ("cyberbullying"), each with its variants
    earlier_raw: frozenset[str] = frozenset()  # ``raw`` and ``terms`` of the earlier questions a follow-up leans on
    earlier_terms: frozenset[str] = frozenset()
    # a follow-up asking the same kind of thing of another subject: the figures the previous
    # answer gave, and the follow-up's own words (see ``Weights``, ``said``)
    said: frozenset[str] = frozenset()
    own: tuple[tuple[str, ...], ...] = ()
    earlier_names: frozenset[str] = frozenset()  # the names and years the question before asked about
    name: bool = False  # it asks for an entry's name ("Is there a website…? What's it called?")
    raised: float = RAISED_MATCH  # how fully a raised penalty answers it (see ``type_match``)


_MARKER = re.compile(r"\s*\[\d+\]")


def _content(answer: str) -> str:
    """An earlier answer without its framing and citation marks."""
    for framing in FRAMING.values():
        for text in framing.values():
            if text and "{" not in text:
                answer = answer.replace(text, " ")
    return " ".join(_MARKER.sub(" ", answer).split())


def exact_lead(hits, ratio: float) -> int | None:
    """The passage BM25 scores ``ratio`` times above any other, if there is one: the
    question's rare words are its own ("buying or storing" is Article 202bis), where the
    dense signals see one article of the penal code much like the next."""
    scored = sorted(((h.signals["bm25"].score, h.position) for h in hits if "bm25" in h.signals), reverse=True)
    if len(scored) > 1 and scored[0][0] > 0 and scored[0][0] >= ratio * scored[1][0]:
        return scored[0][1]
    return None


class Assistant:
    def __init__(self, settings: Settings | None = None, index: Index | None = None, progress: bool = True):
        self.settings = settings or Settings.from_env()
        self.index = index or load_index(self.settings, progress=progress)
        self.retrievers = Retrievers(self.index, self.settings)
        self.weights = Weights()
        bm25 = self.retrievers.single("bm25").bm25
        self.idf: dict[str, float] = dict(bm25.idf)
        # computed once here, not per question
        self.sent_terms = [
            frozenset(tokenize(sentence_text(c, i) + " " + c.context))
            for c in self.index.chunks for i in range(len(c.sentences))
        ]
        self.chunk_terms = [frozenset().union(*(self.sent_terms[r] for r in self.index.sentence_rows(p)))
                            for p in range(len(self.index.chunks))]
        self.title_keys = [title_keys(c) for c in self.index.chunks]
        self.chunk_words = [frozenset(raw_tokens(" ".join([c.text, c.title, c.context]))) for c in self.index.chunks]
        self.sent_types = [sentence_types(c, i) for c in self.index.chunks for i in range(len(c.sentences))]
        self.sent_figures = [figures(c.sentences[i].text) for c in self.index.chunks for i in range(len(c.sentences))]
        rows_by_type: dict[str, list[int]] = {}
        for p in range(len(self.index.chunks)):
            for r in self.index.sentence_rows(p):
                for t in self.sent_types[r]:
                    rows_by_type.setdefault(t, []).append(p)
        self.few_typed = {t: tuple(dict.fromkeys(ps)) for t, ps in rows_by_type.items() if len(ps) <= FEW_TYPED}
        self.sent_heading = np.array([is_heading(c, i) for c in self.index.chunks for i in range(len(c.sentences))])
        words = [t for d in self.index.docs.values() for t in raw_tokens(d.text)]
        self.vocabulary = frozenset(words)
        self.anagrams = frozenset("".join(sorted(t)) for t in self.vocabulary if t.isalpha())
        # "MIT" for the "Massachusetts Institute of Technology" the profile spells out
        self.acronyms = frozenset(a for d in self.index.docs.values() for a in acronyms_of(d.text))
        countries_in("")  # build the country-name table now, not on the first question
        self.speller = Speller(Counter(t for t in words if t.isalpha()))
        # "Mexico", "mexicanos": every passage of a country's profile is about that country
        self.countries = tuple({fold(d.meta["country"])[:5] for d in self.index.docs.values()
                                if len(d.meta.get("country", "")) >= 4})

    # -------------------------------------------------------------- public

    def load_models(self, mode: str | None = None) -> None:
        """Load the encoders a mode uses now (seconds), so that a missing model fails here and
        the first answer's latency is the answer's."""
        for signal in self.settings.signals(mode):
            if signal in self.index.faiss:
                self.index.encoder(signal)

    def ask(self, question, history: Sequence[dict] = (), mode: str | None = None, k: int | None = None,
            threshold: float | None = None, doc: str | None = None) -> Answer:
        """Answer ``question`` given earlier ``history`` turns ({"role", "content"}).
        ``threshold`` overrides the decline threshold (``float('-inf')``: never decline);
        ``doc`` limits the answer to one document of the corpus (None: all of them)."""
        started = time.perf_counter()
        mode = mode or self.settings.mode
        k = k or self.settings.k
        question = clean_question(question, self.settings.max_question_chars)
        history = clean_history(history, self.settings.max_question_chars)
        lang = detect_language(question)
        words = raw_tokens(question)
        if words and all(w in _GREETING for w in words):
            return Answer(question, FRAMING[lang]["greeting"], False, lang, mode=mode, query=question,
                          kind="greeting", latency_ms=(time.perf_counter() - started) * 1000)
        text = self.speller.correct_text(question)  # "what are cinetransfomers" searches for Cinetransformers
        earlier = earlier_questions(text, history)
        previous = _content(previous_answer(history)) if earlier else ""
        # what the previous answer named counts too: "what's on it for the kids?" after an
        # answer naming Clic Seguro (its first words: the entry it quoted)
        query = " ".join([text, *earlier] + ([previous[:PREVIOUS_CHARS]] if previous else []))
        hits = self.retrievers.for_mode(mode).search(query, max(k, CANDIDATE_PASSAGES), doc=doc)
        if threshold is None:
            threshold = self.settings.threshold(mode, lang)
        answer = self._compose(text, earlier, query, lang, hits, mode, threshold, doc, previous)
        return Answer(**{**answer.__dict__, "question": question, "hits": tuple(hits[:k]),
                         "latency_ms": (time.perf_counter() - started) * 1000})

    # -------------------------------------------------------------- internals

    def _dense_match(self, hit, query: str, mode: str, lang: str) -> float | None:
        """Rescaled cosine of the question and the answer's passage, from the best dense
        signal the mode has (multilingual-e5, else MiniLM for English)."""
        signals = [s for s in self.settings.signals(mode) if s in self.index.faiss]
        signal = "e5" if "e5" in signals else ("minilm" if "minilm" in signals and lang == "en" else None)
        if signal is None:
            return None
        if signal in hit.signals:
            cos = hit.signals[signal].score
        else:
            cos = float(self.index.faiss[signal].reconstruct(hit.position) @ self.index.encoder(signal).encode_query(query))
        return float(rescale(np.array(cos), self.weights.dense_floor[signal], self.weights.dense_ceiling[signal]))

    def _salient(self, question: str, lang: str) -> list[str]:
        """The names, years and identifiers ('Guatemala', '2020', '205') a question asks about,
        folded. A capital that only starts the sentence, a capitalized Spanish word
        ('Secretaría de Educación') and the profile's own country are not names. In Spanish,
        a run of capitalized words with one the profile knows, or whose every word the glossary
        translates into the profile's words, is a translated name ('Índice de Seguridad
        Informática de Microsoft', 'Banco Mundial'), not an unknown one ('Ley Olimpia' is:
        the profile has 'law' but nothing for 'Olimpia')."""
        out = []
        for run in _name_runs(question):
            words = []
            for start, word in run:
                if not word[0].isdigit():
                    if start == 0 or question[:start].rstrip().endswith(("¿", "¡", ".", "?", "!")):
                        continue
                    if lang == "es" and fold(word) in GLOSSARY:
                        continue
                words += [t for t in raw_tokens(word)
                          if len(t) > 2 and t not in STOPWORDS and not t.startswith(self.countries)]
            # the profile's country does not make a name known ("México Conectado")
            tokens = [t for _, w in run for t in raw_tokens(w) if not t.startswith(self.countries)]
            if lang == "es" and len(run) > 1 and tokens and (any(map(self._in_corpus, tokens)) or all(
                    any(map(self._in_corpus, glossary_entry(t).split())) for t in tokens)):
                words = [t for t in words if t[0].isdigit()]
            out += words
        if lang == "es":  # "la ley olimpia": a name, unless the glossary knows the word ("ley castiga")
            out += [w for w in map(fold, _LAW_NAME.findall(question))
                    if w not in STOPWORDS and not glossary_entry(w) and w not in out]
        return out

    def _in_corpus(self, token: str) -> bool:
        """The corpus has the word, or its letters in another order (Spanish 'OCDE' is 'OECD'),
        or the name it abbreviates ('MIT')."""
        return (token in self.vocabulary or "".join(sorted(token)) in self.anagrams or token in self.acronyms
                or token + "s" in self.vocabulary or token.endswith("s") and token[:-1] in self.vocabulary)

    def _counted(self, question: str, lang: str) -> tuple[str, ...]:
        """What a "how many" question counts, when it can be checked: not "people" (users,
        participants, attendees…), not a word the profile never uses. Kids, students and
        pupils are called by one another's names, so any of them counts for the others."""
        counted = counted_terms(question, lang)
        if "peopl" in counted or not any(v in self.idf for v in counted):
            return ()
        if not _PERSONS.isdisjoint(counted):  # kids, students, pupils: one another's names
            return tuple(dict.fromkeys(counted + tuple(_PERSONS)))
        return counted

    def _off_topic(self, q: "Question", tokens: list[str]) -> int:
        """How many names the question asks about the answer cannot be about: names and years
        the corpus never mentions, countries other than the profile's that the answer's
        passages do not name (in English or Spanish, in any case: 'argentina'), and years
        and proper names the corpus has but those passages do not ("the program of 2008"
        answered with an entry of 2016). Acronyms, article numbers and adjectives ('Latin
        American') count only when unknown: passages refer to them in other words."""
        words, folded = set(tokens), " " + " ".join(tokens) + " "
        countries = [(name, typed) for name, typed in countries_in(q.text) if not name.startswith(self.countries)]
        typed = {t for _, n in countries for t in n.split()}
        count = sum(f" {name} " not in folded for name, _ in countries)
        for t in q.salient:
            if t in typed:
                continue
            if not self._in_corpus(t):
                count += 1  # unknown
            elif t in q.anchors and t not in words:
                count += 1  # absent
        return count

    @staticmethod
    def _left_subject(q: "Question", words: set[str]) -> bool:
        """Whether a follow-up that points back at the earlier subject ("When was it
        founded?" after "What is RedNATIC?") is answered from passages (their ``words``)
        that name none of the names and years the earlier question asked about, while it
        names none itself."""
        return bool(q.earlier_names) and not q.salient and bool(_BACK_REFERENCE.search(fold(q.text))) \
            and q.earlier_names.isdisjoint(words)

    def _anchors(self, question: str, salient: list[str]) -> frozenset[str]:
        """The years and proper names a question names that the corpus has: an answer's
        passage must name them too ("the 2014 pilot" is not the entry of 2005)."""
        # "Latin American": a name that ends in an adjective is an adjective
        proper = {fold(w) for run in _name_runs(question) if not _ADJECTIVE.search(run[-1][1])
                  for _, w in run if _CAPITALIZED.fullmatch(w) and not _ADJECTIVE.search(w)}
        # a country is checked on its own, in any of its names (see _off_topic)
        countries = _country_words(question)
        return frozenset(t for t in salient if t in self.vocabulary and (is_dated(t) or t in proper)
                         and t not in countries)

    def _gives_what_was_asked(self, q: "Question", picked) -> bool:
        """Whether the quoted sentences give the kind of answer the question asks for."""
        if q.wanted and not any(type_match(q.wanted, self.sent_types[c.row], q.raised) for c in picked):
            return False
        if q.role and all(self.sent_terms[c.row].isdisjoint(q.role) for c in picked):
            return False  # "who directs…" answered by a sentence that names no director
        if q.offenses and all(c.chunk.kind == "article" for c in picked):
            held = frozenset().union(*(c.passage_terms for c in picked))
            if any(held.isdisjoint(variants) for variants in q.offenses):
                return False  # "the penalty for cyberbullying" answered by an article on another offense
        if q.wanted == "number" and q.counted and not any(
                # a statistic's label is paraphrased too freely to check ("líneas de celular")
                c.chunk.kind == "statistic" or counts(c.chunk.sentences[c.index].text, q.counted) for c in picked):
            return False
        if asks_about_now(q.text) and all(is_dated(c.chunk.sentences[c.index].text) for c in picked):
            return False
        if all(c.chunk.kind == "statistic" for c in picked):
            # a country figure answers no question about a subgroup, a place or another country
            label = " ".join(c.chunk.sentences[c.index].text for c in picked)
            # what is asked: "Facebook built a center for Mexico. How many people are on Facebook?"
            asked = " ".join(re.findall(r"[^.?!]*\?", strip_markup(q.text))) or strip_markup(q.text)
            return not statistic_misses(query_terms(asked, q.lang), label,
                                        " ".join(c.chunk.context for c in picked), self.countries)
        return True

    def analyse(self, question: str, earlier: list[str], lang: str, previous: str = "") -> "Question":
        """Everything the scorer needs from the question, worked out once; ``previous`` is
        the answer before a follow-up."""
        groups = query_terms(question, lang)
        salient = self._salient(question, lang)
        qw = idf_weights(groups, self.idf)
        unseen = {g for g in groups if g not in qw}
        for q in earlier:  # the topic of earlier turns counts, at half weight
            for t, w in idf_weights(query_terms(q, detect_language(q)), self.idf).items():
                qw[t] = max(qw.get(t, 0.0), 0.5 * w)
        missing = 0.0
        if lang == "en" and qw:  # a Spanish word is expected to be missing from an English profile
            # "is there an android app for it?": every word of its own is unseen, its topic is earlier
            missing = self.weights.missing_word * len(unseen) * sum(qw.values()) / len(qw)
        wanted = expected_type(question)
        asked_before = expected_type(earlier[0]) if earlier else None
        # "And for those who make it?" after "What's the penalty…?", but "¿y esas compus son de
        # qué proyecto?" after "¿cuándo llegaron?" asks a name
        raised, name = RAISED_MATCH, asks_name(question)
        if wanted is None and earlier and continues_question(question) and not name:
            wanted = asked_before
            raised = 1.0 if adds_condition(question) else raised
        earlier_terms = frozenset(v for e in earlier for g in query_terms(e, detect_language(e)) for v in g)
        # the names and years the question before asked about, other than countries (see _left_subject)
        earlier_names = frozenset()
        if earlier:
            countries = _country_words(earlier[0])
            earlier_names = frozenset(t for t in self._salient(earlier[0], detect_language(earlier[0]))
                                      if t in self.vocabulary and t not in countries)
        said, own = frozenset(), ()
        if previous and wanted and wanted == asked_before:
            said = figures(previous)
            own = tuple(g for g in groups if earlier_terms.isdisjoint(g))
        return Question(question, lang, " ".join([question, *earlier]), qw, missing, wanted,
                        self._counted(question, lang), role_asked(question),
                        frozenset(raw_tokens(question)), frozenset(v for g in groups for v in g),
                        tuple(salient), self._anchors(question, salient),
                        tuple(g for w in raw_tokens(question) if w in _OFFENSES for g in query_terms(w, lang)),
                        frozenset(t for e in earlier for t in raw_tokens(e)), earlier_terms, said, own, earlier_names,
                        name, raised)

    def _with_typed(self, q: "Question", hits: list[Hit], doc: str | None) -> tuple[list[Hit], int]:
        """``hits`` with the passages that give a rarely given answer type (``FEW_TYPED``)
        moved in right after the top ``CANDIDATE_PASSAGES``, and how many passages are
        candidates now. The search may rank the reporting node low for "if I find sexual
        images of kids online, where can I report it?", whose words are the content's."""
        top = hits[:CANDIDATE_PASSAGES]
        seen = {h.position for h in top}
        typed = [next((h for h in hits if h.position == p), None) or Hit(self.index.chunks[p], 0.0, p)
                 for p in self.few_typed.get(q.wanted, ())
                 if p not in seen and (doc is None or self.index.chunks[p].doc == doc)]
        moved = {h.position for h in typed}
        rest = [h for h in hits[CANDIDATE_PASSAGES:] if h.position not in moved]
        return top + typed + rest, len(top) + len(typed)

    def features(self, q: "Question", hits, mode: str, candidates: int = CANDIDATE_PASSAGES):
        """Candidate sentences of the top ``candidates`` passages and their feature matrix (see ``Weights``)."""
        signals = [s for s in self.settings.signals(mode) if s != "bm25" and s in self.index.sent_vectors]
        if q.lang == "es" and "e5" in signals:
            signals = ["e5"]  # an English-only encoder scores Spanish questions as noise
        rows, owners = [], []
        for rank, h in enumerate(hits[:candidates]):
            for r in self.index.sentence_rows(h.position):
                rows.append(r)
                owners.append((rank, h))
        F = np.zeros((len(rows), len(FEATURES)))
        if not rows:
            return rows, owners, F
        rows_arr = np.array(rows)
        # a later sentence goes on about what its passage's lead sentence names ("2010 - The
        # Aulas Fundación Telefónica is…" then "Instructional Coordinators train teachers…"):
        # it holds the lead's words too, at a share
        own = np.array([lexical_coverage(q.weights, self.sent_terms[r], q.missing) for r in rows])
        leads = [int(self.index.sent_first[h.position]) for _, h in owners]
        led = np.array([lexical_coverage(q.weights, self.sent_terms[r] | self.sent_terms[lead], q.missing)
                        for r, lead in zip(rows, leads)])
        F[:, 0] = own + self.weights.lead_share * (led - own)
        F[:, 1] = [lexical_coverage(q.weights, self.chunk_terms[h.position], q.missing) for _, h in owners]
        for s in signals:
            vectors = self.index.sent_vectors[s][rows_arr]
            cos = vectors @ self.index.encoder(s).encode_query(q.query)
            if q.query != q.text:
                # a follow-up: its own words count as much as the earlier question's, which the
                # sentence already quoted matches best ("where do they get the real-life
                # examples?" after "what did the ASI start in 2008?")
                cos = 0.5 * (cos + vectors @ self.index.encoder(s).encode_query(q.text))
            F[:, FEATURES.index(s)] = rescale(cos, self.weights.dense_floor[s], self.weights.dense_ceiling[s])
        lead = exact_lead(hits, self.weights.exact_lead_ratio)
        F[:, 4] = [prior_of_rank(0 if h.position == lead else rank) for rank, h in owners]
        if q.wanted:
            F[:, 5] = [type_match(q.wanted, self.sent_types[r], q.raised) for r in rows]
        elif q.role:  # "who was the coordinator…": a sentence naming the role gives that kind of answer
            F[:, 5] = [not self.sent_terms[r].isdisjoint(q.role) for r in rows]
        F[:, 6] = self.sent_heading[rows_arr] & ~F[:, 5].astype(bool)
        # an entry whose name is asked is not the one the question names: "Does the education
        # ministry have a website that teaches kids to stay safe online? What is it called?"
        if not q.name:
            F[:, 7] = [names_entry(*self.title_keys[h.position], q.raw, q.terms) for _, h in owners]
            # "¿y cuánto tiempo de cárcel?" after "¿qué dice el artículo 204?"
            if not F[:, 7].any() and q.earlier_raw:
                F[:, 7] = [names_entry(*self.title_keys[h.position], q.earlier_raw, q.earlier_terms)
                           for _, h in owners]
        if q.anchors:
            F[:, 8] = [len(q.anchors - self.chunk_words[h.position]) / len(q.anchors) for _, h in owners]
        if q.said:  # "and the one who goes on the trip?": not the term already quoted, unless it names them
            F[:, 9] = [bool(self.sent_figures[r]) and self.sent_figures[r] <= q.said
                       and all(self.sent_terms[r].isdisjoint(g) for g in q.own) for r in rows]
        return rows, owners, F

    def _candidate(self, rank: int, hit: Hit, row: int, score: float = 0.0, typed: bool = False) -> Candidate:
        """Sentence ``row`` of the passage ranked ``rank``, as selection sees it."""
        return Candidate(rank, hit.chunk, row - int(self.index.sent_first[hit.position]), score, self.sent_terms[row],
                         row, self.chunk_terms[hit.position], typed)

    def _sides(self, q: "Question", mode: str, doc: str | None) -> list[tuple["Question", Hit, Candidate]]:
        """Each side of a comparison answered as a question of its own that asks for what the
        whole question asks ("Which gets more prison time: showing porn to a child, or pushing
        a child into sexual acts?" -> Article 200's penalty and Article 201's): the side's
        question, its best sentence and that sentence's passage. The sides are about two
        entries: when both find the same passage best, the side that loses less by it takes
        its next passage. Nothing when the question is no comparison or span."""
        sides = question_sides(q.text)
        if not sides:
            return []
        options = []  # per side: its question, and its passages best first as (score, hit, candidate)
        inside = []  # per side: a passage -> its sentences as (score, candidate), the side's pick first
        for side in sides:
            sq = replace(self.analyse(side, [], q.lang), wanted=q.wanted, role=q.role)
            hits = self.retrievers.for_mode(mode).search(side, max(self.settings.k, CANDIDATE_PASSAGES), doc=doc)
            rows, owners, F = self.features(sq, hits, mode)
            if not rows:
                return []
            scores = sentence_scores(F, self.weights, q.lang)
            by_passage: dict[int, list[int]] = {}
            for i, (_, h) in enumerate(owners):
                by_passage.setdefault(h.position, []).append(i)
            typed = F[:, FEATURES.index("answer_type")] > 0
            ranked, within = [], {}
            for position, members in by_passage.items():
                # in a passage, a sentence giving the kind of answer asked for: the sides are compared on it
                order = sorted(members, key=lambda i: (typed[i], scores[i]), reverse=True)
                rank, h = owners[order[0]]
                ranked.append((float(scores[members].max()), h, self._candidate(rank, h, rows[order[0]])))
                # its sentences a side may pick: those giving that kind, if the passage has one
                within[position] = [(float(scores[i]), self._candidate(*owners[i], rows[i]))
                                    for i in order if typed[i] or not typed[order[0]]]
            ranked.sort(key=lambda t: -t[0])
            options.append((sq, ranked))
            inside.append(within)
        (first_q, first), (second_q, second) = options
        if first[0][1].position == second[0][1].position:
            # the side that loses less takes its next passage, unless the passage tells the sides apart
            h = first[0][1]
            alone = one_passage_sides(inside[0][h.position], inside[1][h.position])
            apart = [(first[0][0] + second[1][0], first[0], second[1])] if len(second) > 1 else []
            apart += [(first[1][0] + second[0][0], first[1], second[0])] if len(first) > 1 else []
            best_apart = max(apart, key=lambda t: t[0], default=None)
            if alone is not None and (best_apart is None or alone[0] >= best_apart[0]):
                return [(first_q, h, alone[1]), (second_q, h, alone[2])]
            if best_apart is None:
                return []
            _, (_, h1, c1), (_, h2, c2) = best_apart
            return [(first_q, h1, c1), (second_q, h2, c2)]
        return [(sq, h, c) for sq, (_, h, c) in ((first_q, first[0]), (second_q, second[0]))]

    def _compose(self, question: str, earlier: list[str], query: str, lang: str, hits, mode: str,
                 threshold: float, doc: str | None = None, previous: str = "") -> Answer:
        q = self.analyse(question, earlier, lang, previous)
        sides = self._sides(q, mode, doc)
        picked, confidence = [], float("-inf")
        if not sides or asks_both(question):  # the question as a whole; a comparison is answered side by side
            hits, candidates = self._with_typed(q, hits, doc)
            rows, owners, F = self.features(q, hits, mode, candidates)
            if rows:
                scores = sentence_scores(F, self.weights, lang)
                typed = F[:, FEATURES.index("answer_type")] > 0 if q.wanted else np.zeros(len(rows), bool)
                if q.wanted:
                    scores = typed_first([h.position for _, h in owners], typed, scores, self.weights.typed_share,
                                         anywhere=q.wanted in self.few_typed)
                cands = [self._candidate(rank, h, r, float(scores[j]), bool(typed[j]))
                         for j, (r, (rank, h)) in enumerate(zip(rows, owners))]
                picked = select_sentences(cands, q.weights, two_part=is_two_part(question),
                                          comparison=is_comparison(question),
                                          anchors=frozenset(tokenize(" ".join(q.anchors)))
                                          if links_two(question) else frozenset())
                confidence = self._confidence(q, picked, [(q, hits[picked[0].hit_rank], query)], mode, lang)
        if sides:  # each side's own best sentence, in the question's order, as sure as the less sure one
            by_sides = self._confidence(q, [c for _, _, c in sides], [(sq, h, sq.query) for sq, h, _ in sides],
                                        mode, lang)
            # two things asked at once, as a whole when that is surer ("which phone company is
            # both part of the ASI and a co-host of…")
            if by_sides >= confidence:
                picked, confidence = [c for _, _, c in sides], by_sides
            else:
                sides = []
        if not picked:
            return self._declined(question, lang, mode, query, 0.0)
        if confidence < threshold:
            return self._declined(question, lang, mode, query, confidence)
        definition = asks_definition(question)
        compared = bool(sides) or is_comparison(question)
        groups = [(chunk, expand(chunk, idx, q.terms, set(tokenize(chunk.title)), definition, q.wanted == "author",
                                  q.name, compared))
                  for chunk, idx in order_groups(picked)]
        needed = None if quotes_whole(question, q.wanted) else self._needed(q)
        text, citations, marks = build_answer_text(groups, lang, needed)
        note = span_note(question, [c.text for c in citations], lang)
        text = f"{text} {note}" if note else text
        return Answer(question, text, True, lang, tuple(citations), (), confidence, mode, query, kind="answer",
                      marks=marks)

    @staticmethod
    def _needed(q: "Question") -> Callable[[str], bool]:
        """Whether a clause holds something ``q`` asks about: one of its words (or of the
        earlier turns it leans on), the role it asks for, or the kind of answer it wants."""
        gives = GIVES.get(q.wanted)
        asked = q.terms | set(q.role)

        def needed(clause: str) -> bool:
            return not asked.isdisjoint(tokenize(clause)) or (gives is not None and bool(gives.search(clause)))
        return needed

    def _confidence(self, q: "Question", picked, supports, mode: str, lang: str) -> float:
        """The decline decision's score for quoting ``picked``: the least sure of its
        supports (a passage, and the question it answers), lowered for names it cannot be
        about, a kind of answer it does not give, or a subject it left (see ``confidence_from``)."""
        tokens = raw_tokens(" ".join(" ".join([c.text, c.title, c.context])
                                     for c in {id(c.chunk): c.chunk for c in picked}.values()))
        off_topic = self._off_topic(q, tokens) + self._left_subject(q, set(tokens))
        type_missed = not self._gives_what_was_asked(q, picked)
        return min(confidence_from(lexical_coverage(sq.weights, self.chunk_terms[h.position]),
                                   self._dense_match(h, sq_query, mode, lang), off_topic, type_missed, self.weights)
                   for sq, h, sq_query in supports)

    def _declined(self, question, lang, mode, query, confidence) -> Answer:
        return Answer(question, FRAMING[lang]["declined"], False, lang, (), (), confidence, mode, query,
                      kind="declined")

