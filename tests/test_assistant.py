"""The real assistant: real models, real FAISS index, real answers."""

import pytest

from qa.errors import InputError

pytestmark = pytest.mark.slow

CONSENT = "The age of consent in Mexico is fifteen years of age"


def cited_texts(assistant, answer):
    return [assistant.index.docs[c.doc].text[c.start:c.end] for c in answer.citations]


def test_age_of_consent(real_assistant):
    a = real_assistant.ask("What is the age of consent in Mexico?")
    assert a.answered and "fifteen" in a.text
    assert any(CONSENT in t for t in cited_texts(real_assistant, a))
    assert len(a.text) < 250


def test_mobile_subscribers(real_assistant):
    a = real_assistant.ask("How many mobile subscribers does Mexico have?")
    assert a.answered and "104,100,000" in a.text
    assert cited_texts(real_assistant, a) == ["Mobile Subscribers\n\n104,100,000"]


def test_another_country_is_declined_with_closest_passages(real_assistant):
    a = real_assistant.ask("What is the population of Guatemala?")
    assert not a.answered and a.kind == "declined"
    assert a.text.startswith("The profile does not say")
    assert a.citations == () and len(a.hits) == 10
    assert a.hits[0].chunk.title == "Population"


@pytest.mark.parametrize("question", [
    "How much did the XO laptops for Sonora cost?",  # a cost: the profile gives none
    "What is the phone number of the Internet Security Alliance?",  # a phone number it does not give
    "How many schools in Sonora got laptops?",  # its figure counts laptops, not schools
    "¿Qué pena tiene el artículo 263 del código penal?",  # an article it does not list
    "Who is the director of Fundación Proacceso?",  # its entry names no director
    "What share of Mexican teenagers under 17 use the internet?",  # a subgroup its figure does not count
    "¿Cuántos usuarios de internet hay en cada estado?",  # a breakdown it does not give
    "What is the age of consent in Peru?",  # a country the profile names, but not for this
    "¿Cuál es la edad de consentimiento en Colombia?",
    "What did the ASI launch in 2012?",  # a year its ASI passages do not have
    "cual es la edad de consentimiento en argentina",  # a country typed in lower case
    "Where is the Internet Security Alliance headquartered?",  # its entry names no place
    "¿Qué dice la Ley Olimpia sobre fotos íntimas?",  # a law the profile does not list
    "que castigo pone la ley olimpia por difundir fotos intimas",  # named in lower case
    "How many RIA centers are open today?",  # it gives the first ten, in 2009
    "¿Hay un número de emergencia para denunciar el grooming?",  # a number it does not give
    "What is the penalty for cyberbullying under Mexican law?",  # no article it lists names the offense
    "que pena da el codigo penal por ciberbullying entre alumnos",
    "¿Cuál es la pena por sexting entre menores?",
    "What is the literacy rate in Mexico?",  # a rate it does not give
    "On what date does Mexico celebrate Safer Internet Day?",  # its entry gives no date
    "para que sirve el programa México Conectado",  # a program it does not name
    "a que correo le escribo a UNAM-CERT para reportar un incidente",  # an address it does not give
    "Who was Education Secretary when Clic Seguro was launched?",  # it names no secretary
    "quien era el secretario de educacion publica en 2014",
    # a year of another entry does not make Sonora's 2012 entry or the 2007 event about 2014
    "How many XO laptops did Sonora get in 2014?",
    "Who was Mexico's Secretary of Education in 2014?",
    "How many pesos is one day of minimum salary?",  # an amount of money it does not give
    "cuantos centros RIA tiene ahorita la Fundacion Proacceso",  # it gives the first ten, in 2009
])
def test_near_misses_are_declined(real_assistant, question):
    a = real_assistant.ask(question)
    assert not a.answered, a.text


def test_a_role_the_profile_names_is_answered(real_assistant):
    a = real_assistant.ask("Who founded the Interactive Generations Forum?")
    assert a.answered and "Telefónica" in a.text


def test_a_spanish_acronym_is_not_an_unknown_name(real_assistant):
    a = real_assistant.ask("¿En qué foros de la OCDE se presentó la RIA?")  # the profile says OECD
    assert a.answered and "OECD" in a.text


