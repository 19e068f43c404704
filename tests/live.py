"""Starting the real web app on a free loopback port, for the e2e tests."""

from __future__ import annotations

import socket
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > end:
                raise
        time.sleep(0.2)


def start_app(assistant, **kwargs):
    """The chat served in this process; returns (url, server) — ``server.close()`` stops it."""
    from qa.app import launch

    port = free_port()
    server = launch(assistant, "127.0.0.1", port, block=False, **kwargs)
    url = f"http://127.0.0.1:{port}/"
    wait_until_up(url)
    return url, server


def call_api(url: str, api: str, body: bytes | str, timeout: float = 60.0):
    """POST a raw JSON body of named arguments to Gradio's HTTP API (``/gradio_api/call/v2/<api>``)
    and return the endpoint's result. Raw, so a test can send what a Python client cannot
    encode (a lone surrogate in a JSON string)."""
    import httpx

    from qa.client import stream_result

    with httpx.Client(base_url=url, timeout=timeout) as c:
        r = c.post(f"gradio_api/call/v2/{api}", content=body, headers={"content-type": "application/json"})
        r.raise_for_status()
        with c.stream("GET", f"gradio_api/call/v2/{api}/{r.json()['event_id']}") as s:
            return stream_result(s.iter_lines(), api)
