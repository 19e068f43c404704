"""Reading a result from the chat's HTTP API, for the load script and the live tests.

Gradio answers a call (``POST /gradio_api/call/<api>``) with an event id, then streams
server-sent events for it: ``event: <name>`` lines, each followed by a ``data: <json>`` line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable


def stream_result(lines: Iterable[str], api: str):
    """The endpoint's result (the first output) from an event stream's lines; a
    ``RuntimeError`` naming ``api`` when the server reports an error or the stream ends
    without a result."""
    event = ""
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event in ("complete", "error"):
            data = json.loads(line[6:])
            if event == "error":
                raise RuntimeError(f"{api} failed: {data}")
            return data[0]
    raise RuntimeError(f"{api}: the stream ended without a result")
