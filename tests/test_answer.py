from dataclasses import replace

import numpy as np
import pytest

from qa.answer import (FEATURES, Candidate, Weights, adds_condition, asks_about_now, asks_definition, asks_name,
                       build_answer_text, counted_terms, counts, expand, expected_type, figures, is_dated, is_two_part,
                       kept_length, lexical_coverage, links_two, one_passage_sides,
                       question_sides, quotes_whole, rescale, role_asked, select_sentences, sentence_scores,
                       sentence_types, span_note, statistic_misses, type_match, typed_first)
from qa.corpus import Chunk, Sentence
from qa.text import query_terms


def chunk(kind="paragraph", title="", sentences=("One fact here.", "Another fact there."), start=100):
    sents, pos = [], start
    for s in sentences:
        sents.append(Sentence(pos, pos + len(s), s))
        pos += len(s) + 1
    return Chunk(id=f"c{start}", doc="m.txt", section="S", kind=kind, start=start, end=pos - 1,
                 text=" ".join(sentences), title=title, sentences=tuple(sents))


def test_lexical_coverage_is_the_idf_share_held():
    assert lexical_coverage({("age",): 2.0, ("consent",): 3.0}, {"consent", "other"}) == pytest.approx(0.6)
    assert lexical_coverage({("kid", "children"): 2.0, ("age",): 2.0}, {"children"}) == pytest.approx(0.5)
    assert lexical_coverage({("age",): 2.0}, {"age"}, missing=2.0) == pytest.approx(0.5)
    assert lexical_coverage({}, {"x"}) == 0.0


def test_rescale_maps_cosines_between_floor_and_ceiling():
    assert rescale(np.array([0.70, 0.72, 0.82, 0.92, 0.99]), 0.72, 0.92) == pytest.approx([0, 0, 0.5, 1, 1])


def test_sentence_scores_are_linear_in_the_features_per_language():
    w = Weights(per_lang={"en": {"lexical": 0.5, "e5": 0.3, "heading": -0.2}, "es": {"e5": 1.0}})
    f = np.zeros((1, len(FEATURES)))
    f[0, FEATURES.index("lexical")], f[0, FEATURES.index("e5")], f[0, FEATURES.index("heading")] = 1.0, 0.5, 1.0
    assert sentence_scores(f, w, "en")[0] == pytest.approx(0.5 + 0.15 - 0.2)
    assert sentence_scores(f, w, "es")[0] == pytest.approx(0.5)
    assert sentence_scores(f, w, "fr")[0] == pytest.approx(0.45)  # unknown languages score as English


