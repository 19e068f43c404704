"""The web chat: escaping (fast) and the real Gradio server on loopback (e2e)."""

import socket

import pytest

from qa.app import escape_md, passage_html


def test_markdown_and_html_in_a_question_show_as_text():
    shown = escape_md("<img src=x onerror=alert(1)> ![x](http://evil/x.png) [link](http://a) **b**")
    assert "<img" not in shown and "&lt;img" in shown
    assert "![x](" not in shown and "\\!\\[x\\]\\(" in shown
    assert "\\*\\*b\\*\\*" in shown


def test_passage_html_escapes_and_marks_the_quoted_sentence():
    text = "xx <b>one</b>. Two & three. yy"
    out = passage_html(text, 3, 27, [(15, 27)])
    assert out == "&lt;b&gt;one&lt;/b&gt;. <mark>Two &amp; three.</mark>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(real_assistant):
    from qa.app import launch

    port = free_port()
    demo = launch(real_assistant, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.mark.e2e
def test_the_running_app_answers_through_its_api(server, real_assistant):
    from gradio_client import Client

    client = Client(server, verbose=False)
    out = client.predict("What is the age of consent in Mexico?", [], "", api_name="/ask")
    assert out["answered"] and "fifteen" in out["answer"]
    c = out["citations"][0]
    text = real_assistant.index.docs[c["doc"]].text
    assert "The age of consent in Mexico is fifteen years of age" in text[c["start"]:c["end"]]


@pytest.mark.e2e
def test_the_running_app_declines_and_refuses_empty(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    out = client.predict("What is the population of Guatemala?", [], "", api_name="/ask")
    assert not out["answered"] and out["answer"].startswith("The profile does not say")
    assert len(out["retrieved"]) == 10
    assert client.predict("", [], "", api_name="/ask") == {"error": "Please type a question."}


@pytest.mark.e2e
def test_the_app_listens_on_loopback_only(server):
    assert server.startswith("http://127.0.0.1:")
