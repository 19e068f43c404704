
import pytest

from qa.dialog import continues_question, earlier_questions, is_followup, resolve
from qa.evalset import load_set
from qa.lang import detect_language

from .conftest import ROOT


@pytest.mark.parametrize("question,lang", [
    ("¿A qué edad se puede dar consentimiento en México?", "es"),
    ("cuantas laptops recibio sonora", "es"),
    ("¿Dónde denuncio contenido ilegal en internet?", "es"),
    ("Where do I report illegal content?", "en"),
    ("and how many students?", "en"),
    ("What is INTERPOL?", "en"),
    ("hola", "es"),
])
def test_detect_language(question, lang):
    assert detect_language(question) == lang


def test_language_rule_on_the_shipped_sets():
    items = [i for p in ("dev", "test") for i in load_set(ROOT / "eval" / f"{p}.jsonl")]
    wrong = [i.question for i in items if detect_language(i.question) != i.lang]
    assert len(wrong) / len(items) <= 0.02, wrong


HISTORY = [{"role": "user", "content": "What was the 2014 digital inclusion pilot?"},
           {"role": "assistant", "content": "In March, the Federal Government of Mexico launched the pilot… [1]"}]


def test_followup_carries_the_earlier_question():
    assert resolve("And how many students benefited?", HISTORY) == \
        "And how many students benefited? What was the 2014 digital inclusion pilot?"
    assert resolve("¿Y cuántos alumnos?", HISTORY).endswith("What was the 2014 digital inclusion pilot?")


def test_standalone_question_is_not_a_followup():
    assert not is_followup("What is the age of consent in Mexico?", HISTORY)
    assert resolve("What is the age of consent in Mexico?", HISTORY) == "What is the age of consent in Mexico?"
    assert not is_followup("And how many?", [])
    assert not is_followup("How many students did the 2014 pilot reach?", HISTORY)
    assert not is_followup("What is Article 203?", HISTORY)


@pytest.mark.parametrize("question", ["What was the program called?", "under what program tho?",
                                      "¿cómo se llamaba el proyecto?"])
def test_a_question_naming_nothing_particular_is_a_followup(question):
    assert is_followup(question, HISTORY)


def test_chained_followups_reach_back_to_the_topic():
    history = HISTORY + [{"role": "user", "content": "Which states?"}, {"role": "assistant", "content": "…"}]
    assert earlier_questions("And how many students?", history) == ["Which states?", HISTORY[0]["content"]]


@pytest.mark.parametrize("question,same", [
    ("And for the people who actually make it?", True),
    ("¿Y al que viaja y abusa de los niños?", True),
    ("What about Article 203?", True),
    ("And how many students?", False),  # asks its own thing
    ("And who funded it?", False),
    ("¿Y cuántos alumnos?", False),
    ("Who funded it?", False),  # no lead
    ("y de donde sacan los ejemplos que usan en las clases", False),  # a question word after a preposition
    ("And in which year?", False),
    ("y para el que viaja y abusa", True),
])
def test_a_followup_that_only_changes_the_subject(question, same):
    assert continues_question(question) is same


def test_an_earlier_answer_is_read_without_its_framing():
    from qa.assistant import _content
    assert _content("Según el perfil: Article 265, Penal Code. … The punishment is between eight and 20 years’ "
                    "imprisonment. [1] Population: 121,736,809 [2]") == (
        "Article 265, Penal Code. … The punishment is between eight and 20 years’ imprisonment. "
        "Population: 121,736,809")
    assert _content("The profile does not say. The closest passages it has are listed below.") == ""
