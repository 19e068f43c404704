"""The page in a real browser (Debian's headless Chromium through Playwright), at a desktop
size and at a phone size: questions in English and Spanish, answers with their sources, a
rating, pasted markup that must stay text, the Spanish labels, and the staff page.

Screenshots go to artifacts/browser/ (git-ignored) for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "artifacts" / "browser"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}
STAFF_USER, STAFF_PASSWORD = "tester", "correct horse battery"
CONSENT = "The age of consent in Mexico is fifteen years of age"
REPORTING = "allowing users to report selected illegal content online"
INJECTIONS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>",
              "[click here](http://evil.example/x)", "![x](http://evil.example/a.png)",
              "www.evil.example/y https://evil.example/z a@evil.example"]
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def app(real_assistant):
    from qa.staff import add_user

    from .live import start_app

    add_user(real_assistant.settings.staff_users_path, STAFF_USER, STAFF_PASSWORD, replace=True)
    url, server = start_app(real_assistant)
    yield url
    server.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run scripts/install.sh --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


class Visit:
    """A page in its own browser context, recording dialogs, requests and script errors.
    Every request that does not go to the app is refused: the page must need nothing else."""

    def __init__(self, browser, url: str, size: str, locale: str = "en-US"):
        self.url, self.size = url, size
        self.context = browser.new_context(locale=locale, **VIEWPORTS[size])
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.route("**/*", self._route)
        self.page.set_default_timeout(TIMEOUT)

    def _route(self, route):
        if route.request.url.startswith(self.url):
            return route.continue_()
        self.outside.append(route.request.url)
        return route.abort()

    def open(self, path: str = ""):
        self.page.goto(self.url + path, wait_until="load")  # never "networkidle": Gradio keeps a stream open
        if not path:
            self.page.wait_for_selector("#qa-question textarea")
        return self.page

    def ask(self, question: str) -> str:
        """Type a question, send it, wait for the new answer bubble; return its text."""
        page = self.page
        bots = page.locator("#qa-chat [data-testid='bot']")
        before = bots.count()
        page.fill("#qa-question textarea", question)
        page.click("#qa-send")
        page.wait_for_function(
            "n => document.querySelectorAll(\"#qa-chat [data-testid='bot']\").length > n", arg=before)
        page.wait_for_function("() => document.querySelector('#qa-question textarea').value === ''")
        return bots.nth(before).inner_text()

    def shot(self, name: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.size}-{name}.png"), full_page=True)

    def close(self):
        self.context.close()

    def __enter__(self) -> "Visit":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@pytest.fixture(params=list(VIEWPORTS))
def visit(request, browser, app):
    with Visit(browser, app, request.param) as v:
        yield v


def test_questions_in_english_and_spanish_show_answers_sources_and_take_a_rating(visit):
    page = visit.open()
    visit.shot("1-opened")
    answer = visit.ask("What is the age of consent in Mexico?")
    assert answer.startswith(CONSENT) and answer.rstrip().endswith("[1]")
    source = page.locator("#qa-sources .qa-source").first
    assert source.locator(".qa-head").inner_text().startswith("[1] ")
    assert CONSENT in source.locator("mark").first.inner_text()  # the quoted sentence is marked
    page.locator("#qa-chat .message-buttons-left").last.get_by_role("button", name="Like", exact=True).click()
    page.wait_for_selector("#qa-rating-note :text('Thanks, your 👍 is saved.')")
    visit.shot("2-english-rated")

    answer = visit.ask("¿Dónde denuncio contenido ilegal en internet?")
    assert answer.startswith("Según el perfil: ")
    sources = page.locator("#qa-sources .qa-source")
    assert any(REPORTING in sources.nth(i).inner_text() for i in range(sources.count()))
    visit.shot("3-spanish")
    assert visit.dialogs == [] and visit.outside == [] and visit.errors == []


def test_pasted_markup_shows_as_text_and_never_runs(visit):
    page = visit.open()
    for text in INJECTIONS + [" ".join(INJECTIONS) + " What is the age of consent in Mexico?"]:
        visit.ask(text)
        shown = page.locator("#qa-chat [data-testid='user']").last.inner_text()
        assert shown.strip() == text
    chat = page.locator("#qa-chat")
    assert chat.locator("img[src='x'], img[src*='evil'], script, a[href*='evil']").count() == 0
    assert page.locator("#qa-sources img, #qa-sources script").count() == 0
    last = page.locator("#qa-chat [data-testid='bot']").last.inner_text()
    assert last.startswith(CONSENT)
    visit.shot("4-markup-as-text")
    page.wait_for_timeout(500)  # time for an image or a script to have fired, had one been made
    assert visit.dialogs == []
    assert not [u for u in visit.requests if "evil.example" in u or re.search(r"/x$", u)]
    assert visit.outside == [] and visit.errors == []


def test_switching_to_spanish_relabels_the_page(visit):
    page = visit.open()
    page.locator("#qa-lang").get_by_text("Español").click()
    page.wait_for_selector("#qa-send:text-is('Preguntar')")
    assert page.locator("#qa-question textarea").get_attribute("placeholder") == \
        "p. ej. ¿Dónde denuncio contenido ilegal en internet?"
    assert page.locator("#qa-question").get_by_text("Su pregunta").is_visible()
    assert page.get_by_text("Preguntas de ejemplo").is_visible()
    assert page.get_by_text("México: seguridad infantil en línea y TIC en la educación").is_visible()
    assert page.locator("#qa-sources").inner_text().strip() == "Aquí aparecen las fuentes de la última respuesta."
    visit.shot("5-espanol")


def test_a_spanish_browser_gets_spanish_labels(browser, app):
    with Visit(browser, app, "phone", locale="es-MX") as v:
        page = v.open()
        page.wait_for_selector("#qa-send:text-is('Preguntar')")
        assert page.locator("#qa-lang input[value='Español']").is_checked()


def test_bad_input_on_the_page_gets_a_message(browser, app):
    with Visit(browser, app, "desktop") as v:
        page = v.open()
        assert v.ask("   ") == "Please type a question."
        assert v.ask("x" * 100_000) == ("The question is 100,000 characters long; the limit is 2,000. "
                                        "Ask about one thing at a time.")
        assert page.locator("#qa-chat [data-testid='user']").last.inner_text().strip() == "x" * 500
        assert v.ask("hola").startswith("Hágame una pregunta sobre el perfil")
        v.shot("6-bad-input")


def test_staff_log_in_and_find_the_rated_answer(browser, app):
    with Visit(browser, app, "desktop") as v:
        page = v.open()
        question = "How many mobile subscribers does Mexico have?"
        assert "104,100,000" in v.ask(question)
        page.locator("#qa-chat .message-buttons-left").last.get_by_role("button", name="Dislike").click()
        page.wait_for_selector("#qa-rating-note :text('Thanks, your 👎 is saved.')")

        v.open("staff/login")
        page.fill("input[name=name]", STAFF_USER)
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/staff$"))
        page.select_option("select[name=rating]", "down")
        page.get_by_role("button", name="Filter").click()
        row = page.locator("tr", has=page.get_by_role("link", name=question))
        assert row.count() == 1 and "👎" in row.inner_text()
        v.shot("7-staff-list")
        row.get_by_role("link", name=question).click()
        page.wait_for_url(re.compile(r"/staff/i/[0-9a-f]+$"))
        assert "104,100,000" in page.locator("body").inner_text()
        v.shot("8-staff-answer")