@pytest.mark.parametrize("question,fact", [
    ("What share of the population is 14 or younger?", "27.6%"),
    ("Are there more mobile subscriptions than people in Mexico?", "104,100,000 [1] Population: 121,736,809"),
    ("¿Cuántas líneas de celular hay en México?", "104,100,000"),
    ("How many cell phone subscriptions are there in Mexico?", "104,100,000"),
    ("¿Cuántas personas viven en México según el perfil?", "121,736,809"),
    ("que porcentaje de mexicanos usa internet", "49.3%"),
    ("What percentage of people in Mexico use the internet?", "49.3%"),
    ("cuantos usuarios de celular hay en mexico", "104,100,000"),
])
def test_a_statistic_the_profile_gives_is_answered(real_assistant, question, fact):
    a = real_assistant.ask(question)
    assert a.answered and fact in a.text, a.text


@pytest.mark.parametrize("question", [
    "How many years in prison for rape under Article 266?",
    "¿Cuántos años de cárcel da el artículo 266 por violación?",
])
def test_a_penalty_question_gets_the_term_not_the_increase(real_assistant, question):
    a = real_assistant.ask(question)
    assert a.answered and "between eight and 30 years" in a.text, a.text


@pytest.mark.parametrize("question", ["Which companies supported the Cinetransformers?",
                                      "¿Qué empresas patrocinaron los Cinetransformers?"])
def test_a_which_companies_question_quotes_the_list(real_assistant, question):
    a = real_assistant.ask(question)
    assert a.answered and "Microsoft, Intel, IUSA, Cisco, Elara" in a.text, a.text


@pytest.mark.parametrize("question", ["Where do I report illegal content?",
                                      "where do i report illegal content i found online?",
                                      "If I come across something illegal online involving kids, where in Mexico can I "
                                      "report it?",
                                      # the question's words are the content's: the search ranks the node low
                                      "If I find sexual images of kids online, where in Mexico can I report it?"])
def test_the_reporting_node_answers_where_to_report(real_assistant, question):
    # BM25 alone ranks the Internet Security Alliance entry first; the dense signals do not
    a = real_assistant.ask(question)
    assert a.answered and "reporting node for Mexico" in a.text, a.text


def test_an_acronym_of_a_name_the_profile_spells_out_is_known(real_assistant):
    a = real_assistant.ask("When did the MIT Media Lab start One Laptop per Child?")  # "Massachusetts Institute of Technology"
    assert a.answered and "2005" in a.text, a.text


def test_kids_are_counted_as_students(real_assistant):
    a = real_assistant.ask("How many kids benefited from the 2014 laptop pilot?")
    assert a.answered and "4,500 students" in a.text, a.text


def test_a_where_question_quotes_the_sentence_that_names_the_place(real_assistant):
    a = real_assistant.ask("Where did the 2001 North American consultation take place?")
    assert a.answered and "University of Pennsylvania" in a.text, a.text


@pytest.mark.parametrize("question,fact", [
    ("¿Qué países de América del Norte se reunieron en 2001?", "Canada"),  # the profile says North America
    ("¿Cuántos adultos participan en el Índice de Seguridad Informática de Microsoft?", "10,000"),  # a translated title
    ("¿Qué propuso México ante la Asamblea General de la ONU?", "bullying"),
])
def test_spanish_names_of_places_and_bodies_are_not_unknown(real_assistant, question, fact):
    a = real_assistant.ask(question)
    assert a.answered and fact in a.text, a.text