@pytest.mark.parametrize("question,kind", [
    ("How many mobile subscribers does Mexico have?", "number"),
    ("¿Cuántas laptops recibió Sonora?", "number"),
    ("What percentage of Mexicans are online?", "percent"),
    ("What is the penalty for possession of child pornography?", "penalty"),
    ("¿Cuántos años de cárcel dan por violación?", "penalty"),
    ("Who wrote 'Small World, Big Responsibility'?", "author"),
    ("Who did the 2013 study on teachers' ICT skills?", "author"),
    ("¿Quién realizó la encuesta?", "author"),
    ("When was RELPE formed?", "date"),
    ("Where was the 2001 consultation held?", "place"),
    ("¿Dónde está la sede de INTERPOL?", "place"),
    ("In which city did the forum take place?", "place"),
    ("donde se hizo la Consulta Regional de America del Norte?", "place"),
    ("Which university hosted the 2001 meeting on the sexual exploitation of kids?", "place"),
    ("Where was the 2001 meeting between the US, Canada and Mexico?", "place"),
    ("donde fue la junta de 2001 de estados unidos, canada y mexico", "place"),
    ("Where do I report illegal content?", "report"),  # a channel, not a place
    ("If I come across something illegal online, where in Mexico can I report it?", "report"),
    ("¿Dónde denuncio contenido ilegal en internet?", "report"),
    ("What did the report say?", None),
    ("and when are you legally an adult?", None),  # an age, not a date
    ("a que correo le escribo a UNAM-CERT", "contact"),
    ("Where did the 2001 North American meeting on the commercial sexual exploitation of children take place?",
     "place"),
    ("Which companies backed the project?", "names"),
    ("¿Qué organizaciones participaron?", "names"),
    ("Which company runs the portal?", None),  # one name may answer it
    ("¿Pierde su trabajo un servidor público que abusa de su autoridad?", None),  # "autoridad" is no author
    ("Which authorities handle the reports?", None),
    ("Which center co-authored the 2008 report?", "author"),
    ("hay algun numero de emergencia para denunciar grooming?", "contact"),
    ("Is there an emergency number to report grooming?", "contact"),
    ("What is Clic Seguro?", None),
    ("What is the phone number of the ASI report line?", "contact"),
    ("¿Y cuál es su página web?", "contact"),
    ("What's the web address for Clic Seguro?", "contact"),
    # a website or a phone as the topic, "address" the verb, "fines de lucro", "share" the verb
    ("What do students get from the Secretariat of Public Education's website?", None),
    ("At what age do kids in Mexico usually get their first phone?", None),
    ("What problem was it meant to address?", None),
    ("proacceso es una empresa o una organizacion sin fines de lucro?", None),
    ("What targets do its members share?", None),
    ("¿Con quién hizo Telmex la Aldea Digital?", None),
    ("¿De dónde salen las cifras de población?", None),
    # what the law does to an offender, in a parent's words
    ("What can happen to someone who shows porn to a kid?", "penalty"),
    ("que le pasa a alguien que obliga a un menor", "penalty"),
    ("¿Qué le pasa al que viaja para abusar de niños?", "penalty"),
    ("What happens to the pictures seized in a child porn case?", None),
    ("What happens to a boss who keeps sexually harassing someone who works under them?", "penalty"),
    ("que le pasa a un maestro que acosa a una alumna", "penalty"),
    ("que pasa si un maestro acosa sexualmente una y otra vez a una alumna", "penalty"),
    ("What happens if a boss keeps harassing an employee?", "penalty"),
    ("que pasa si un niño ve algo ilegal", None),
    ("Is there a study on the digital gap in Mexico? Who did it?", "author"),
    ("hay algun estudio del Banco Mundial sobre cibercrimen? quien lo escribio", "author"),
    ("Who did it?", None),
    ("Which tech companies backed the pilot?", "names"),
    ("Which states were in the 2014 trial?", "names"),
    ("en que estados se hizo el piloto", "names"),
    ("Where did the US, Canada and Mexico get together in 2001?", "place"),
    ("On what date does Mexico celebrate Safer Internet Day?", "date"),
    ("¿Qué día se celebra?", "date"),
    ("What day-to-day risks do children face?", None),
    ("How much is that fine in pesos?", "money"),
    ("How many pesos is one day of minimum salary?", "money"),
    ("Which phone company worked with FOSI?", None),  # a company, not a phone number
    ("What phone number do I call?", "contact"),
    ("what % of people in rural mexico have internet at home?", "percent"),
    # a span between two events: the two dates answer it
    ("How many years passed between MIT's laptop project and Sonora's XO laptops?", "date"),
    ("cuantos años pasaron desde que el MIT lanzo One Laptop per Child hasta lo de Sonora?", "date"),
    ("How many years in prison?", "penalty"),
    ("if I see illegal stuff online involving kids, who do I report it to in Mexico?", "report"),
    # only the asking sentence counts, not the one setting the scene
    ("The group that runs Mexico's site for reporting illegal stuff online also started a program. What was it?", None),
    ("I found pictures of kids online. Where can I report them?", "report"),
    ("What is the penalty under Art. 200?", "penalty"),
    ("Who studied the digital gap among low-income people?", "author"),
    ("y al que viaja y hace el acto con el niño cuanto le dan", "penalty"),
    ("cual es el numero de whatsapp de la ASI para denunciar", "contact"),
])
def test_expected_answer_type(question, kind):
    assert expected_type(question) == kind


@pytest.mark.parametrize("sentence,gives", [
    ("The project receive the support of Microsoft, Intel, IUSA, Cisco, Elara.", True),
    ("Is a partnership between corporate organizations such as Telmex and online safety organizations such as iSAFE "
     "and FOSI.", True),
    ("Developed in collaboration with UNICEF, the Yale University Center and the Network for Children.", True),
    ("In May, the ASI held a congress.", False),
    ("The project is supported by Microsoft.", False),
])
def test_a_list_of_names_answers_which_companies(sentence, gives):
    assert ("names" in sentence_types(chunk(sentences=(sentence,)), 0)) is gives


@pytest.mark.parametrize("sentence,gives", [
    ("The conference was held at the University of Pennsylvania.", True),
    ("In May, the ASI held a congress in Mexico City.", True),
    ("It was launched in January by the ASI.", False),  # a month is not a place
    ("INTERPOL has 190 member countries around the world.", False),
])
def test_a_place_sentence_names_where(sentence, gives):
    assert ("place" in sentence_types(chunk(sentences=(sentence,)), 0)) is gives


@pytest.mark.parametrize("sentence,match", [
    ("The penalty for rape is between eight and 30 years’ imprisonment.", 1.0),
    ("The punishment is a fine of forty days’ minimum salary.", 1.0),
    ("Increased penalties also apply if two or more offenders are involved.", 0.5),  # raised, not given
    ("If violence was used, the penalty is increased by up to half.", 0.5),
    ("If the crime is committed by a public servant they will lose their position.", 0.5),
    ("The same penalties apply to those who reproduce such content.", 0.0),
])
def test_a_penalty_sentence_gives_a_term_or_a_fine(sentence, match):
    assert type_match("penalty", sentence_types(chunk(sentences=(sentence,)), 0)) == match


