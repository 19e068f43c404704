"""The web chat (Gradio). Answers with numbered citations; under the chat, the cited
passages with the quoted sentences marked. Everything a user or the profile supplies
is escaped before it reaches the page: text shows as text, never as markup."""

from __future__ import annotations

import html
import os
import re

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from .answer import Answer  # noqa: E402
from .assistant import Assistant  # noqa: E402
from .config import Settings  # noqa: E402
from .errors import InputError, QAError  # noqa: E402

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
"""

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escape_md(text: str) -> str:
    """Show text literally inside a markdown-rendered chat bubble: no tags, links or images."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


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


def ui_language(request: gr.Request | None) -> str:
    """Spanish when the browser prefers it, else English."""
    accept = ""
    if request is not None:
        accept = (request.headers.get("accept-language") or "").lower()
    return "Español" if accept.startswith("es") else "English"


def build_app(assistant: Assistant) -> gr.Blocks:
    settings = assistant.settings

    def ask(question: str, history: list[dict] | None = None, mode: str = "") -> dict:
        """Answer a question about the profile. `history`: earlier turns as
        [{"role": "user"|"assistant", "content": str}]. Returns the `qa ask --json` object,
        or {"error": message} for a question that cannot be taken."""
        try:
            return assistant.ask(question, history or [], mode=mode or None).to_dict()
        except InputError as exc:
            return {"error": str(exc)}
        except QAError as exc:
            return {"error": str(exc)}

    def respond(message, chat, turns, mode, lang_choice):
        lang = LANG_CHOICES.get(lang_choice, "en")
        chat = list(chat or [])
        turns = list(turns or [])
        try:
            answer = assistant.ask(message, turns, mode=mode or None)
        except QAError as exc:
            shown = message if isinstance(message, str) and message.strip() else "…"
            chat += [{"role": "user", "content": escape_md(shown[:500])},
                     {"role": "assistant", "content": escape_md(str(exc))}]
            return chat, "", turns, sources_html(None, assistant, lang)
        chat += [{"role": "user", "content": escape_md(answer.question)},
                 {"role": "assistant", "content": answer_markdown(answer)}]
        turns += [{"role": "user", "content": answer.question}, {"role": "assistant", "content": answer.text}]
        return chat, "", turns[-12:], sources_html(answer, assistant, answer.lang)

    def relabel(lang_choice):
        L = LABELS[LANG_CHOICES.get(lang_choice, "en")]
        lang = LANG_CHOICES.get(lang_choice, "en")
        return (gr.update(value=L["title"]), gr.update(label=L["box"], placeholder=L["placeholder"]),
                gr.update(value=L["send"]), gr.update(value=L["clear"]), gr.update(visible=lang == "en"),
                gr.update(visible=lang == "es"), gr.update(label=L["chat"]),
                gr.update(value=sources_html(None, assistant, lang)))

    with gr.Blocks(title="qa · Mexico country profile") as demo:
        with gr.Row():
            title = gr.Markdown(LABELS["en"]["title"], elem_id="qa-title")
            lang_radio = gr.Radio(list(LANG_CHOICES), value="English", label="Language / Idioma",
                                  elem_id="qa-lang", scale=0, min_width=180)
        chatbot = gr.Chatbot(label=LABELS["en"]["chat"], elem_id="qa-chat", height=420,
                             sanitize_html=True, render_markdown=True, feedback_options=None)
        with gr.Row():
            box = gr.Textbox(label=LABELS["en"]["box"], placeholder=LABELS["en"]["placeholder"], lines=1,
                             max_lines=4, scale=5, elem_id="qa-question", autofocus=True)
            send = gr.Button(LABELS["en"]["send"], variant="primary", scale=1, elem_id="qa-send")
        with gr.Column(visible=True) as ex_en:
            gr.Examples(EXAMPLES["en"], inputs=box, label=LABELS["en"]["examples"])
        with gr.Column(visible=False) as ex_es:
            gr.Examples(EXAMPLES["es"], inputs=box, label=LABELS["es"]["examples"])
        sources = gr.HTML(sources_html(None, assistant, "en"), elem_id="qa-sources")
        with gr.Row():
            clear = gr.Button(LABELS["en"]["clear"], size="sm", elem_id="qa-clear")
            mode = gr.Dropdown(["hybrid", "bm25", "dense"], value=settings.mode if settings.mode in
                               ("hybrid", "bm25", "dense") else "hybrid", label="mode", scale=0, min_width=140)
        turns = gr.State([])

        inputs = [box, chatbot, turns, mode, lang_radio]
        outputs = [chatbot, box, turns, sources]
        send.click(respond, inputs, outputs, api_visibility="private")
        box.submit(respond, inputs, outputs, api_visibility="private")
        clear.click(lambda lc: ([], [], sources_html(None, assistant, LANG_CHOICES.get(lc, "en"))),
                    [lang_radio], [chatbot, turns, sources], api_visibility="private")
        lang_radio.change(relabel, [lang_radio], [title, box, send, clear, ex_en, ex_es, chatbot, sources],
                          api_visibility="private")
        demo.load(ui_language, None, lang_radio, api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


def launch(assistant: Assistant, host: str, port: int, block: bool = True, **kwargs):
    demo = build_app(assistant)
    demo.queue(default_concurrency_limit=kwargs.pop("concurrency", 8))
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, show_error=False,
                quiet=not block, css=CSS, footer_links=[], **kwargs)
    return demo


def serve(settings: Settings) -> None:
    assistant = Assistant(settings)
    print(f"qa: chat ready on http://{settings.host}:{settings.port}", flush=True)
    launch(assistant, settings.host, settings.port)