@pytest.mark.parametrize("question,article,fact", [
    ("What can happen to someone who shows or hands out porn to a kid?", "Article 200", "six months"),
    ("What's the punishment for giving porn to kids?", "Article 200", "six months"),
    ("cuantos años de carcel le dan a alguien que prostituye a un menor de edad", "Article 204", "eight and fifteen"),
    ("que le pasa a alguien que obliga o convence a un menor de tener actos sexuales", "Article 201", "seven to twelve"),
    # BM25 puts the article far ahead; the dense signals prefer Article 202 or 201
    ("Is buying or storing child pornography a crime in Mexico?", "Article 202bis", "criminal offense to store, buy"),
    ("What is the punishment for pimping out a minor?", "Article 204", "eight and fifteen"),
    ("What happens to someone who shows porn to a kid in Mexico?", "Article 200", "six months"),
    ("What jail time could someone get just for having sexual pictures of kids saved on their phone?",
     "Article 202", "one to five years"),
    ("If someone makes sexual videos of children, how long can they be locked up?", "Article 202",
     "seven and twelve years"),
    ("que le pasa a alguien que le pasa pornografia a un niño", "Article 200", "six months"),
    # organizing trips is Article 203's "promote, facilitate… or manage"
    ("What's the punishment for someone who organizes trips so people can have sex with children?", "Article 203,",
     "seven to twelve years"),
    ("What's the punishment for arranging trips so people can have sex with children?", "Article 203,",
     "seven to twelve years"),
    # a boss is "one in a position of authority over the victim", advances are harassment
    ("My boss keeps making sexual advances at me at work. What is the penalty under the penal code?",
     "Article 259bis", "forty days"),
    ("Is it a crime if my supervisor keeps making sexual advances?", "Article 259bis", "sexual harassment"),
    # "under 15" is the profile's "under the age of fifteen"
    ("How long can someone go to prison for sexually touching a kid under 15 without having sex with them?",
     "Article 261", "six to thirteen years"),
])
def test_an_offense_in_plain_words_gets_its_article(real_assistant, question, article, fact):
    a = real_assistant.ask(question)
    assert a.answered and a.text.split("Según el perfil: ")[-1].startswith(article) and fact in a.text, a.text


@pytest.mark.parametrize("question,fact", [
    # the year the question names picks the entry: the 2005 One Laptop per Child entry matches
    # "laptop" and "kids" as well
    ("In the 2014 government laptop pilot, which kids got the computers?", "fifth and sixth grade"),
    # "is there a study…? who did it?" asks for its authors
    ("hay algun estudio del Banco Mundial sobre las leyes contra el cibercrimen hacia niños? quien lo escribio",
     "Simone dos Santos Lemos Fernandes"),
    ("Is there a study on the digital gap among poor people in Mexico and a couple of neighboring Latin American "
     "countries? Who did it?", "Luis H. Gutierrez"),
    # the lead sentence names the project; the next one says who trains the teachers
    ("In the Telefónica Foundation's classroom project, who is in charge of training the teachers?",
     "Instructional Coordinators train teachers"),
    ("What exactly is a Cinetransformer?", "mobile cinema"),  # the profile has the plural
    ("what are cinetransfomers", "mobile cinema"),  # a typo
    ("Roughly what share of people in Mexico actually go online?", "49.3%"),
    ("Are there more cell phone subscriptions than Facebook accounts in Mexico?", "104,100,000"),
    ("que porcentage de la poblacion son niños de 0 a 14 años", "27.6%"),
    # the first sentence sets the scene; the statistic answers the question after it
    ("Facebook built an anti-bullying center for Mexico. How many people in Mexico are on Facebook anyway?",
     "60,000,000"),
    ("¿Dónde y cuándo fue el primer foro latinoamericano y del Caribe de alfabetización mediática?", "Mexico City"),
    ("Which phone company worked with FOSI both on the 2007 online safety summit and in the Internet Security "
     "Alliance?", "Telmex"),  # a company, not a phone number
    # "reunión" is a meeting, not Réunion
    ("donde fue la reunion del 2001 entre mexico, estados unidos y canada sobre explotacion sexual de niños",
     "University of Pennsylvania"),
    ("¿De qué trata el artículo 203?", "sex tourism"),  # "trata" is "is about", not trafficking
    ("About how many people live in Mexico?", "121,736,809"),  # "about" asks for an estimate, not a topic
    ("que pasa si un adulto engaña a una muchacha de 16 para tener relaciones?", "three months and four years"),
    ("que le pasa a alguien que le enseña pornografia a un niño", "six months"),  # Article 200's "pornographic"
    # "primarias" are the profile's "elementary school"
    ("el estudio de Jaime Echavarri sobre politicas TIC en cuantas primarias se baso", "6 elementary school"),
    ("si violan a un niño menor de 15 y usan violencia la pena sube?", "increased by up to half"),  # "sube"
])
def test_everyday_wording_of_what_the_profile_gives(real_assistant, question, fact):
    a = real_assistant.ask(question)
    assert a.answered and fact in a.text, a.text


