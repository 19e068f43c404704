"""Bad input: what a user sees through the Python API, the `qa` command and the web API.
The page itself is driven in a real browser in test_browser.py."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from qa.app import escape_md
from qa.assistant import clean_question
from qa.cli import cli
from qa.errors import InputError

from .conftest import ROOT

EMPTY = "Please type a question."
NOT_TEXT = "The question must be text."
NOT_UTF8 = "The question is not valid UTF-8 text; type it again as plain text."
TOO_LONG = "The question is 100,000 characters long; the limit is 2,000. Ask about one thing at a time."
GREETING_EN = "Ask me a question about the profile: its statistics, programs, organizations, research or laws."
GREETING_ES = ("Hágame una pregunta sobre el perfil: sus estadísticas, programas, organizaciones, "
               "investigaciones o leyes.")
DECLINED_EN = "The profile does not say. The closest passages it has are listed below."
CONSENT = "The age of consent in Mexico is fifteen years of age"
INJECTIONS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "[click here](http://evil.example/x)",
              "![x](http://evil.example/a.png)"]

REFUSED = [
    ("", EMPTY),
    ("   \n\t  ", EMPTY),
    ("\x00\x01\x02\x7f", EMPTY),
    ("\u200b\ufeff", EMPTY),  # zero-width space and byte-order mark only
    ("x" * 100_000, TOO_LONG),
    ("\ud800 age of consent", NOT_UTF8),  # a lone surrogate, as JSON can carry it
    (b"\xff\xfe age of consent", NOT_UTF8),
    (None, EMPTY),
    (12345, NOT_TEXT),
]


@pytest.mark.parametrize("question,message", REFUSED, ids=lambda v: repr(v)[:20])
def test_questions_that_cannot_be_taken_get_a_message(question, message):
    with pytest.raises(InputError) as exc:
        clean_question(question, 2000)
    assert str(exc.value) == message


def test_control_characters_become_spaces_and_markup_stays_as_typed():
    assert clean_question("What is the age of consent\x00 in Mexico?\x07", 2000) == \
        "What is the age of consent  in Mexico?"
    for s in INJECTIONS:
        assert clean_question(s, 2000) == s
    assert clean_question("x" * 2000, 2000) == "x" * 2000


@pytest.mark.parametrize("text", INJECTIONS + ["**bold** _it_ `code` # head > quote | pipe",
                                  "www.evil.example/y https://evil.example/z a@evil.example"])
def test_markup_in_a_question_reaches_the_chat_bubble_as_text(text):
    import html

    shown = escape_md(text)
    assert "<" not in shown and "](" not in shown and "**" not in shown
    assert "://" not in shown and "@" not in shown and "www." not in shown  # no automatic links either
    # every character the user typed is still there, escaped
    assert html.unescape(shown.replace("\\", "")) == text


# ------------------------------------------------------------------ the `qa` command


def run(*args, input=None):
    return CliRunner().invoke(cli, ["ask", *args], input=input, catch_exceptions=False)


@pytest.mark.parametrize("args,stdin,message", [
    ([""], None, EMPTY),
    (["   "], None, EMPTY),
    (["\x00\x01"], None, EMPTY),
    (["-"], "x" * 100_000, TOO_LONG),
    (["-"], b"\xff\xfe what", "the question on standard input is not valid UTF-8; save it as UTF-8 text"),
    (["\udcff\udcfe what"], None,  # how Python hands over undecodable bytes in argv
     "the question is not valid UTF-8 text; retype it or pass it through standard input with '-'"),
], ids=["empty", "spaces", "control", "100k", "stdin-bytes", "argv-bytes"])
def test_the_command_refuses_bad_questions_before_loading_anything(args, stdin, message, monkeypatch):
    import qa.assistant

    def no_models(*a, **k):
        raise AssertionError("the models were loaded for a question that cannot be answered")

    monkeypatch.setattr(qa.assistant, "Assistant", no_models)
    r = run(*args, input=stdin)
    assert r.exit_code == 1
    assert r.output == f"Error: {message}\n"


def test_invalid_utf8_on_the_real_command_line():
    """Bytes that are not UTF-8, passed as an argument to the installed `qa`."""
    qa = [sys.executable, "-m", "qa.cli"]
    r = subprocess.run([*qa, "ask", b"\xff\xfe what"], capture_output=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1
    assert r.stderr.decode() == ("Error: the question is not valid UTF-8 text; retype it or pass it through "
                                 "standard input with '-'\n")
    r = subprocess.run([*qa, "ask", "-"], input=b"\xc3\x28", capture_output=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr.decode()
    assert r.stderr.decode() == "Error: the question on standard input is not valid UTF-8; save it as UTF-8 text\n"


# ------------------------------------------------------------------ the real assistant


ANSWERED = [  # (question as typed, question as kept, fact in the answer)
    ("What is the age of consent\x00 in Mexico?\x07", "What is the age of consent  in Mexico?", "fifteen"),
    ("What is the age of consent in Mexico? 🤔🇲🇽", None, "fifteen"),
    ("¿Cuál es the age of consent en México? 👶", None, "fifteen"),
    ("<img src=x onerror=alert(1)> What is the age of consent in Mexico?", None, "fifteen"),
    ("[click here](http://evil.example/x) ![x](http://evil.example/a.png) "
     "How many mobile subscribers does Mexico have?", None, "104,100,000"),
]


@pytest.mark.slow
@pytest.mark.parametrize("typed,kept,fact", ANSWERED, ids=["control", "emoji", "mixed-es-en", "html", "markdown"])
def test_odd_but_real_questions_are_answered(real_assistant, typed, kept, fact):
    a = real_assistant.ask(typed)
    assert a.question == (kept or typed)
    assert a.answered and fact in a.text, a.text
    cited = [real_assistant.index.docs[c.doc].text[c.start:c.end] for c in a.citations]
    assert any(fact in t for t in cited)


@pytest.mark.slow
def test_mixed_language_question_gets_spanish_framing(real_assistant):
    a = real_assistant.ask("¿Cuál es the age of consent en México? 👶")
    assert a.lang == "es" and a.text.startswith("Según el perfil: " + CONSENT)


@pytest.mark.slow
@pytest.mark.parametrize("typed,reply", [
    ("hola", GREETING_ES), ("Hola, ¿qué tal?", GREETING_ES), ("¡Gracias!", GREETING_ES),
    ("thanks", GREETING_EN), ("Thank you!", GREETING_EN), ("hi there", GREETING_EN), ("thanks a lot", GREETING_EN),
])
def test_greetings_and_thanks_get_an_invitation_to_ask(real_assistant, typed, reply):
    a = real_assistant.ask(typed)
    assert (a.kind, a.text, a.citations) == ("greeting", reply, ())


@pytest.mark.slow
@pytest.mark.parametrize("typed", INJECTIONS)
def test_markup_alone_is_kept_as_typed_and_gets_a_cited_answer_or_a_decline(real_assistant, typed):
    a = real_assistant.ask(typed)
    assert a.question == typed
    if a.kind == "declined":
        assert a.text == DECLINED_EN
    else:  # whatever it matched, it quotes the profile and cites it
        assert a.kind == "answer" and a.citations and a.text.endswith(f"[{len(a.citations)}]")


@pytest.mark.slow
def test_unusable_history_is_left_out(real_assistant):
    history = [{"role": "user", "content": 5}, "x", None, {"role": None, "content": "?"},
               {"role": "user", "content": "What was the 2014 digital inclusion pilot?"},
               {"role": "assistant", "content": "x" * 100_000}]
    a = real_assistant.ask("And how many students benefited?", history)
    assert a.answered and "4,500" in a.text
    assert real_assistant.ask("What is the age of consent in Mexico?", "not a list").answered


@pytest.mark.slow
@pytest.mark.parametrize("typed,first_line", [
    ("What is the age of consent\x00 in Mexico?", CONSENT),
    ("<script>alert(1)</script>", DECLINED_EN),
    ("hola", GREETING_ES),
])
def test_the_command_prints_answers_to_odd_questions(real_assistant, monkeypatch, typed, first_line):
    import qa.assistant

    monkeypatch.setattr(qa.assistant, "Assistant", lambda settings: real_assistant)
    r = run(typed)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(first_line)


# ------------------------------------------------------------------ the web API


@pytest.fixture(scope="module")
def app_url(real_assistant):
    from .live import start_app

    url, server = start_app(real_assistant)
    yield url
    server.close()


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    c = Client(app_url, verbose=False)
    yield c
    c.close()  # its event stream open would hold the server's shutdown for 15 s


@pytest.mark.e2e
@pytest.mark.parametrize("question,message", [q for q in REFUSED if not isinstance(q[0], bytes)
                                              and "\ud800" not in str(q[0])], ids=lambda v: repr(v)[:20])
def test_the_web_api_answers_bad_questions_with_a_message(client, question, message):
    assert client.predict(question, [], "", api_name="/ask") == {"error": message}


@pytest.mark.e2e
def test_the_web_api_refuses_a_lone_surrogate(app_url):
    """JSON can carry "\\ud800", which no model can read; a Python client cannot even send it."""
    from .live import call_api

    body = b'{"question": "\\ud800 age of consent", "history": [], "mode": ""}'
    assert call_api(app_url, "ask", body) == {"error": NOT_UTF8}


@pytest.mark.e2e
def test_the_web_api_takes_odd_questions_and_history(client):
    out = client.predict("<img src=x onerror=alert(1)> What is the age of consent in Mexico?", [], "",
                         api_name="/ask")
    assert out["answered"] and CONSENT in out["answer"]
    out = client.predict("And how many students benefited?",
                         [{"role": "user", "content": 5}, "x",
                          {"role": "user", "content": "What was the 2014 digital inclusion pilot?"}], "",
                         api_name="/ask")
    assert out["answered"] and "4,500" in out["answer"]
    assert client.predict("hola", None, "", api_name="/ask")["answer"] == GREETING_ES