@pytest.mark.parametrize("question,lang,counted", [
    ("How many schools in Sonora got XO laptops?", "en", "school"),
    ("¿Cuántas escuelas hay en México?", "es", "school"),
    ("How many member organizations does RedNATIC have?", "en", "member"),
])
def test_what_a_how_many_question_counts(question, lang, counted):
    terms = counted_terms(question, lang)
    assert counted in terms and "laptop" not in terms and "organ" not in terms


def test_a_question_that_counts_nothing():
    assert counted_terms("What is the penalty?", "en") == ()


@pytest.mark.parametrize("question,stem", [
    ("Who is the director of Fundación Proacceso?", "director"),
    ("¿Quién fundó la Fundación Proacceso?", "found"),
    ("quien dirige la Red por los Derechos de la Infancia", "director"),
    ("Who is the president of the Internet Security Alliance?", "presid"),
    ("Who wrote it?", None),
    ("Who took part in the ASI congress?", None),
    ("Who was Education Secretary when Clic Seguro was launched?", "secretari"),
    ("quien era el secretario de educacion publica en 2014", "secretari"),
    ("Who is the National Digital Strategy Coordinator?", "coordin"),
    ("y quien era la coordinadora de esa estrategia?", "coordin"),
    ("Who was in charge of carrying out the digital plan?", "coordin"),
])
def test_the_role_a_who_question_asks_about(question, stem):
    stems = role_asked(question)
    assert (stem in stems) if stem else stems == ()


def test_a_figure_counts_what_stands_beside_it():
    laptops = "The State of Sonora received 5,000 XO laptops in 2012."
    assert counts(laptops, ("laptop",))
    assert not counts(laptops, ("school",))
    assert not counts("Launched in 2012 in schools.", ("school",))  # a year counts nothing
    assert counts("Formed in 2004 by sixteen countries.", ("countri",))


def test_sentence_types_ignore_years_for_numbers():
    c = chunk(sentences=("Formed in 2004 by sixteen countries.", "It was launched in 2010."))
    assert sentence_types(c, 0) == {"number", "date"}
    assert sentence_types(c, 1) == {"date"}


def test_second_sentence_only_when_it_covers_the_rest_of_the_question():
    c = chunk(sentences=("Facebook Users: 60,000,000", "Mobile Subscribers: 104,100,000", "Other."))
    qw = {("facebook",): 1.0, ("mobil",): 1.0, ("subscrib",): 1.0}
    cands = [Candidate(0, c, 0, 0.9, frozenset({"facebook", "user"})),
             Candidate(0, c, 1, 0.7, frozenset({"mobil", "subscrib"})),
             Candidate(0, c, 2, 0.6, frozenset())]
    assert [p.index for p in select_sentences(cands, qw)] == [0, 1]
    assert [p.index for p in select_sentences(cands, {("facebook",): 1.0})] == [0]
    other = chunk(sentences=("Mobile Subscribers: 104,100,000",), start=900)
    cands[1] = Candidate(1, other, 0, 0.7, frozenset({"mobil", "subscrib"}))
    assert [p.chunk.id for p in select_sentences(cands, qw)] == ["c100"]
    assert [p.chunk.id for p in select_sentences(cands, qw, two_part=True)] == ["c100", "c900"]


def test_the_other_part_of_a_question_may_be_named_anywhere_in_its_entry():
    # "Which is longer: sex tourism (Article 203) or procuring (Article 204)?"
    a203 = chunk("article", "Article 203", ("Article 203.", "Defines sex tourism.", "Seven to twelve years."))
    a204 = chunk("article", "Article 204", ("Article 204.", "Defines procuring.", "Eight to fifteen years."), start=900)
    qw = {("sex",): 1.0, ("tourism",): 1.0, ("203",): 1.0, ("procur",): 1.0, ("204",): 1.0, ("prison",): 1.0}
    e203, e204 = frozenset({"203", "sex", "tourism", "prison"}), frozenset({"204", "procur", "prison"})
    cands = [Candidate(0, a203, 2, 1.0, frozenset({"203", "prison"}), passage_terms=e203),
             Candidate(1, a204, 2, 0.8, frozenset({"204", "prison"}), passage_terms=e204)]
    assert [(p.chunk.id, p.index) for p in select_sentences(cands, qw, two_part=True)] == [("c100", 2), ("c900", 2)]
    assert [p.chunk.id for p in select_sentences(cands, qw)] == ["c100"]  # one part: one passage