@pytest.mark.parametrize("earlier,reply,question,fact", [
    # a follow-up that only changes the subject asks the same thing
    ("What's the penalty for having child pornography in Mexico?",
     "One to five years in prison and a fine of 100 to 500 days' minimum salary.",
     "And for the people who actually make it?", "seven and twelve years"),
    # it keeps the entry the earlier question named
    ("que dice el articulo 204 del codigo penal", "Define el delito de lenocinio de menores de 18 años.",
     "¿y cuanto tiempo de carcel le dan?", "eight and fifteen years"),
    # a role asked for picks the sentence that names it
    ("que paso en 2013 con la estrategia digital?",
     "2013 - the President of Mexico, Enrique Peña Nieto, announced the launch of the country’s National Digital "
     "Strategy.", "y quien era la coordinadora de esa estrategia?", "Alejandra Lagunes"),
    # "when are you an adult?" asks for an age, not a date
    ("What's the age of consent in Mexico?", "The age of consent in Mexico is fifteen.",
     "and when are you legally an adult?", "age of majority is eighteen"),
    # the profile gives fines in days of minimum salary, never in pesos
    ("What happens to someone who shows porn to a child?",
     "Up to six months in prison and a fine of 300 to 500 days' minimum salary.",
     "How much is that fine in pesos?", None),
    # the same thing asked of another subject: not the term already given (Article 203's), but Article 203bis's
    ("how much prison for someone who organizes trips so people can abuse kids?",
     "Article 203, Penal Code. … The offense carries a prison term of seven to twelve years, in addition to a fine "
     "of 2,800 days’ minimum salary. [1]", "what about the guy who actually goes on the trip and does it?",
     "twelve to sixteen years"),
    ("cuantos usuarios de facebook hay en mexico?", "Según el perfil: Facebook Users: 60,000,000 [1]",
     "y de celulares?", "104,100,000"),
    # "it" is the subject asked about before: another entry's founding date does not answer it
    ("What is RedNATIC?", "The Network for the Rights of Children and Adolescents to the Safe and Responsible Use of "
     "New ICTs - RedNATIC", "When was it founded?", None),
    # the sentence of the earlier entry that gives what is asked for (a place), not its name line
    ("que fue la consulta regional de norteamerica sobre explotacion sexual infantil?",
     "Una reunión de representantes de Estados Unidos, Canadá y México en diciembre de 2001.", "y donde se hizo",
     "University of Pennsylvania"),
    # a public servant loses their job (Article 259bis), said in everyday words
    ("What does the law say about a boss who keeps sexually harassing someone under them?",
     "Article 259bis punishes repeated sexual harassment by someone in authority with a fine of forty days' minimum "
     "salary.", "And if that person works for the government?", "lose their job"),
    # what the previous answer named: "it" is Clic Seguro, which the question before did not name
    ("Is there an official site about internet safety for children?",
     "Clic Seguro (Click Security): launched by the Secretariat of Public Education provides online safety "
     "information to all ages. [1]", "what's on it for the kids?", "games, quizzes"),
    # the follow-up's own words pick the sentence, not the earlier question's, which the lead matches
    ("What did the Internet Security Alliance start in 2008 about cyberbullying?",
     "2008 - In an effort to address the growing issue of cyberbullying, the Internet Security Alliance (ASI) "
     "initiated the Centro de Evaluación de las TICs - CENETIC (ICT Evaluation Center) program … [1]",
     "where do they get the real-life examples they teach with?", "incident report line"),
    # a condition added to the offense asked about: the increased penalties
    ("What's the jail sentence for rape in Mexico?", "Under Article 265 of the Penal Code, rape is punished with "
     "between 8 and 20 years in prison.", "and if two or more people did it together?", "Increased penalties"),
    ("que castigo hay por violar a alguien en mexico", "Según el Artículo 265 del Código Penal, de 8 a 20 años de "
     "prisión.", "y si eran varios los agresores?", "Increased penalties"),
    # "the program" is the one the conversation is about
    ("How many XO laptops did Sonora get?", "The State of Sonora received 5,000 XO laptops in 2012.",
     "What was the program called?", "Un Nuevo Futuro"),
    # what a public servant convicted of rape loses, not the increased penalties beside it
    ("cuanto le dan a alguien que viola a un niño menor de 15",
     "Según el artículo 266 del Código Penal, entre 8 y 30 años de prisión.", "y si es un servidor publico?",
     "lose their position"),
    ("que pasa si alguien con autoridad, como un jefe, acosa sexualmente a otra persona una y otra vez",
     "Según el Artículo 259bis, se castiga con una multa de forty days’ minimum salary.",
     "y si es servidor publico?", "lose their job"),
    ("cuando llegaron las laptops a Sonora", "En 2012 el estado de Sonora recibió 5,000 laptops XO.",
     "y esas compus son de que proyecto internacional", "One Laptop per Child"),
    ("¿Qué es CENETIC?", "Según el perfil: 2008 - In an effort to address the growing issue of cyberbullying, the "
     "Internet Security Alliance (ASI) initiated the Centro de Evaluación de las TICs - CENETIC (ICT Evaluation "
     "Center) program … [1]", "¿y de dónde sacan los ejemplos que usan en las clases?", "incident report line"),
])
def test_a_followup_reads_the_earlier_turn(real_assistant, earlier, reply, question, fact):
    a = real_assistant.ask(question, [{"role": "user", "content": earlier}, {"role": "assistant", "content": reply}])
    if fact is None:
        assert not a.answered, a.text
    else:
        assert a.answered and fact in a.text, a.text


