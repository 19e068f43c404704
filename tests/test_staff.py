"""The staff review site over real HTTP: accounts, the login wall, filters, the review
page, exports and promotion to an evaluation set that `qa eval` accepts. The e2e tests
run the real chat (Gradio, real models) and rate an answer through it."""

import csv
import io
import json
import os
import socket
import sqlite3
from datetime import timedelta

import httpx
import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.config import Settings
from qa.corpus import load_corpus
from qa.errors import StaffError
from qa.staff import (HEADERS, OFF_MESSAGE, SESSION_COOKIE, StaffSite, add_user, create_app, load_users,
                      passages_for, verify_password)
from qa.store import Recorder, Store

from .conftest import ROOT
from .test_store import CONSENT, T0, TEXT, log_four, record

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def site(tmp_path):
    settings = Settings(root=ROOT, data_dir=tmp_path / "home")
    docs = {d.doc: d for d in load_corpus(settings.corpus_dir)}
    return StaffSite(settings, Store(settings.data_dir / "log.db"), docs)


@pytest.fixture
def server(site):
    from qa.app import start_server

    port = free_port()
    running = start_server(create_app(site), "127.0.0.1", port)
    yield f"http://127.0.0.1:{port}"
    running.close()


def login(base: str, name: str = "alice", password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=base)
    r = client.post("/staff/login", data={"name": name, "password": password})
    assert r.status_code == 303, r.text
    return client


def token(client: httpx.Client) -> dict:
    return {"X-CSRF-Token": client.get("/staff/api/session").json()["csrf"]}


# ------------------------------------------------------------------ accounts


def test_accounts_are_stored_hashed_with_a_salted_kdf(tmp_path):
    path = tmp_path / "staff_users.json"
    add_user(path, "alice", PASSWORD)
    add_user(path, "bob", PASSWORD)
    raw = path.read_text(encoding="utf-8")
    assert PASSWORD not in raw
    users = load_users(path)
    assert sorted(users) == ["alice", "bob"]
    assert users["alice"].startswith("scrypt:32768:8:1$") and users["alice"] != users["bob"]  # salted
    assert verify_password(PASSWORD, users["alice"]) and not verify_password(PASSWORD + "x", users["alice"])
    assert os.stat(path).st_mode & 0o777 == 0o600
    with pytest.raises(StaffError, match="alice already has an account: pass --replace"):
        add_user(path, "alice", "another password")
    add_user(path, "alice", "another password", replace=True)
    assert verify_password("another password", load_users(path)["alice"])
    with pytest.raises(StaffError, match="too short: use at least 8 characters"):
        add_user(path, "carol", "short")
    with pytest.raises(StaffError, match="is not a usable name"):
        add_user(path, "<carol>", PASSWORD)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StaffError, match="is not a staff accounts file .* delete it and run `qa staff add-user NAME`"):
        load_users(path)