def test_a_passage_with_the_years_and_names_the_first_lacks_joins_it():
    # "what has MIT's 2005 project to do with the laptops of Sonora?"
    mit = chunk(sentences=("2005 - MIT started One Laptop per Child.",))
    sonora = chunk(sentences=("2012 - Sonora received 5,000 XO laptops.",), start=900)
    other = chunk(sentences=("2005 - Something else.",), start=2000)
    cands = [Candidate(0, sonora, 0, 1.0, frozenset({"2012", "sonora", "laptop"})),
             Candidate(1, other, 0, 0.2, frozenset({"2005"})),
             Candidate(2, mit, 0, 0.5, frozenset({"2005", "mit", "laptop"}))]
    qw = {("laptop",): 1.0, ("2005",): 1.0, ("sonora",): 1.0}
    assert [p.chunk.id for p in select_sentences(cands, qw)] == ["c900"]
    assert [p.chunk.id for p in select_sentences(cands, qw, anchors=frozenset({"2005", "sonora"}))] == ["c900", "c100"]
    # a passage scoring under anchor_ratio of the best does not join for its year alone
    assert [p.chunk.id for p in select_sentences(cands[:2], qw, anchors=frozenset({"2005", "sonora"}))] == ["c900"]


def test_sentences_of_one_passage_that_score_alike_are_both_quoted():
    c = chunk(sentences=("One.", "Two.", "Three."))
    cands = [Candidate(0, c, 0, 1.0, frozenset({"a"})), Candidate(0, c, 2, 0.9, frozenset({"a"})),
             Candidate(0, c, 1, 0.5, frozenset())]
    assert [p.index for p in select_sentences(cands, {("a",): 1.0})] == [0, 2]
    cands[1] = Candidate(0, c, 2, 0.8, frozenset({"a"}))
    assert [p.index for p in select_sentences(cands, {("a",): 1.0})] == [0]


def test_a_sentence_giving_the_kind_asked_for_is_quoted_alone_but_for_a_second_part():
    # "What's the punishment for someone who organizes sex-tourism trips?" (a penalty asked for)
    a203 = chunk("article", "Article 203", ("Article 203.", "Defines sex tourism as to promote or manage travel.",
                                            "Seven to twelve years."))
    qw = {("promot", "organiz"): 1.0, ("travel", "trip"): 1.0, ("punish", "penalti"): 1.0}
    term = Candidate(0, a203, 2, 1.0, frozenset({"year"}), typed=True)
    defines = Candidate(0, a203, 1, 0.95, frozenset({"promot", "travel"}))
    assert [p.index for p in select_sentences([term, defines], qw)] == [2]
    # a tie giving the kind too, an untyped best, or a second part still quote both
    assert [p.index for p in select_sentences([term, replace(defines, typed=True)], qw)] == [2, 1]
    assert [p.index for p in select_sentences([replace(term, typed=False), defines], qw)] == [2, 1]
    assert [p.index for p in select_sentences([term, replace(defines, score=0.7)], qw, two_part=True)] == [2, 1]


def test_a_long_sentence_is_quoted_through_its_last_clause_the_question_needs():
    sonora = ("2012 - The State of Sonora received 5,000 XO laptops in 2012 under their Un Nuevo Futuro (A New "
              "Future) program, which aims to provide tools giving children access to knowledge and skills.")
    assert sonora[:kept_length(sonora, lambda clause: "laptop" in clause)] == \
        "2012 - The State of Sonora received 5,000 XO laptops in 2012 under their Un Nuevo Futuro (A New Future) " \
        "program"
    assert kept_length(sonora, lambda clause: "tools" in clause) == len(sonora)
    # an aside in brackets is no clause; ", through…" and ", with…" are not either (the verb may follow)
    making = ("Those responsible for creating such material (in any format, including electronic means) face a "
              "term of imprisonment of between seven and twelve years, as well as a fine of 2,800 days.")
    assert making[:kept_length(making, lambda clause: False)] == making[:making.index(", as well as")]
    amilac = ("The National Autonomous University of Mexico, through its tv channel, TV UNAM, in partnership with "
              "the UAB, with support of UNESCO hosted in Mexico City the first Forum on Media Literacy.")
    assert kept_length(amilac, lambda clause: False) == len(amilac)
    # a short sentence, or one whose first clause is short, is quoted whole
    assert kept_length("Mexico is part of the 54 countries, which is a lot.", lambda clause: False) == 51
    assert kept_length("It is the EU's, which launched it " + "x" * 100 + ".", lambda clause: False) == 135


