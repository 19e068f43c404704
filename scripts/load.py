#!/usr/bin/env python
"""Load test: N simultaneous conversations against the running web chat, through its
HTTP API (Gradio's queue: POST /gradio_api/call/ask, then the result's event stream).

Each conversation is a few turns from the shipped evaluation sets: standalone questions,
then a question and its follow-up, sent with the conversation so far as history, one turn
after the other as a person would (no pause unless --think). Each simulated visitor keeps
one session for all its conversations, as a browser tab or a gradio_client does
(--sessionless: a new one for every question, as a bare `curl` does). The chat keeps the
vectors of recent questions, so a repeated question is cheap; --distinct respaces every
question (a second space in random gaps: the same tokens, another text) so that its
vectors must be computed, the cost of questions never asked before. Reports throughput,
p50/p95/p99 latency and errors per level; with --rss, the server's resident memory as
questions are answered.

Bounded: loopback addresses only, at most --questions questions per level (5,000 at
most) and --max-seconds per level. Without --url it starts `qa serve` itself on a free
loopback port, a fresh one for each level, with a temporary QA_HOME so the load never
reaches the real interaction log.

Examples:
    .venv/bin/python scripts/load.py                                # 10, 25, 50 conversations, 3 turns each
    .venv/bin/python scripts/load.py --conversations 25 --questions 2000 --rss
    .venv/bin/python scripts/load.py --url http://127.0.0.1:7860/ --conversations 5 --json out.json
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from qa.client import stream_result

ROOT = Path(__file__).resolve().parents[1]
MAX_QUESTIONS = 5000
REQUEST_TIMEOUT = 60.0


# ------------------------------------------------------------------ conversations


def question_pools(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Standalone questions, and (question, follow-up) pairs, from eval/*.jsonl."""
    standalone, pairs = [], []
    for path in sorted((root / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            users = [t["content"] for t in item.get("history") or [] if t.get("role") == "user"]
            if users:
                pairs.append((users[-1], item["question"]))
            else:
                standalone.append(item["question"])
    if not standalone or not pairs:
        sys.exit(f"no questions found in {root / 'eval'}")
    return standalone, pairs


def conversation(rng: random.Random, turns: int, standalone: list[str], pairs: list[tuple[str, str]]) -> list[str]:
    """``turns`` questions: standalone ones, ending with a question and its follow-up."""
    if turns < 2:
        return [rng.choice(standalone)]
    return rng.sample(standalone, turns - 2) + list(rng.choice(pairs))


def respaced(question: str, rng: random.Random) -> str:
    """The same words with a second space in random gaps: the models read exactly the same
    tokens, but the text differs, so its vector is not in the chat's cache."""
    words = question.split(" ")
    return words[0] + "".join(("  " if rng.random() < 0.5 else " ") + w for w in words[1:])


# ------------------------------------------------------------------ the API


class Chat:
    """The chat's /ask endpoint over HTTP: one answer a call, or an exception saying why not."""

    def __init__(self, url: str, connections: int):
        self.http = httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT,
                                 limits=httpx.Limits(max_connections=connections,
                                                     max_keepalive_connections=connections))
        # the endpoint's parameters, to send the ones after (question, history) at their defaults
        params = self.http.get("gradio_api/info").raise_for_status().json()["named_endpoints"]["/ask"]["parameters"]
        self.defaults = [p.get("parameter_default") for p in params[2:]]

    def ask(self, question: str, history: list[dict], session: str | None = None) -> dict:
        body = {"data": [question, history, *self.defaults]}
        if session:
            body["session_hash"] = session
        r = self.http.post("gradio_api/call/ask", json=body)
        r.raise_for_status()
        event_id = r.json()["event_id"]
        with self.http.stream("GET", f"gradio_api/call/ask/{event_id}") as s:
            s.raise_for_status()
            out = stream_result(s.iter_lines(), "ask")
        if not isinstance(out, dict) or "error" in out or "answer" not in out:
            raise RuntimeError(f"no answer: {str(out)[:200]}")
        return out

    def close(self):
        self.http.close()


# ------------------------------------------------------------------ one level


@dataclass
class Level:
    conversations: int
    questions: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    rss: list[tuple[float, int, float]] = field(default_factory=list)  # (seconds, questions done, RSS MB)

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]  # nearest rank

    def summary(self) -> dict:
        return {"conversations": self.conversations, "questions": self.questions, "errors": self.errors,
                "seconds": round(self.seconds, 2),
                "throughput_qps": round(self.questions / self.seconds, 2) if self.seconds else 0.0,
                "p50_ms": round(self.pct(50), 1), "p95_ms": round(self.pct(95), 1), "p99_ms": round(self.pct(99), 1),
                "max_ms": round(max(self.latencies_ms, default=float("nan")), 1),
                "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else float("nan"),
                "error_samples": self.error_samples[:5]}


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_level(url: str, conversations: int, turns: int, budget: int, max_seconds: float, think: float,
              seed: int, pid: int | None, root: Path, sessionless: bool = False, distinct: bool = False) -> Level:
    standalone, pairs = question_pools(root)
    level = Level(conversations)
    chat = Chat(url, connections=2 * conversations + 4)
    chat.ask("What is the age of consent in Mexico?", [])  # warm-up, not counted
    lock = threading.Lock()
    left = [budget]
    started = time.perf_counter()
    deadline = started + max_seconds
    stop = threading.Event()

    def take() -> bool:
        with lock:
            if left[0] <= 0 or time.perf_counter() > deadline:
                return False
            left[0] -= 1
            return True

    def worker(n: int):
        rng = random.Random(seed * 100_003 + n)
        session = None if sessionless else f"load-{seed}-{n}-{rng.getrandbits(32):08x}"
        if think:  # people do not all press Enter at the same moment
            time.sleep(rng.uniform(0, think))
        while not stop.is_set():
            history: list[dict] = []
            for q in conversation(rng, turns, standalone, pairs):
                if not take():
                    return
                if distinct:
                    q = respaced(q, rng)
                t = time.perf_counter()
                try:
                    out = chat.ask(q, history, session)
                    ok, why = True, ""
                except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                    out, ok, why = None, False, f"{type(exc).__name__}: {exc}"
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    level.questions += 1
                    level.latencies_ms.append(ms)
                    if not ok:
                        level.errors += 1
                        level.error_samples.append(why[:300])
                if out is not None:
                    history += [{"role": "user", "content": q}, {"role": "assistant", "content": out["answer"]}]
                if think:
                    time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    def sampler():
        while not stop.is_set():
            mb = rss_mb(pid) if pid else None
            if mb is not None:
                with lock:
                    level.rss.append((round(time.perf_counter() - started, 2), level.questions, round(mb, 1)))
            stop.wait(0.5)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(conversations)]
    watch = threading.Thread(target=sampler, daemon=True)
    watch.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()) + REQUEST_TIMEOUT)
    level.seconds = time.perf_counter() - started
    stop.set()
    watch.join()
    if pid and (mb := rss_mb(pid)) is not None:
        level.rss.append((round(level.seconds, 2), level.questions, round(mb, 1)))
    chat.close()
    return level


