"""The web chat (Gradio). Answers with numbered citations; under the chat, the cited
passages with the quoted sentences marked. Everything a user or the profile supplies
is escaped before it reaches the page: text shows as text, never as markup."""

from __future__ import annotations

import html
import os
import re
import threading
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event (for
# its monitoring page, unused here): measured at 13% of the server's busy time under load
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from .answer import Answer  # noqa: E402
from .assistant import Assistant  # noqa: E402
from .config import Settings  # noqa: E402
from .errors import InputError, QAError, StoreError  # noqa: E402
from .staff import OFF_MESSAGE, Accounts, StaffSite  # noqa: E402
from .store import Recorder, Store, interaction_from_answer, manifest_hash, new_id  # noqa: E402

LABELS = {
    "en": {
        "title": "## Mexico: child online safety and ICT in education\nAsk about the country profile. Every answer quotes the profile and shows where it comes from.",
        "box": "Your question", "placeholder": "e.g. Where do I report illegal content?", "send": "Ask",
        "clear": "New conversation", "sources": "Sources", "closest": "Closest passages in the profile",
        "none": "Sources for the latest answer appear here.", "examples": "Example questions",
        "mode": "Retrieval", "chat": "Chat", "quoted": "quoted",
    },
    "es": {
        "title": "## México: seguridad infantil en línea y TIC en la educación\nPregunte sobre el perfil del país. Cada respuesta cita el perfil y muestra de dónde viene.",
        "box": "Su pregunta", "placeholder": "p. ej. ¿Dónde denuncio contenido ilegal en internet?", "send": "Preguntar",
        "clear": "Nueva conversación", "sources": "Fuentes", "closest": "Pasajes más cercanos del perfil",
        "none": "Aquí aparecen las fuentes de la última respuesta.", "examples": "Preguntas de ejemplo",
        "mode": "Búsqueda", "chat": "Chat", "quoted": "citado",
    },
}
LANG_CHOICES = {"English": "en", "Español": "es"}
EXAMPLES = {
    "en": ["What is the age of consent in Mexico?", "Where do I report illegal content?",
           "How many mobile subscribers does Mexico have?", "What is the penalty for possessing child pornography?",
           "What was the 2014 Digital Inclusion Program pilot?"],
    "es": ["¿A qué edad se puede dar consentimiento en México?", "¿Dónde denuncio contenido ilegal en internet?",
           "¿Cuántas laptops recibió Sonora?", "¿Qué es Clic Seguro?", "¿Cuántos usuarios de internet hay en México?"],
}

CSS = """
.qa-sources { font-size: 0.95rem; }
.qa-source { border-left: 3px solid #999; padding: 0.3rem 0.7rem; margin: 0.6rem 0; }
.qa-source .qa-head { font-weight: 600; margin-bottom: 0.2rem; }
.qa-source .qa-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.qa-source mark { background: #fff2a8; color: inherit; padding: 0 0.1rem; }
#qa-tools > .form { background: none; border: none; }  /* no grey box where a hidden menu would go */
/* phones (390 px): the title gets the whole width, the language switch goes under it, and
   the chat leaves room for the question box on the first screen */
@media (max-width: 640px) {
  #qa-top { flex-direction: column; gap: 0.4rem; }
  #qa-top > * { width: 100%; min-width: 0 !important; }
  #qa-title h2 { font-size: 1.3rem; line-height: 1.25; margin-bottom: 0.3rem; }
  #qa-lang .wrap { flex-wrap: nowrap; }
  #qa-chat { height: 45vh !important; min-height: 260px; }
  #qa-question textarea::placeholder { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
}
"""

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
# what makes a bare address an automatic link (GitHub-flavoured markdown): "://", "@", "www."
_AUTOLINK = re.compile(r"://|@|(?i:\bwww)\\\.")
_AUTOLINK_BREAK = {"://": "&#58;//", "@": "&#64;"}


def escape_md(text: str) -> str:
    """Show text literally inside a markdown-rendered chat bubble: no tags, links or images.
    Backslash escapes do not stop an automatic link (the link then shows the backslashes),
    so the character that starts one is written as an entity, which displays the same."""
    out = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return _AUTOLINK.sub(lambda m: _AUTOLINK_BREAK.get(m.group(0), m.group(0)[:-2] + "&#46;"), out)


def passage_html(doc_text: str, start: int, end: int, marks: list[tuple[int, int]]) -> str:
    """The passage, escaped, with the quoted sentences wrapped in <mark>."""
    out, pos = [], start
    for a, b in sorted(m for m in marks if start <= m[0] < m[1] <= end):
        if a < pos:
            continue
        out.append(html.escape(doc_text[pos:a]))
        out.append(f"<mark>{html.escape(doc_text[a:b])}</mark>")
        pos = b
    out.append(html.escape(doc_text[pos:end]))
    return "".join(out).strip()


def sources_html(answer: Answer | None, assistant: Assistant, lang: str) -> str:
    L = LABELS[lang]
    if answer is None or answer.kind in ("greeting", "invalid"):
        return f"<div class='qa-sources'><p>{html.escape(L['none'])}</p></div>"
    docs = assistant.index.docs
    parts = ["<div class='qa-sources'>"]
    if answer.citations:
        parts.append(f"<h3>{html.escape(L['sources'])}</h3>")
        chunks = {c.id: c for c in (h.chunk for h in answer.hits)}
        for c in answer.citations:
            text = docs[c.doc].text
            marks = answer.marks.get(c.chunk_id, [(c.start, c.end)])
            chunk = chunks.get(c.chunk_id)
            title = f" · {html.escape(chunk.title)}" if chunk is not None and chunk.title else ""
            parts.append(
                f"<div class='qa-source' data-n='{c.n}'><div class='qa-head'>[{c.n}] {html.escape(c.section)}{title}"
                f" <small>({html.escape(c.doc)}, {c.start}–{c.end})</small></div>"
                f"<div class='qa-text'>{passage_html(text, c.passage_start, c.passage_end, marks)}</div></div>")
    else:
        parts.append(f"<h3>{html.escape(L['closest'])}</h3>")
        for i, h in enumerate(answer.hits[:3], start=1):
            ch = h.chunk
            parts.append(
                f"<div class='qa-source'><div class='qa-head'>{i}. {html.escape(ch.section)}"
                f" <small>({html.escape(ch.doc)}, {ch.start}–{ch.end})</small></div>"
                f"<div class='qa-text'>{passage_html(docs[ch.doc].text, ch.start, ch.end, [])}</div></div>")
    parts.append("</div>")
    return "".join(parts)


def answer_markdown(answer: Answer) -> str:
    """The answer for the chat bubble: profile text escaped, citation markers kept."""
    return re.sub(r"\\\[(\d+)\\\]", r"**[\1]**", escape_md(answer.text))


# Notices under the chat after a 👍/👎 or a comment
FEEDBACK = {
    "en": {"up": "Thanks, your 👍 is saved. Add a comment below if you like.",
           "down": "Thanks, your 👎 is saved. A short comment on what was wrong helps us fix it.",
           "cleared": "Rating removed.", "comment": "Comment saved. Thank you!",
           "queued": "Your rating is kept and will be saved shortly (the log is busy right now).",
           "refused": "Your rating could not be saved: {why}", "unrated": "Only the assistant's answers can be rated.",
           "box": "Comment (optional)", "placeholder": "What was right or wrong?", "send": "Send comment"},
    "es": {"up": "Gracias, su 👍 quedó guardado. Si quiere, añada un comentario abajo.",
           "down": "Gracias, su 👎 quedó guardado. Un comentario breve sobre el error nos ayuda a corregirlo.",
           "cleared": "Valoración eliminada.", "comment": "Comentario guardado. ¡Gracias!",
           "queued": "Su valoración se guardará en breve (el registro está ocupado ahora).",
           "refused": "No se pudo guardar su valoración: {why}", "unrated": "Solo se pueden valorar las respuestas.",
           "box": "Comentario (opcional)", "placeholder": "¿Qué estuvo bien o mal?", "send": "Enviar comentario"},
}


def answer_logger(assistant: Assistant, recorder: Recorder | None):
    """``log(answer, history_len, conversation_id) -> interaction id or None``; never raises."""
    if recorder is None:
        return lambda answer, history_len, conversation_id: None
    index_hash = manifest_hash(assistant.index.manifest)
    texts = {name: d.text for name, d in assistant.index.docs.items()}

    def log(answer: Answer, history_len: int, conversation_id: str) -> str | None:
        it = interaction_from_answer(answer, history_len=history_len, conversation_id=conversation_id,
                                     doc_texts=texts, index_hash=index_hash)
        try:
            recorder.log(it)  # queued: the answer never waits for the disk
        except StoreError:
            return None  # the recorder is closed: the server is shutting down
        return it.id
    return log


def ui_language(request: gr.Request | None) -> str:
    """Spanish when the browser prefers it, else English."""
    accept = ""
    if request is not None:
        accept = (request.headers.get("accept-language") or "").lower()
    return "Español" if accept.startswith("es") else "English"


def build_app(assistant: Assistant, recorder: Recorder | None = None) -> gr.Blocks:
    """The chat. With a ``recorder`` every answer is logged and can be rated 👍/👎."""
    settings = assistant.settings
    log_answer = answer_logger(assistant, recorder)

    def ask(question: str, history: list[dict] | None = None, mode: str = "", doc: str = "") -> dict:
        """Answer a question about the profile. `history`: earlier turns as
        [{"role": "user"|"assistant", "content": str}]; `doc`: one document's path under
        corpus/ to answer from ("" searches all). Returns the `qa ask --json` object,
        or {"error": message} for a question that cannot be taken."""
        try:
            answer = assistant.ask(question, history or [], mode=mode or None, doc=doc or None)
            out = answer.to_dict()
            iid = log_answer(answer, len(history or []), new_id())
            if iid:
                out["interaction_id"] = iid  # for /rate
            return out
        except InputError as exc:
            return {"error": str(exc)}
        except QAError as exc:
            return {"error": str(exc)}

    def respond(message, chat, turns, mode, lang_choice, convo, doc=""):
        lang = LANG_CHOICES.get(lang_choice, "en")
        chat = list(chat or [])
        turns = list(turns or [])
        # convo: this browser session's random conversation id, and which logged answer each bubble is
        convo = {"id": (convo or {}).get("id") or new_id(), "ids": dict((convo or {}).get("ids", {}))}
        try:
            answer = assistant.ask(message, turns, mode=mode or None, doc=doc or None)
        except QAError as exc:
            shown = message if isinstance(message, str) and message.strip() else "…"
            chat += [{"role": "user", "content": escape_md(shown[:500])},
                     {"role": "assistant", "content": escape_md(str(exc))}]
            return chat, "", turns, sources_html(None, assistant, lang), convo
        iid = log_answer(answer, len(turns), convo["id"])
        chat += [{"role": "user", "content": escape_md(answer.question)},
                 {"role": "assistant", "content": answer_markdown(answer)}]
        if iid:
            convo["ids"][len(chat) - 1] = iid
        turns += [{"role": "user", "content": answer.question}, {"role": "assistant", "content": answer.text}]
        return chat, "", turns[-12:], sources_html(answer, assistant, answer.lang), convo

    def rate(interaction_id: str, rating: str = "", comment: str = "") -> dict:
        """Rate a logged answer (the `interaction_id` that /ask returns): rating "up", "down",
        or "" to clear it, with an optional short comment (500 characters at most). Returns
        {"status": "saved"|"queued"|"refused", "message": str}."""
        if recorder is None:
            return {"status": "refused", "message": "ratings are off on this server (QA_LOG=0)"}
        if rating not in ("up", "down", ""):
            return {"status": "refused", "message": "rating must be 'up', 'down' or ''"}
        outcome = recorder.rate(str(interaction_id), rating or None, comment or None)
        return {"status": outcome.status, "message": outcome.message}

    def feedback_note(outcome, lang: str, saved_key: str) -> str:
        F = FEEDBACK[lang]
        if outcome.status == "saved":
            return F[saved_key]
        if outcome.status == "queued":
            return F["queued"]
        return F["refused"].format(why=outcome.message)

    def on_like(convo, lang_choice, data: gr.LikeData):
        """👍/👎 on a bubble: store it against the logged answer; offer the comment box."""
        lang = LANG_CHOICES.get(lang_choice, "en")
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        iid = (convo or {}).get("ids", {}).get(index)
        if iid is None or recorder is None:
            return FEEDBACK[lang]["unrated"], gr.update(visible=False), None
        rating = {True: "up", False: "down"}.get(data.liked)  # "" when a thumb is clicked off
        outcome = recorder.rate(iid, rating)
        note = feedback_note(outcome, lang, rating or "cleared")
        return escape_md(note), gr.update(visible=rating is not None and outcome.status != "refused"), iid

    def on_comment(comment, rated, lang_choice):
        lang = LANG_CHOICES.get(lang_choice, "en")
        if recorder is None or not rated or not (comment or "").strip():
            return "", gr.update(), comment
        outcome = recorder.rate(rated, None, comment.strip()[:500])
        return escape_md(feedback_note(outcome, lang, "comment")), gr.update(visible=False), ""

    def relabel(lang_choice):
        L = LABELS[LANG_CHOICES.get(lang_choice, "en")]
        lang = LANG_CHOICES.get(lang_choice, "en")
        return (gr.update(value=L["title"]), gr.update(label=L["box"], placeholder=L["placeholder"]),
                gr.update(value=L["send"]), gr.update(value=L["clear"]), gr.update(visible=lang == "en"),
                gr.update(visible=lang == "es"), gr.update(label=L["chat"]),
                gr.update(value=sources_html(None, assistant, lang)))

    with gr.Blocks(title="qa · Mexico country profile") as demo:
        with gr.Row(elem_id="qa-top"):
            title = gr.Markdown(LABELS["en"]["title"], elem_id="qa-title")
            lang_radio = gr.Radio(list(LANG_CHOICES), value="English", label="Language / Idioma",
                                  elem_id="qa-lang", scale=0, min_width=180)
        chatbot = gr.Chatbot(label=LABELS["en"]["chat"], elem_id="qa-chat", height=420,
                             sanitize_html=True, render_markdown=True,
                             feedback_options=("Like", "Dislike") if recorder else None)
        rating_note = gr.Markdown("", elem_id="qa-rating-note")
        with gr.Row(visible=False) as comment_row:
            comment = gr.Textbox(label=FEEDBACK["en"]["box"], placeholder=FEEDBACK["en"]["placeholder"],
                                 max_length=500, lines=1, scale=5, elem_id="qa-comment")
            comment_send = gr.Button(FEEDBACK["en"]["send"], size="sm", scale=1, elem_id="qa-comment-send")
        with gr.Row():
            box = gr.Textbox(label=LABELS["en"]["box"], placeholder=LABELS["en"]["placeholder"], lines=1,
                             max_lines=4, scale=5, elem_id="qa-question", autofocus=True)
            send = gr.Button(LABELS["en"]["send"], variant="primary", scale=1, elem_id="qa-send")
        with gr.Column(visible=True) as ex_en:
            gr.Examples(EXAMPLES["en"], inputs=box, label=LABELS["en"]["examples"])
        with gr.Column(visible=False) as ex_es:
            gr.Examples(EXAMPLES["es"], inputs=box, label=LABELS["es"]["examples"])
        sources = gr.HTML(sources_html(None, assistant, "en"), elem_id="qa-sources")
        with gr.Row(elem_id="qa-tools"):
            clear = gr.Button(LABELS["en"]["clear"], size="sm", elem_id="qa-clear")
            mode = gr.Dropdown(["hybrid", "bm25", "dense"], value=settings.mode if settings.mode in
                               ("hybrid", "bm25", "dense") else "hybrid", label="mode", scale=0, min_width=140)
            # a corpus of several profiles: answer from one, or from all ("")
            docs = assistant.index.docs
            doc_pick = gr.Dropdown([("All documents", "")] + [(d.title or name, name) for name, d in sorted(docs.items())],
                                   value="", label="document", visible=len(docs) > 1, scale=0, min_width=220,
                                   elem_id="qa-doc")
        turns = gr.State([])
        convo = gr.State({})
        rated = gr.State(None)  # the logged answer the comment box belongs to

        inputs = [box, chatbot, turns, mode, lang_radio, convo, doc_pick]
        outputs = [chatbot, box, turns, sources, convo]
        # one pool of workers for every way to ask (button, Enter, the API): see launch()
        send.click(respond, inputs, outputs, api_visibility="private", concurrency_id="answer")
        box.submit(respond, inputs, outputs, api_visibility="private", concurrency_id="answer")
        clear.click(lambda lc: ([], [], sources_html(None, assistant, LANG_CHOICES.get(lc, "en"))),
                    [lang_radio], [chatbot, turns, sources], api_visibility="private")
        lang_radio.change(relabel, [lang_radio], [title, box, send, clear, ex_en, ex_es, chatbot, sources],
                          api_visibility="private")
        demo.load(ui_language, None, lang_radio, api_visibility="private")
        chatbot.like(on_like, [convo, lang_radio], [rating_note, comment_row, rated], api_visibility="private")
        comment_send.click(on_comment, [comment, rated, lang_radio], [rating_note, comment_row, comment],
                           api_visibility="private")
        comment.submit(on_comment, [comment, rated, lang_radio], [rating_note, comment_row, comment],
                       api_visibility="private")
        clear.click(lambda: ({}, "", gr.update(visible=False)), None, [convo, rating_note, comment_row],
                    api_visibility="private")
        lang_radio.change(lambda lc: (gr.update(label=FEEDBACK[LANG_CHOICES.get(lc, "en")]["box"],
                                                placeholder=FEEDBACK[LANG_CHOICES.get(lc, "en")]["placeholder"]),
                                      gr.update(value=FEEDBACK[LANG_CHOICES.get(lc, "en")]["send"])),
                          [lang_radio], [comment, comment_send], api_visibility="private")
        gr.api(ask, api_name="ask", concurrency_id="answer")
        gr.api(rate, api_name="rate")
    return demo


# a page left open keeps an event stream to the server: stopping waits this long for it, not forever
SHUTDOWN_SECONDS = 2


class Running:
    """A server running in a background thread; ``close()`` stops it, then runs ``on_close``."""

    def __init__(self, server, thread: threading.Thread, on_close=None):
        self.server, self.thread, self.on_close = server, thread, on_close

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        if self.on_close is not None:
            self.on_close()


def start_server(app, host: str, port: int, on_close=None) -> Running:
    """Serve an ASGI app with uvicorn in a background thread; return once it accepts connections."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           timeout_graceful_shutdown=SHUTDOWN_SECONDS))
    thread = threading.Thread(target=server.run, name="qa-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise QAError(f"the web server did not start on {host}:{port}: is the port in use? Pass --port")
        time.sleep(0.05)
    return Running(server, thread, on_close)


def launch(assistant: Assistant, host: str, port: int, block: bool = True, recorder: Recorder | None = None,
           **kwargs):
    """Serve the chat at / and the staff review site at /staff on one port.
    ``recorder``: where answers and ratings go (default: the log the settings name, or
    none with QA_LOG=0). With ``block=False`` returns a :class:`Running` at once."""
    import uvicorn
    from fastapi import FastAPI

    settings = assistant.settings
    if recorder is None:
        recorder = Recorder.from_settings(settings)
    demo = build_app(assistant, recorder)
    # Answers are CPU work under per-model locks: more workers than cores only make every
    # answer in flight slower, while the rest wait in Gradio's queue at no cost
    demo.queue(default_concurrency_limit=kwargs.pop("concurrency", settings.concurrency),
               max_size=settings.queue_size or None)
    demo.state_session_capacity = settings.sessions  # Gradio keeps 10,000 by default: about 300 MB here
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    # staff routes first: the chat is mounted at / and would otherwise take every path
    site = StaffSite(settings, recorder.store if recorder else Store.from_settings(settings), assistant.index.docs,
                     kinds={(c.doc, c.start, c.end): c.kind for c in assistant.index.chunks}, recorder=recorder)
    app.include_router(site.router())
    gr.mount_gradio_app(app, demo, path="/", server_name=host, server_port=port, show_error=False, css=CSS,
                        footer_links=[], **kwargs)
    on_close = recorder.close if recorder is not None else None
    if block:
        try:
            uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                          timeout_graceful_shutdown=SHUTDOWN_SECONDS)).run()
        finally:
            if on_close is not None:
                on_close()
        return None
    return start_server(app, host, port, on_close)


def serve(settings: Settings) -> None:
    assistant = Assistant(settings)
    assistant.ask(EXAMPLES["en"][0])  # load the models now: a missing one fails here, not at the first visitor
    try:
        staff = "" if Accounts(settings.staff_users_path).users() else f" ({OFF_MESSAGE})"
    except QAError as exc:
        staff = f" ({exc})"
    log = f"answers logged to {settings.data_dir}" if settings.log_enabled else "logging off (QA_LOG=0)"
    print(f"qa: chat ready on http://{settings.host}:{settings.port}, staff review on "
          f"http://{settings.host}:{settings.port}/staff{staff}; {log}", flush=True)
    launch(assistant, settings.host, settings.port)