def test_a_cut_sentence_is_marked_and_cited_up_to_the_cut_in_the_stored_text():
    raw = ("2012 - Sonora received 5,000 XO laptops under its Un Nuevo Futuro program,\n  which aims to give "
           "tools to all the children of the state.")
    c = Chunk(id="c0", doc="m.txt", section="S", kind="timeline", start=10, end=10 + len(raw), text=raw,
              sentences=(Sentence(10, 10 + len(raw), " ".join(raw.split())),))
    text, cites, marks = build_answer_text([(c, [0])], "en", lambda clause: "laptop" in clause)
    assert text == "2012 - Sonora received 5,000 XO laptops under its Un Nuevo Futuro program … [1]"
    cut = raw.index(",\n")
    assert (cites[0].start, cites[0].end) == (10, 10 + cut) and marks["c0"] == [(10, 10 + cut)]
    assert build_answer_text([(c, [0])], "en")[0] == " ".join(raw.split()) + " [1]"  # no needs given: whole


@pytest.mark.parametrize("question,wanted,whole", [
    ("Did the RIA win any recognition?", None, True),
    ("¿Es cierto que el Artículo 266 castiga la violación?", "penalty", True),
    ("Who took part in the ASI congress in Mexico City?", None, True),
    ("Who wrote the 2015 paper on the digital divide?", "author", False),
    ("How many laptops did Sonora receive?", "number", False),
])
def test_yes_no_and_who_questions_quote_whole_sentences(question, wanted, whole):
    assert quotes_whole(question, wanted) is whole


def test_the_authors_asked_for_are_quoted_without_the_summary():
    paper = chunk("research", "Digital Divide (2015)", ("Digital Divide (2015)", "Darrel M. West",
                                                        "This paper presents the factors."))
    assert expand(paper, {1}, set(), set(), author=True) == [0, 1]
    assert expand(paper, {1}, set(), set()) == [0, 1, 2]
    # a title's year on a line of its own comes before the authors
    split = chunk("research", "Outlook", ("Outlook and Challenges.", "(2013)", "Margarita Ontiveros", "It highlights."))
    assert expand(split, {1}, set(), set(), author=True) == [0, 1, 2]


@pytest.mark.parametrize("question,two", [
    ("How many Facebook users and how many mobile subscribers does Mexico have?", True),
    ("What is the age of consent, and what is the penalty under Article 262?", True),
    ("¿Qué programas han dado laptops a niños y en qué años?", True),
    ("Which grades got laptops in the 2014 pilot?", False),
    ("What is the penalty for storing and buying child pornography?", False),
    ("Are there more cell phone subscriptions than people in Mexico?", True),
    ("Which carries a longer prison term: Article 203 or Article 204?", True),
    ("¿Hay más celulares que personas en México?", True),
    ("What more does the foundation offer?", False),
    ("Under Article 266, what prison term applies to rape?", False),
    ("Besides Intel, which companies took part?", False),
    ("which is older, RELPE or the interactive generations forum?", True),
])
def test_two_part_questions(question, two):
    assert is_two_part(question) == two


@pytest.mark.parametrize("question,lang,label,misses", [
    ("How many people live in Mexico?", "en", "Population: 121,736,809", []),
    ("What percentage of Mexicans are online?", "en", "Internet Users: 49.3%", []),
    ("Roughly what share of people in Mexico are online?", "en", "Internet Users: 49.3%", []),
    ("cuantos usuarios de celular hay en mexico", "es", "Mobile Subscribers: 104,100,000", []),
    ("And what share of them are children under 15?", "en", "Population 0-14: 27.6%", []),
    ("What percentage of internet users in Mexico are under 18?", "en", "Internet Users: 49.3%", ["18"]),
    ("Which Mexican state has the highest share of internet users?", "en", "Internet Users: 49.3%",
     ["state", "highest"]),
    ("¿Cuántos habitantes tiene Colombia?", "es", "Population: 121,736,809", ["colombia"]),
    ("¿Qué porcentaje de las escuelas públicas en México tiene internet?", "es", "Internet Users: 49.3%",
     ["escuela", "publica"]),
])
def test_what_a_country_statistic_does_not_answer(question, lang, label, misses):
    found = statistic_misses(query_terms(question, lang), label, "Mexico", ("mexic",))
    assert [g[0] for g in found] == misses


@pytest.mark.parametrize("question,now", [
    ("How many RIA centers are operating today?", True),
    ("¿Cuántos centros RIA hay actualmente?", True),
    ("Is Clic Seguro still running?", True),
    ("cuantos centros RIA tiene ahorita la Fundacion Proacceso", True),
    ("How many RIA centers were launched in 2009?", False),
])
def test_a_question_about_how_things_stand_now(question, now):
    assert asks_about_now(question) is now


def test_a_dated_sentence_names_a_year():
    assert is_dated("In 2009 the Foundation launched its first ten RIA centers.")
    assert not is_dated("Mobile Subscribers: 104,100,000")