def test_a_question_about_two_named_entries_quotes_both(real_assistant):
    a = real_assistant.ask("que tiene que ver lo que empezo el MIT en 2005 con las laptops de Sonora")
    assert a.answered, a.text
    cited = cited_texts(real_assistant, a)
    assert any("2005 - The Massachusetts Institute of Technology" in t for t in cited), cited
    assert any("The State of Sonora received 5,000 XO laptops" in t for t in cited), cited


def test_a_comparison_quotes_both_sides(real_assistant):
    a = real_assistant.ask("cual red junta mas paises, la RELPE o la RIATE?")
    assert a.answered and "sixteen Latin American countries" in a.text and "21 countries" in a.text, a.text


def test_a_comparison_within_one_article_quotes_both_of_its_terms(real_assistant):
    a = real_assistant.ask("Which gets more prison time in Mexico: making child porn or just having it?")
    assert a.answered and "seven and twelve years" in a.text and "one to five years" in a.text, a.text
    assert len(a.citations) == 1 and a.citations[0].text.startswith("Article 202"), a.text


def test_a_sexual_act_short_of_rape_is_article_261(real_assistant):
    a = real_assistant.ask("What's the punishment for someone who touches a child under 15 in a sexual way, without "
                           "actually having sex with them?")
    assert a.answered and a.text.startswith("Article 261") and "six to thirteen years" in a.text, a.text


def test_having_pictures_is_possession(real_assistant):
    a = real_assistant.ask("How much jail time can someone get just for having sexual pictures of kids on their "
                           "computer?")
    assert a.answered and "Possession of child pornography incurs a sentence of one to five years" in a.text, a.text


def test_followup_uses_the_earlier_turn(real_assistant):
    first = real_assistant.ask("What was the 2014 digital inclusion pilot?")
    assert first.answered and "Programa de Inclusión Digital" in first.text
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    a = real_assistant.ask("And how many students benefited?", history)
    assert a.answered and "4,500" in a.text
    assert any("Nearly 4,500 students" in t for t in cited_texts(real_assistant, a))


@pytest.mark.parametrize("question,fact,cited", [
    ("¿A qué edad se puede dar consentimiento en México?", "fifteen", CONSENT),
    ("¿Dónde denuncio contenido ilegal en internet?", "reporting node", "allowing users to report selected illegal content online"),
    ("¿Cuántas laptops recibió Sonora?", "5,000", "The State of Sonora received 5,000 XO laptops"),
    ("¿Cuántos usuarios de Facebook hay en México?", "60,000,000", "60,000,000"),
    ("¿Qué es Clic Seguro?", "online safety information", "provides online safety information to all ages"),
    ("¿Cuántos países miembros tiene INTERPOL?", "190", "with 190 member countries"),
])
def test_spanish_questions_get_the_english_passage_with_spanish_framing(real_assistant, question, fact, cited):
    a = real_assistant.ask(question)
    assert a.lang == "es" and a.answered, a.text
    assert a.text.startswith("Según el perfil: ") and fact in a.text
    assert any(cited in t for t in cited_texts(real_assistant, a))