# ------------------------------------------------------------------ the server


def check_loopback(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        sys.exit(f"refusing to load {url}: only loopback addresses (127.0.0.1, ::1, localhost) are allowed")
    return url if url.endswith("/") else url + "/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`qa serve` in a child process on a free loopback port, with a temporary QA_HOME."""

    def __init__(self, env: dict[str, str]):
        self.home = tempfile.TemporaryDirectory(prefix="qa-load-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = open(Path(self.home.name) / "server.log", "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "QA_HOME": self.home.name, "HF_HUB_OFFLINE": "1",
                 "GRADIO_ANALYTICS_ENABLED": "False", **env})
        end = time.monotonic() + 300
        while True:
            if self.proc.poll() is not None:
                self.log.seek(0)
                sys.exit(f"qa serve stopped (exit {self.proc.returncode}):\n{self.log.read()[-3000:]}")
            try:
                if httpx.get(self.url, timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > end:
                self.close()
                sys.exit("qa serve did not answer within 300 s")
            time.sleep(0.5)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.home.cleanup()


# ------------------------------------------------------------------ report


def table(levels: list[Level]) -> str:
    rows = ["| conversations | questions | errors | seconds | questions/s | p50 ms | p95 ms | p99 ms | max ms |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for lv in levels:
        s = lv.summary()
        rows.append(f"| {s['conversations']} | {s['questions']} | {s['errors']} | {s['seconds']:.1f} | "
                    f"{s['throughput_qps']:.1f} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} | {s['p99_ms']:.0f} | "
                    f"{s['max_ms']:.0f} |")
    return "\n".join(rows)


def rss_curve(level: Level, points: int = 9) -> str:
    """Resident memory at evenly spaced numbers of questions answered."""
    if not level.rss:
        return "(no RSS samples)"
    total = level.rss[-1][1]
    marks = sorted({round(total * i / (points - 1)) for i in range(points)})
    out = []
    for m in marks:
        sample = next((r for r in level.rss if r[1] >= m), level.rss[-1])
        out.append(f"{sample[1]:>5} questions  {sample[2]:7.1f} MB  ({sample[0]:.0f} s)")
    peak = max(r[2] for r in level.rss)
    out.append(f"peak {peak:.1f} MB over {len(level.rss)} samples")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("--url", help="a running chat on a loopback address (default: start `qa serve` for each level)")
    p.add_argument("--pid", type=int, help="with --url: the server's process id, to sample its memory")
    p.add_argument("--conversations", default="10,25,50", help="simultaneous conversations, comma-separated levels")
    p.add_argument("--turns", type=int, default=3, help="questions per conversation (the last is a follow-up)")
    p.add_argument("--questions", type=int, default=0,
                   help="questions per level (default: one conversation each); conversations repeat until reached")
    p.add_argument("--max-seconds", type=float, default=600, help="stop each level after this long")
    p.add_argument("--think", type=float, default=0.0, help="mean pause between a conversation's turns, seconds")
    p.add_argument("--concurrency", type=int, help="QA_CONCURRENCY for the server this script starts")
    p.add_argument("--rss", action="store_true", help="report the server's resident memory over the run")
    p.add_argument("--distinct", action="store_true",
                   help="respace every question so its vector is not in the cache: the cost of new questions")
    p.add_argument("--sessionless", action="store_true",
                   help="a new session for every question (as a bare HTTP call), not one per visitor")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="write the results here as JSON")
    args = p.parse_args(argv)

    levels_n = [int(x) for x in args.conversations.split(",") if x.strip()]
    if any(n < 1 or n > 200 for n in levels_n):
        p.error("--conversations: each level between 1 and 200")
    if args.pid and not args.url:
        p.error("--pid goes with --url")
    url = check_loopback(args.url) if args.url else None
    env = {"QA_CONCURRENCY": str(args.concurrency)} if args.concurrency else {}
    results = []
    for n in levels_n:
        budget = args.questions or n * args.turns
        if budget > MAX_QUESTIONS:
            p.error(f"--questions: at most {MAX_QUESTIONS} per level")
        server = Server(env) if url is None else None
        try:
            pid = server.proc.pid if server else args.pid
            print(f"{n} conversations, {budget} questions, {args.turns} turns each"
                  f"{' on ' + (url or server.url)}…", file=sys.stderr, flush=True)
            level = run_level(url or server.url, n, args.turns, budget, args.max_seconds, args.think, args.seed,
                              pid if args.rss else None, ROOT, args.sessionless, args.distinct)
        finally:
            if server:
                server.close()
        results.append(level)
        print(table([level]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(results))
    for lv in results:
        for sample in lv.summary()["error_samples"]:
            print(f"error ({lv.conversations} conversations): {sample}")
        if args.rss:
            print(f"\nserver memory, {lv.conversations} conversations:\n{rss_curve(lv)}")
    if args.json:
        args.json.write_text(json.dumps({"settings": {k: (str(v) if isinstance(v, Path) else v)
                                                      for k, v in vars(args).items()},
                                         "levels": [{**lv.summary(), "rss": lv.rss} for lv in results]},
                                        indent=1), encoding="utf-8")
    return 1 if any(lv.errors for lv in results) else 0


if __name__ == "__main__":
    sys.exit(main())