def test_expand_adds_the_entry_heading_and_follows_fragments():
    article = chunk("article", "Article 265, Penal Code",
                    ("Article 265, Penal Code.", "Rape.", "Defines the offense.", "The punishment is eight years."))
    assert expand(article, {3}, set(), set()) == [0, 3]
    assert expand(article, {1}, set(), set()) == [0, 1, 2]
    org = chunk("organization", "INTERPOL", ("INTERPOL", "INTERPOL is the largest.", "Its mission is to help."))
    assert expand(org, {2}, {"interpol"}, {"interpol"}) == [2]  # the question names it already
    assert expand(org, {2}, {"mission"}, {"interpol"}) == [0, 2]
    # a comparison says whose figure is whose, though the question names both
    assert expand(org, {2}, {"interpol"}, {"interpol"}, compared=True) == [0, 2]


def test_a_question_asking_a_name_quotes_the_sentence_that_gives_it():
    entry = chunk("timeline", "", ("2011 - The government introduced Cinetransformers.",
                                   "It consists of a mobile cinema service that brings digital literacy to remote areas.",
                                   "The project receive the support of Microsoft."))
    assert asks_name("What was the traveling movie-theater project called?")
    assert asks_name("¿Cómo se llama el cine móvil?")
    assert not asks_name("What does the mobile cinema bring to remote areas?")
    assert expand(entry, {1}, set(), set(), name=True) == [0, 1]
    assert expand(entry, {1}, set(), set()) == [1]
    assert expand(entry, {2}, set(), set(), name=True) == [0, 2]  # an entry names itself in its first line


@pytest.mark.parametrize("question,asks", [
    ("What are Cinetransformers?", True),
    ("¿Qué es Clic Seguro?", True),
    ("q son los cinetransformers", True),
    ("para que sirven los cinetransformers", True),
    ("What do Cinetransformers bring to remote areas?", False),
])
def test_a_definition_asked_quotes_the_sentence_that_goes_on_about_it(question, asks):
    entry = chunk("timeline", "", ("2011 - The government introduced Cinetransformers.",
                                   "It consists of a mobile cinema service that brings digital literacy."))
    assert asks_definition(question) is asks
    assert expand(entry, {0}, set(), set(), definition=asks_definition(question)) == ([0, 1] if asks else [0])


@pytest.mark.parametrize("question,asks", [
    ("Which university project lets teachers earn a diploma in using computers for teaching?", True),
    ("Is there a Latin American group of organizations focused on kids' right to use technology safely?", True),
    ("What program does the SEP run?", True),
    ("que programa da laptops", True),
    ("hay algun programa para maestros?", True),
    ("y esas compus son de que proyecto internacional", True),
    ("What does the program do?", False),
    ("What is the goal of the program?", False),
    ("Which UN agency backed the 2014 pilot?", False),  # a party the entry names, not the entry
    ("que empresas apoyaron el proyecto", False),
])
def test_an_entry_asked_for_by_what_it_does_is_a_name_asked(question, asks):
    assert asks_name(question) is asks


def test_an_organization_asked_for_is_quoted_with_its_name_though_the_question_paraphrases_it():
    org = chunk("organization", "The Network for the Rights of Children - RedNATIC",
                ("The Network for the Rights of Children - RedNATIC", "Is a network of rights groups.",
                 "It comprises a joint group of organizations from across Latin America."))
    terms, title = {"network", "right", "children"}, {"network", "right", "children", "rednatic"}
    assert expand(org, {2}, terms, title) == [2]  # named, it seems
    assert expand(org, {2}, terms, title, name=True) == [0, 2]  # not its second line


def test_typed_first_puts_the_sentence_giving_the_kind_asked_first_within_its_passage():
    passages = [7, 7, 7, 9]
    typed = np.array([False, True, False, False])
    scores = np.array([0.70, 0.58, 0.40, 0.64])
    out = typed_first(passages, typed, scores, 0.9)
    # passage 7: its typed sentence gains up to the passage's best, the others keep 0.9
    assert np.allclose(out, [0.63, 0.58 / 0.9, 0.36, 0.64])
    assert int(np.argmax(out)) == 1
    # a passage whose best sentence gives it already, or that has none, is left alone
    assert np.allclose(typed_first(passages, np.array([True, False, False, False]), scores, 0.9), scores)
    # a rarely given kind: every sentence that lacks it keeps the share, in any passage
    assert np.allclose(typed_first(passages, typed, scores, 0.9, anywhere=True), [0.63, 0.58, 0.36, 0.576])


