"""Reading a result from the chat API's event stream."""

import pytest

from qa.client import stream_result


def test_the_complete_event_gives_the_first_output():
    lines = ["event: heartbeat", "data: null", "", "event: complete", 'data: [{"answer": "15"}, "x"]']
    assert stream_result(lines, "ask") == {"answer": "15"}


def test_an_error_event_names_the_endpoint():
    with pytest.raises(RuntimeError, match=r"^ask failed: boom$"):
        stream_result(["event: error", 'data: "boom"'], "ask")


def test_a_stream_without_a_result():
    with pytest.raises(RuntimeError, match="^rate: the stream ended without a result$"):
        stream_result(["event: heartbeat", "data: null"], "rate")