def test_qa_staff_add_user_asks_for_the_password_twice_without_echo(tmp_path, monkeypatch):
    r = run("staff", "add-user", "alice", input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0
    assert "Error: The two entered values do not match." in r.output
    assert PASSWORD not in r.output
    path = tmp_path / "home" / "staff_users.json"  # QA_HOME
    assert r.output.endswith(f"alice can now log in at /staff (accounts in {path})\n")
    assert verify_password(PASSWORD, load_users(path)["alice"])
    assert run("staff", "list-users").output == "alice\n"
    monkeypatch.setenv("QA_STAFF_USERS", str(tmp_path / "elsewhere.json"))
    assert run("staff", "add-user", "bob", input="short\nshort\n").output.endswith(
        "Error: the password is too short: use at least 8 characters\n")
    assert run("staff", "add-user", "bob", input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    assert list(load_users(tmp_path / "elsewhere.json")) == ["bob"]


def test_every_new_command_has_help_with_an_example():
    for cmd in (["log", "export"], ["log", "purge"], ["staff", "add-user"], ["staff", "remove-user"],
                ["staff", "list-users"], ["log"], ["staff"]):
        r = run(*cmd, "--help")
        assert r.exit_code == 0 and "Example" in r.output, cmd


# ------------------------------------------------------------------ the login wall


def test_without_an_account_the_staff_page_is_off_and_says_how_to_enable_it(server):
    r = httpx.get(f"{server}/staff")
    assert r.status_code == 503 and "add an account with `qa staff add-user NAME`" in r.text
    assert httpx.get(f"{server}/staff/api/interactions").json() == {"error": OFF_MESSAGE}
    r = httpx.post(f"{server}/staff/login", data={"name": "admin", "password": "admin"})
    assert r.status_code == 503 and SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_the_login_wall_refuses_without_a_session_and_with_a_wrong_password(server, site):
    add_user(site.settings.staff_users_path, "alice", PASSWORD)
    it = record("A question only staff may see?")
    site.store.log(it)
    guarded = [("GET", "/staff"), ("GET", f"/staff/i/{it.id}"), ("POST", f"/staff/i/{it.id}/review"),
               ("POST", f"/staff/i/{it.id}/promote"), ("GET", "/staff/api/session"),
               ("GET", "/staff/api/interactions"), ("GET", f"/staff/api/interactions/{it.id}"),
               ("POST", f"/staff/api/interactions/{it.id}/review"), ("POST", f"/staff/api/interactions/{it.id}/promote"),
               ("GET", "/staff/api/export?format=csv"), ("GET", "/staff/api/export?format=jsonl"),
               ("POST", "/staff/logout")]
    for method, path in guarded:
        r = httpx.request(method, server + path, json={"verdict": "correct"} if method == "POST" else None)
        assert r.status_code == 401, (method, path)
        assert "only staff may see" not in r.text

    for name, password in (("alice", "wrong password"), ("mallory", PASSWORD), ("alice", "")):
        r = httpx.post(f"{server}/staff/login", data={"name": name, "password": password})
        assert r.status_code == 401 and "Wrong name or password." in r.text
        assert "set-cookie" not in r.headers

    r = httpx.post(f"{server}/staff/login", data={"name": "alice", "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/staff"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/staff" in cookie
    value = r.cookies[SESSION_COOKIE]
    assert PASSWORD not in value
    page = httpx.get(f"{server}/staff", cookies={SESSION_COOKIE: value})
    assert page.status_code == 200 and "A question only staff may see?" in page.text
    api = httpx.get(f"{server}/staff/api/interactions", cookies={SESSION_COOKIE: value})
    assert api.status_code == 200 and [x["id"] for x in api.json()["items"]] == [it.id]

    # a forged or altered cookie is refused
    user, expires, nonce, sig = value.split(":")
    add_user(site.settings.staff_users_path, "bob", PASSWORD)
    for forged in (f"bob:{expires}:{nonce}:{sig}", f"alice:{int(expires) + 99999}:{nonce}:{sig}",
                   f"alice:{expires}:{nonce}:{'0' * 64}", "alice", ""):
        assert httpx.get(f"{server}/staff/api/session", cookies={SESSION_COOKIE: forged}).status_code == 401


def test_a_password_change_and_logging_out_end_sessions(server, site):
    path = site.settings.staff_users_path
    assert path.parent == Settings.from_env().data_dir  # QA_HOME: the CLI below edits the same file
    add_user(path, "alice", PASSWORD)
    first, second = login(server), login(server)
    logged_out = first.cookies[SESSION_COOKIE]
    r = first.post("/staff/logout", data={"csrf": token(first)["X-CSRF-Token"]})
    assert r.status_code == 303 and r.headers["location"] == "/staff/login"
    assert httpx.get(f"{server}/staff", cookies={SESSION_COOKIE: logged_out}).status_code == 401
    assert second.get("/staff/api/session").status_code == 200  # other sessions go on
    add_user(path, "alice", "a brand new password", replace=True)
    assert second.get("/staff/api/session").status_code == 401
    login(server, password="a brand new password")
    assert run("staff", "remove-user", "alice").output == f"removed alice from {path}\n"
    assert httpx.get(f"{server}/staff").status_code == 503  # no account left: the page is off again


def test_writes_need_the_session_token(server, site):
    add_user(site.settings.staff_users_path, "alice", PASSWORD)
    it = record()
    site.store.log(it)
    c = login(server)
    assert c.post(f"/staff/api/interactions/{it.id}/review", json={"verdict": "correct"}).status_code == 403
    assert c.post(f"/staff/i/{it.id}/review", data={"verdict": "correct", "csrf": "x"}).status_code == 403
    assert site.store.get(it.id).review is None
    r = c.post(f"/staff/api/interactions/{it.id}/review", json={"verdict": "correct", "note": "fine"},
               headers=token(c))
    assert r.status_code == 200 and (r.json()["verdict"], r.json()["reviewer"]) == ("correct", "alice")
    r = c.post(f"/staff/api/interactions/{it.id}/review", content="verdict=correct", headers=token(c))
    assert r.status_code == 415
    r = c.post(f"/staff/api/interactions/{it.id}/review", json={"verdict": "meh"}, headers=token(c))
    assert r.status_code == 422 and r.json()["error"].startswith("unknown verdict 'meh'")
    r = c.post("/staff/api/interactions/feedfacefeedface/review", json={"verdict": "correct"}, headers=token(c))
    assert r.status_code == 404 and r.json() == {
        "error": "no logged answer has id 'feedfacefeedface' (it may have been purged)"}


# ------------------------------------------------------------------ the pages


def test_pages_escape_questions_answers_and_comments(server, site):
    add_user(site.settings.staff_users_path, "alice", PASSWORD)
    it = record("<script>alert(1)</script> <img src=x onerror=alert(2)>?")
    site.store.log(it)
    site.store.rate(it.id, "down", "<b onmouseover=alert(3)>bad</b>")
    c = login(server)
    for path in ("/staff", f"/staff/i/{it.id}", "/staff?q=%3Cscript%3E"):
        r = c.get(path)
        assert r.status_code == 200
        assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text and "<b onmouseover" not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;?" in r.text
        assert r.headers["content-security-policy"] == HEADERS["Content-Security-Policy"]
        assert r.headers["cache-control"] == "no-store"
    assert "&lt;b onmouseover=alert(3)&gt;bad&lt;/b&gt;" in c.get(f"/staff/i/{it.id}").text


def test_filter_search_and_export_over_http(server, site):
    add_user(site.settings.staff_users_path, "alice", PASSWORD)
    a, b, c, d = log_four(site.store)
    client = login(server)

    def ids(query):
        r = client.get(f"/staff/api/interactions?{query}")
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert ids("") == [d.id, c.id, b.id, a.id]
    assert ids("rating=down") == [c.id, a.id]
    assert ids("rating=down&unreviewed=1") == [c.id]
    assert ids("declined=declined") == [c.id] and ids("declined=answered") == [d.id, b.id, a.id]
    assert ids("lang=es") == [b.id]
    assert ids("since=2026-03-02&until=2026-03-03") == [c.id, b.id]
    assert ids("q=denuncio") == [b.id]
    assert client.get("/staff/api/interactions?since=soon").json() == {
        "error": "since 'soon' is not a date: use YYYY-MM-DD"}

    page = client.get("/staff?rating=down&unreviewed=1").text
    assert "What is the population of Guatemala?" in page and "age of consent" not in page
    assert "1 answer(s) match" in page
    assert "/staff/api/export?rating=down&amp;unreviewed=1&amp;format=csv" in page

    r = client.get("/staff/api/export?format=csv&rating=down")
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="qa-log-')
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["id"], x["rating"], x["comment"], x["verdict"]) for x in rows] == [
        (c.id, "down", "", ""), (a.id, "down", "Too SHORT", "wrong_answer")]
    r = client.get("/staff/api/export?format=jsonl&lang=es")
    assert [json.loads(line)["question"] for line in r.text.splitlines()] == ["¿Dónde denuncio contenido ilegal?"]


def test_qa_log_export_and_purge(tmp_path):
    store = Store(tmp_path / "home" / "log.db")  # where QA_HOME points
    a, b, c, d = log_four(store)
    r = run("log", "export", "--format", "jsonl", "--rating", "down")
    assert r.exit_code == 0
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == [c.id, a.id]
    out = tmp_path / "all.csv"
    r = run("log", "export", "--out", str(out), "--declined")
    assert r.exit_code == 0 and r.output == f"1 answer(s) written to {out}\n"
    assert [x["id"] for x in csv.DictReader(out.open(encoding="utf-8"))] == [c.id]
    assert run("log", "export", "--since", "March").output.endswith(
        "Invalid value for '--since': 'March' is not a date: use YYYY-MM-DD\n")
    r = run("log", "purge", "--older-than", "0")
    assert r.exit_code == 0 and r.output == f"deleted 4 answer(s) older than 0 day(s) from {store.path}\n"
    assert store.count() == 0


def test_the_review_page_shows_the_cited_passage_highlighted_and_flags_a_changed_profile(server, site):
    add_user(site.settings.staff_users_path, "alice", PASSWORD)
    it = record()
    site.store.log(it)
    c = login(server)
    page = c.get(f"/staff/i/{it.id}").text
    assert f"<mark>{CONSENT}" in page
    assert "What is the age of consent in Mexico?" in page
    assert "The profile has changed" not in page
    # the same answer logged against a profile whose text at those offsets was different
    cite = it.citations[0]
    stale = type(it)(**{**it.__dict__, "id": "stale0000000000a",
                        "citations": (type(cite)(**{**cite.__dict__, "text_hash": "0" * 64}),)})
    site.store.log(stale)
    assert "The profile has changed since this answer" in c.get("/staff/i/stale0000000000a").text
    assert c.get("/staff/i/doesnotexist").status_code == 404


# ------------------------------------------------------------------ promotion


def check_set(path):
    return run("eval", "--check", str(path))


def test_review_then_promote_appends_an_item_that_qa_eval_check_accepts(server, site, monkeypatch):
    monkeypatch.chdir(ROOT)
    add_user(site.settings.staff_users_path, "alice", PASSWORD)
    first = record("What is the age of consent in Mexico?", T0, conversation="k")
    follow = record("And the age of majority?", T0 + timedelta(minutes=1), conversation="k", history_len=2)
    declined = record("What is the population of Guatemala?", T0, kind="declined")
    for it in (first, follow, declined):
        site.store.log(it)
    c = login(server)
    h = token(c)
    set_path = site.settings.data_dir / "staff_set.jsonl"

    r = c.post(f"/staff/api/interactions/{follow.id}/promote", json={"answers": ["eighteen"]}, headers=h)
    assert r.status_code == 409 and r.json() == {"error": "record a verdict on this answer before promoting it"}

    assert c.post(f"/staff/api/interactions/{follow.id}/review", json={"verdict": "wrong_answer"},
                  headers=h).status_code == 200
    r = c.post(f"/staff/api/interactions/{follow.id}/promote", headers=h, json={
        "answers": ["not in the profile"], "evidence": ["this sentence is nowhere in the profile"],
        "category": "law"})
    assert r.status_code == 422
    assert r.json()["problems"] == [
        {"line": 1, "problem": "evidence 'this sentence is nowhere in the profile' is not verbatim in the corpus"}]
    assert not set_path.exists()

    majority = "the age of majority is eighteen"
    r = c.post(f"/staff/api/interactions/{follow.id}/promote", headers=h, json={
        "answers": ["eighteen", "18"], "evidence": [majority], "category": "law"})
    assert r.status_code == 200, r.text
    expected = {"id": f"staff-{follow.id}", "question": "And the age of majority?", "lang": "en", "category": "law",
                "answerable": True, "answers": ["eighteen", "18"], "evidence": [majority],
                "history": [{"role": "user", "content": first.question},
                            {"role": "assistant", "content": first.answer}],
                "source": "staff", "interaction": follow.id, "verdict": "wrong_answer"}
    assert r.json() == {"item": expected, "set": str(set_path)}
    assert [json.loads(x) for x in set_path.read_text(encoding="utf-8").splitlines()] == [expected]

    r = c.post(f"/staff/api/interactions/{follow.id}/promote", headers=h, json={
        "answers": ["eighteen"], "evidence": [majority], "category": "law"})
    assert r.status_code == 409 and r.json()["error"] == f"this answer is already in {set_path} as item staff-{follow.id}"

    c.post(f"/staff/api/interactions/{declined.id}/review", json={"verdict": "correct"}, headers=h)
    r = c.post(f"/staff/api/interactions/{declined.id}/promote", json={"answerable": False}, headers=h)
    assert r.status_code == 200
    assert r.json()["item"] == {"id": f"staff-{declined.id}", "question": "What is the population of Guatemala?",
                                "lang": "en", "category": "unanswerable", "answerable": False, "answers": [],
                                "evidence": [], "source": "staff", "interaction": declined.id, "verdict": "correct"}

    r = check_set(set_path)
    assert r.exit_code == 0, r.output
    assert r.output == f"{set_path}: 2 valid items (1 answerable, 0 Spanish, 1 with history)\n"
    assert c.get("/staff/api/interactions?q=majority").json()["items"][0]["promoted_as"] == [f"staff-{follow.id}"]


def test_promote_through_the_page_ticks_the_cited_sentence(server, site, monkeypatch):
    monkeypatch.chdir(ROOT)
    add_user(site.settings.staff_users_path, "alice", PASSWORD)
    it = record()
    site.store.log(it)
    c = login(server)
    csrf = token(c)["X-CSRF-Token"]
    page = c.get(f"/staff/i/{it.id}").text
    assert "Save a verdict first" in page
    r = c.post(f"/staff/i/{it.id}/review", data={"csrf": csrf, "verdict": "wrong_citation", "note": "cites <both>"})
    assert r.status_code == 303 and r.headers["location"] == f"/staff/i/{it.id}?saved=1"
    page = c.get(r.headers["location"]).text
    assert "Verdict saved." in page and "cites &lt;both&gt;" in page

    cited = [s for v in passages_for(site.store.get(it.id), site.docs) for s in v.spans if s.cited]
    assert [TEXT[s.start:s.end] for s in cited] == [CONSENT + " and the age of majority is eighteen, as is the legal "
                                                    "age for marriage without parental consent."]
    assert f"value='{cited[0].key}' checked" in page
    r = c.post(f"/staff/i/{it.id}/promote", data={"csrf": csrf, "answerable": "yes", "answers": "fifteen\n15\n",
                                                  "category": "law", "span": [cited[0].key], "evidence": "",
                                                  "item_id": "consent-1"})
    assert r.status_code == 200
    set_path = site.settings.data_dir / "staff_set.jsonl"
    assert f"Saved as item consent-1 in {set_path}" in r.text
    item = json.loads(set_path.read_text(encoding="utf-8"))
    assert (item["id"], item["answers"], item["evidence"], item["category"]) == (
        "consent-1", ["fifteen", "15"], [TEXT[cited[0].start:cited[0].end]], "law")
    assert check_set(set_path).exit_code == 0
    # a sentence over the set's 200-character limit is offered as its first part, cut at a word
    long = [s for v in passages_for(site.store.get(it.id), site.docs) for s in v.spans if s.cut]
    assert long and all(20 <= s.end - s.start <= 200 and TEXT[s.end] == " " for s in long)


# ------------------------------------------------------------------ the real chat (e2e)


@pytest.fixture
def chat(real_assistant, tmp_path):
    """The real server (chat at /, staff at /staff) logging to a temporary file."""
    from qa.app import launch

    store = Store(tmp_path / "log.db", timeout=0.2)
    recorder = Recorder(store, retry_pause=0.05, max_pause=0.2)
    port = free_port()
    running = launch(real_assistant, "127.0.0.1", port, block=False, recorder=recorder)
    yield f"http://127.0.0.1:{port}", store, recorder
    running.close()


@pytest.mark.e2e
def test_rate_find_judge_promote_and_run_the_promoted_set(chat, real_assistant, monkeypatch, tmp_path):
    """The README walk-through: chat, rate, log in as staff, find, judge, promote, qa eval."""
    from gradio_client import Client

    base, store, recorder = chat
    client = Client(base + "/", verbose=False)
    out = client.predict("What is the age of consent in Mexico?", [], "", api_name="/ask")
    assert out["answered"] and "fifteen" in out["answer"]
    iid = out["interaction_id"]
    assert client.predict(iid, "down", "It should just say fifteen", api_name="/rate") == {
        "status": "saved", "message": ""}
    entry = store.get(iid)
    assert (entry.rating.rating, entry.rating.comment) == (-1, "It should just say fifteen")
    assert entry.interaction.question == "What is the age of consent in Mexico?"
    assert entry.interaction.citations[0].doc == "mexico.txt"

    add_user(real_assistant.settings.staff_users_path, "alice", PASSWORD)
    staff = login(base)
    found = staff.get("/staff/api/interactions?rating=down&unreviewed=1&q=age+of+consent").json()["items"]
    assert [x["id"] for x in found] == [iid] and found[0]["comment"] == "It should just say fifteen"
    page = staff.get(f"/staff/i/{iid}").text
    assert "<mark>The age of consent in Mexico is fifteen years of age" in page
    h = token(staff)
    assert staff.post(f"/staff/api/interactions/{iid}/review", json={"verdict": "correct", "note": "fine"},
                      headers=h).status_code == 200
    r = staff.post(f"/staff/api/interactions/{iid}/promote", headers=h, json={
        "answers": ["fifteen", "15"], "evidence": ["The age of consent in Mexico is fifteen years of age"],
        "category": "law"})
    assert r.status_code == 200, r.text
    set_path = real_assistant.settings.data_dir / "staff_set.jsonl"
    assert r.json()["set"] == str(set_path)

    monkeypatch.chdir(ROOT)
    assert check_set(set_path).output == f"{set_path}: 1 valid items (1 answerable, 0 Spanish, 0 with history)\n"
    r = run("eval", "--set", str(set_path), "--out", str(tmp_path / "run"), "--quiet")
    assert r.exit_code == 0, r.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert "staff_set" in json.dumps(metrics)
    items = (tmp_path / "run").glob("items.staff_set.*.jsonl")
    rows = [json.loads(x) for p in items for x in p.read_text(encoding="utf-8").splitlines()]
    assert [x.get("id") for x in rows] == [f"staff-{iid}"] and rows[0]["answered"]


@pytest.mark.e2e
def test_a_locked_log_never_breaks_the_chat(chat):
    from gradio_client import Client

    base, store, recorder = chat
    client = Client(base + "/", verbose=False)
    lock = sqlite3.connect(store.path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # another program holds the log
    try:
        out = client.predict("Where do I report illegal content?", [], "", api_name="/ask")
        assert out["answered"]
        rated = client.predict(out["interaction_id"], "up", "", api_name="/rate")
        assert rated["status"] == "queued" and "kept" in rated["message"]
    finally:
        lock.execute("COMMIT")
        lock.close()
    assert recorder.flush(10)
    entry = store.get(out["interaction_id"])
    assert entry.rating.rating == 1 and entry.interaction.question == "Where do I report illegal content?"


@pytest.mark.e2e
def test_thumbs_down_and_a_comment_in_the_browser_reach_the_log(chat):
    from playwright.sync_api import expect, sync_playwright

    base, store, recorder = chat
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(locale="en-US")
        page.goto(base + "/")
        page.locator("#qa-question textarea").fill("How many mobile subscribers does Mexico have?")
        page.locator("#qa-send").click()
        bot = page.locator("#qa-chat .message-row.bot-row").last
        expect(bot).to_contain_text("104,100,000", timeout=60_000)
        bot.hover()
        page.locator("#qa-chat button[aria-label='Dislike']").last.click()
        expect(page.locator("#qa-rating-note")).to_contain_text("your 👎 is saved", timeout=10_000)
        page.locator("#qa-comment textarea").fill("I asked about internet users")
        page.locator("#qa-comment-send").click()
        expect(page.locator("#qa-rating-note")).to_contain_text("Comment saved", timeout=10_000)
        browser.close()
    assert recorder.flush(5)
    [entry] = store.search()
    assert entry.interaction.question == "How many mobile subscribers does Mexico have?"
    assert (entry.rating.rating, entry.rating.comment) == (-1, "I asked about internet users")


def test_the_promote_form_starts_from_what_the_verdict_says():
    from qa.staff import default_category
    from qa.store import Entry, Review

    def category(kind, verdict):
        review = Review(verdict, "", "alice", "2026-03-01T12:00:00.000000Z") if verdict else None
        return default_category(Entry(record(kind=kind), review=review), [], {})

    assert category("declined", "") == "unanswerable"
    assert category("declined", "correct") == "unanswerable"
    assert category("declined", "should_have_answered") == "program"
    assert category("answer", "should_have_declined") == "unanswerable"
    assert category("answer", "wrong_citation") == "program"