def test_answer_text_cites_each_passage_once_with_its_span():
    a = chunk(sentences=("The age of consent is fifteen.", "Other."), start=0)
    b = chunk("article", "Article 262, Penal Code", ("Article 262, Penal Code.", "Three months to four years."), start=500)
    text, cites, marks = build_answer_text([(a, [0]), (b, [0, 1])], "en")
    assert text == "The age of consent is fifteen. [1] Article 262, Penal Code. Three months to four years. [2]"
    assert [(c.n, c.start, c.end) for c in cites] == [(1, 0, 30), (2, 500, 552)]
    assert marks["c500"] == [(500, 524), (525, 552)]
    es_text, _, _ = build_answer_text([(a, [0])], "es")
    assert es_text == "Según el perfil: The age of consent is fifteen. [1]"


def test_name_line_introduces_its_entry_and_gaps_are_marked():
    org = chunk("organization", "Clic Seguro", ("Clic Seguro", "launched by the SEP.", "Games.", "Tips."))
    text, _, _ = build_answer_text([(org, [0, 1, 3])], "en")
    assert text == "Clic Seguro: launched by the SEP. … Tips. [1]"


def test_a_passage_bm25_puts_far_ahead_leads():
    from qa.assistant import exact_lead
    from qa.retrieve import Hit, SignalHit

    def hit(position, bm25=None, e5=1):
        signals = {"e5": SignalHit(e5, 0.8)}
        if bm25:
            signals["bm25"] = SignalHit(bm25[0], bm25[1])
        return Hit(chunk(start=position), 0.1, position, signals)

    # "Is buying or storing child pornography a crime?": Article 202bis's words are its own
    hits = [hit(0, (3, 6.6)), hit(1, e5=2), hit(3, (1, 15.1), e5=35), hit(4, (2, 7.8))]
    assert exact_lead(hits, 1.5) == 3
    assert exact_lead(hits, 2.0) is None  # 15.1 is under twice 7.8
    assert exact_lead(hits[:2], 1.5) is None  # one BM25 score: nothing to compare


@pytest.mark.parametrize("question,comparison", [
    ("which is older, RELPE or the interactive generations forum?", True),
    ("cual red junta mas paises, la RELPE o la RIATE?", True),
    ("How many Facebook users and how many mobile subscribers does Mexico have?", False),  # two parts, no comparison
    ("What more does the foundation offer?", False),
])
def test_comparisons(question, comparison):
    from qa.answer import is_comparison
    assert is_comparison(question) is comparison


@pytest.mark.parametrize("question,sides", [
    ("Which gets more prison time: showing porn to a child, or pushing a child into sexual acts?",
     ("showing porn to a child", "pushing a child into sexual acts")),
    ("que da mas carcel: obligar a un menor a tener actos sexuales o meterlo a la prostitucion?",
     ("obligar a un menor a tener actos sexuales", "meterlo a la prostitucion")),
    ("which is older, RELPE or the interactive generations forum?", ("RELPE", "the interactive generations forum")),
    ("How many more countries does RIATE cover than RELPE?", ("How many more countries does RIATE cover", "RELPE")),
    # a span: the two things it runs between
    ("How many years passed between MIT starting the one-laptop-per-kid project and Sonora getting its laptops?",
     ("MIT starting the one-laptop-per-kid project", "Sonora getting its laptops")),
    ("cuantos años pasaron desde que el MIT lanzo One Laptop per Child hasta que sonora recibio sus laptops XO?",
     ("el MIT lanzo One Laptop per Child", "sonora recibio sus laptops XO")),
    # a side that names nothing, no comparison, no span
    ("Which is punished more harshly in Mexico: making sexual material with kids, or just doing it?", None),
    ("How many Facebook users and how many mobile subscribers does Mexico have?", None),
    ("How many years in prison for rape under Article 265?", None),
    # the pair named before the question; a span "after A did B"
    ("Of the two Latin American education networks RELPE and RIATE, which one covers more countries?",
     ("Latin American education networks RELPE", "RIATE")),
    ("¿Entre la RELPE y la RIATE, cuál junta más países?", ("la RELPE", "la RIATE")),
    # the pair set off by commas inside the question
    ("Which of the two Latin American education networks, RELPE or RIATE, covers more countries?",
     ("RELPE", "RIATE")),
    ("How many years after MIT started One Laptop per Child did Sonora get its XO laptops?",
     ("MIT started One Laptop per Child", "Sonora get its XO laptops")),
    ("Who founded RIATE and which countries joined?", None),
    # a side named only in a paraphrased word
    ("Which gets more prison time in Mexico: making child porn or only having it?",
     ("making child porn", "only having it")),
    # two things asked about at once, each with what is asked of it
    ("Which tech companies backed both the mobile cinema project and the 2014 school laptop pilot?",
     ("Which tech companies backed the mobile cinema project",
      "Which tech companies backed the 2014 school laptop pilot")),
    ("¿Qué empresas apoyaron tanto a los Cinetransformers como al piloto?",
     ("Qué empresas apoyaron a los Cinetransformers", "Qué empresas apoyaron al piloto")),
])
def test_the_sides_of_a_comparison_or_a_span(question, sides):
    assert question_sides(question) == sides