def test_spanish_decline_is_in_spanish(real_assistant):
    a = real_assistant.ask("¿Cuál es la población de Guatemala?")
    assert not a.answered and a.text.startswith("El perfil no dice")


def test_citations_point_at_the_quoted_text(real_assistant):
    from qa.text import clean
    a = real_assistant.ask("What is the penalty for possession of child pornography?")
    assert a.answered and "one to five years" in a.text
    for c, t in zip(a.citations, cited_texts(real_assistant, a)):
        assert clean(t).startswith(c.text.split(" … ")[0].split(": ")[0])


@pytest.mark.parametrize("bad,message", [
    ("", "Please type a question."),
    ("   \n\t ", "Please type a question."),
    ("x" * 100_000, "The question is 100,000 characters long; the limit is 2,000."),
    (b"\xff\xfe", "not valid UTF-8"),
])
def test_bad_questions_get_a_clear_message(real_assistant, bad, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        real_assistant.ask(bad)


def test_greetings_and_markup_are_handled(real_assistant):
    assert real_assistant.ask("hola").kind == "greeting"
    assert real_assistant.ask("thanks!").text.startswith("Ask me a question about the profile")
    a = real_assistant.ask("<img src=x onerror=alert(1)> age of consent\x00?")
    assert a.question == "<img src=x onerror=alert(1)> age of consent ?"
    assert a.answered and "fifteen" in a.text


def test_modes_each_answer(real_assistant):
    for mode in ("bm25", "dense", "hybrid"):
        a = real_assistant.ask("How many mobile subscribers does Mexico have?", mode=mode)
        assert a.mode == mode and "104,100,000" in a.text


@pytest.mark.parametrize("question,first,second", [
    ("Which gets more prison time: showing porn to a child, or pushing a child into sexual acts?",
     ("Article 200", "up to six months"), ("Article 201", "seven to twelve years")),
    ("Which gets a longer sentence: getting a minor into sex acts, or pimping out a minor?",
     ("Article 201", "seven to twelve years"), ("Article 204", "eight and fifteen years")),
    ("which is older, RELPE or the interactive generations forum?",
     ("RELPE", "Formed in 2004"), ("", "founded in 2008")),
    # the pair named first; each figure quoted with the name of its network
    ("Of the two Latin American education networks RELPE and RIATE, which one covers more countries?",
     ("RELPE", "sixteen Latin American countries"), ("RIATE", "21 countries")),
    ("Which of the two Latin American education networks, RELPE or RIATE, covers more countries?",
     ("RELPE", "sixteen Latin American countries"), ("RIATE", "21 countries")),
    # both sides find Article 202 best; giving porn to a child loses less by taking Article 200
    ("Which gets a longer prison sentence: giving porn to a child, or making porn that involves children?",
     ("Article 200", "six months"), ("Article 202", "")),
])
def test_each_side_of_a_comparison_is_answered(real_assistant, question, first, second):
    a = real_assistant.ask(question)
    assert a.answered and len(a.citations) == 2, a.text
    for citation, (entry, fact) in zip(a.citations, (first, second)):
        assert entry in citation.section + citation.text and fact in citation.text, a.text


@pytest.mark.parametrize("question,years", [
    ("How many years passed between MIT starting the one-laptop-per-kid project and Sonora getting its laptops?",
     "That is 7 years (2005 to 2012), counted from the years quoted."),
    ("cuantos años pasaron desde que el MIT lanzo One Laptop per Child hasta que sonora recibio sus laptops XO?",
     "Son 7 años (de 2005 a 2012), contados a partir de los años citados."),
    ("How many years after MIT started One Laptop per Child did Sonora get its XO laptops?",
     "That is 7 years (2005 to 2012), counted from the years quoted."),
])
def test_a_span_quotes_both_dates_and_counts_the_years(real_assistant, question, years):
    a = real_assistant.ask(question)
    cited = cited_texts(real_assistant, a)
    assert any(t.startswith("2005 - The Massachusetts Institute of Technology") for t in cited), cited
    assert any("The State of Sonora received 5,000 XO laptops in 2012" in t for t in cited), cited
    assert a.text.endswith(years), a.text


def test_two_things_asked_about_at_once_are_each_answered(real_assistant):
    a = real_assistant.ask("Which tech companies backed both the mobile cinema project and the 2014 school laptop pilot?")
    assert a.answered and len(a.citations) == 2, a.text
    assert "Microsoft, Intel, IUSA, Cisco, Elara" in a.citations[0].text, a.text


@pytest.mark.parametrize("question", [
    "What were those traveling movie-theater trucks the government used to teach computer skills in remote towns called?",
    "what's the name of the movie-theater-on-wheels project that teaches computer skills in far away towns?",
])
def test_a_project_described_in_everyday_words_is_named(real_assistant, question):
    # the best sentence ("It consists of a mobile cinema service…") is quoted with the one naming it
    a = real_assistant.ask(question)
    assert a.answered and "Cinetransformers" in a.text, a.text


@pytest.mark.parametrize("question,name", [
    ("Which university project lets teachers earn a diploma in using computers for teaching?", "EducaTIC"),
    ("Is there a Latin American group of organizations focused on kids' right to use technology safely?", "RedNATIC"),
    # not the entry the question names (the Secretariat of Public Education's)
    ("Does the education ministry have a website that teaches kids how to stay safe online? What is it called?",
     "Clic Seguro"),
])
def test_an_entry_asked_for_by_what_it_does_is_named(real_assistant, question, name):
    a = real_assistant.ask(question)
    assert a.answered and name in a.text, a.text


def test_what_happens_to_an_offender_is_the_penalty(real_assistant):
    a = real_assistant.ask("What happens to a boss who keeps sexually harassing someone who works under them?")
    assert a.answered and "forty days" in a.text, a.text


def test_a_long_sentence_is_quoted_up_to_what_was_asked(real_assistant):
    a = real_assistant.ask("How many laptops did the State of Sonora receive?")
    assert a.answered and "5,000" in a.text, a.text
    assert a.text.startswith("2012 - The State of Sonora received 5,000 XO laptops in 2012 under their Un Nuevo Futuro"
                             " (A New Future) program … "), a.text
    assert "which aims to provide tools" not in a.text
    # the quoted span ends where the quote does, at the comma before "which"
    text = real_assistant.index.docs["mexico.txt"].text
    start, end = a.marks[a.citations[0].chunk_id][0]
    assert text[start:end].endswith("Un Nuevo Futuro (A New Future) program") and text[end:end + 7] == ", which"


def test_a_clause_the_question_asks_about_is_kept(real_assistant):
    a = real_assistant.ask("What does Sonora's Un Nuevo Futuro program aim to give children?")
    assert a.answered and "access to knowledge and skills" in a.text, a.text


@pytest.mark.parametrize("question,fact,left_out", [
    # the term answers: the definition beside it only repeats the question
    ("What's the punishment for someone who organizes trips so people can have sex with children?",
     "seven to twelve years", "Defines the offense of sex tourism"),
    # the authors asked for answer: the summary after them does not
    ("Who wrote the 2015 paper about improving internet access in the developing world?", "Darrel M. West",
     "This paper presents"),
])
def test_the_sentence_giving_what_was_asked_is_quoted_without_its_neighbours(real_assistant, question, fact, left_out):
    a = real_assistant.ask(question)
    assert a.answered and fact in a.text and left_out not in a.text, a.text


@pytest.mark.parametrize("question,fact", [
    ("Who took part in the ASI congress in Mexico City?", "law enforcement"),  # a who question: whole
    ("Did the RIA win any recognition?", "top 50 social projects"),  # a yes/no question: whole
    # the verb comes after ", through…" and ", with support of UNESCO": no cut there
    ("¿Qué evento organizaron TV UNAM y la Universidad Autónoma de Barcelona?", "Media and Information Literacy"),
])
def test_sentences_that_cannot_be_cut_are_quoted_whole(real_assistant, question, fact):
    a = real_assistant.ask(question)
    assert a.answered and fact in a.text, a.text