def test_one_passage_answers_both_sides_with_two_of_its_sentences():
    a202 = chunk("article", "Article 202", ("Article 202, Penal Code.", "Making it: seven to twelve years.",
                                            "Having it: one to five years."))
    making, having = (Candidate(0, a202, i, 0.0, frozenset(), row=i) for i in (1, 2))
    # each side picks its own sentence
    assert one_passage_sides([(0.5, making), (0.2, having)], [(0.25, having), (0.1, making)]) == (0.75, making, having)
    # both pick one: the side that loses less takes its next sentence
    assert one_passage_sides([(0.5, making), (0.25, having)], [(0.5, making), (0.125, having)]) == (
        0.75, having, making)
    assert one_passage_sides([(0.9, making)], [(0.8, making)]) is None


@pytest.mark.parametrize("question,links", [
    ("que tiene que ver lo que empezo el MIT en 2005 con las laptops de Sonora", True),
    ("Which phone company is both part of the Internet Security Alliance and a co-host of the 2007 summit?", True),
    ("One of the groups in the alliance also convened a roundtable in 2014. Which one?", True),
    ("How many XO laptops did Sonora hand out in 2014?", False),
    ("Who was Mexico's Secretary of Education in 2014?", False),
])
def test_a_question_that_may_be_about_two_entries(question, links):
    assert links_two(question) is links


@pytest.mark.parametrize("question,quoted,lang,note", [
    ("How many years passed between MIT's project and Sonora's laptops?",
     ["2005 - The Massachusetts Institute of Technology Media Lab instigated…", "2012 - The State of Sonora received "
      "5,000 XO laptops in 2012"], "en", "That is 7 years (2005 to 2012), counted from the years quoted."),
    ("¿cuántos años hay entre la RELPE y el foro?", ["Formed in 2004 by…", "It was founded in 2008 by Telefónica"], "es",
     "Son 4 años (de 2004 a 2008), contados a partir de los años citados."),
    # one year, three years, or no span asked: nothing to count
    ("How many years passed between the two?", ["In 2012 and again in 2012."], "en", ""),
    ("How many years passed between them?", ["2004, 2008 and 2012"], "en", ""),
    ("When were RELPE and the Forum founded?", ["Formed in 2004", "founded in 2008"], "en", ""),
])
def test_a_span_is_counted_between_the_two_years_quoted(question, quoted, lang, note):
    assert span_note(question, quoted, lang) == note


def test_figures_in_the_profiles_words():
    assert figures("Según el Artículo 203, prisión de siete a doce años y multa de 2,800 días.") == {
        "203", "seven", "twelve", "2800"}
    assert figures("The offense carries a prison term of seven to twelve years, in addition to a fine of 2,800 "
                   "days’ minimum salary.") == {"seven", "twelve", "2800"}
    assert figures("Defines the offense of procuring.") == frozenset()
    # as the profile writes them: "between eight and 30 years"
    assert figures("Según el Artículo 265, de 8 a 20 años de prisión.") == {"265", "eight", "20"}
    assert figures("de ocho a treinta años") == {"eight", "30"}


@pytest.mark.parametrize("question,condition", [
    ("and if two or more people did it together?", True),
    ("y si eran varios los agresores?", True),
    ("What if the offender is a relative?", True),
    ("And how many years in prison?", False),
    ("Is it a crime if the images are simulated?", False),
])
def test_a_followup_adding_a_condition(question, condition):
    assert adds_condition(question) is condition


def test_a_raised_penalty_answers_a_condition_in_full():
    raised = chunk(sentences=("Increased penalties also apply if two or more offenders are involved.",))
    types = sentence_types(raised, 0)
    assert type_match("penalty", types) == 0.5
    assert type_match("penalty", types, raised=1.0) == 1.0


@pytest.mark.parametrize("question,wanted", [
    ("which is older, RELPE or the interactive generations forum?", "date"),
    ("cual es mas antigua, la RELPE o el foro?", "date"),
    ("Was he older than 15?", None),  # an age, not which came first
    ("que pasa si un adulto engaña a una muchacha de 16 para tener relaciones?", "penalty"),
    ("What happens if someone shows porn to a kid?", "penalty"),
    ("If I find illegal stuff online, which group is the official place to report it?", "report"),
    ("Who put out the 2012 report on child safety online?", "author"),
])
def test_more_ways_to_ask_for_a_kind_of_answer(question, wanted):
    assert expected_type(question) == wanted
