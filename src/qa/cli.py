"""The ``qa`` command. Thin: each command parses options, calls the library, and turns
``QAError`` into a message that says the fix."""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path

import click

from . import __version__
from .config import MODES, SIGNALS, Settings
from .errors import QAError
from .store import EXPORT_FORMATS, RATING_FILTERS

MODE_HELP = f"retrieval mode: {', '.join(MODES)}, or signals joined by '+' ({'+'.join(SIGNALS)})"


def handle_errors(fn):
    """Library errors become one clear line and exit status 1, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except QAError as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper


def mode_option(default=None):
    return click.option("--mode", "-m", default=default, help=MODE_HELP + " (default: QA_MODE or hybrid)")


@click.group()
@click.version_option(__version__, prog_name="qa")
def cli():
    """Answers questions about the country profile in corpus/, citing the passages.

    \b
    Example:
        qa ask "What is the age of consent in Mexico?"
    """


@cli.command()
@click.option("--force", is_flag=True, help="rebuild even when the index is up to date")
@handle_errors
def index(force):
    """Build the index in index/ (BM25, FAISS vectors, manifest).

    \b
    Example:
        qa index --force
    """
    from .errors import IndexCorruptError, IndexMissingError, IndexStaleError
    from .index import build_index, load_index

    settings = Settings.from_env()
    t = time.perf_counter()
    idx = None
    if not force:
        try:
            idx = load_index(settings, auto_build=False)
        except (IndexMissingError, IndexStaleError, IndexCorruptError) as exc:
            click.echo(f"building the index: {str(exc).split(':')[0]}", err=True)
    if idx is None:
        idx = build_index(settings)
    c = idx.manifest["counts"]
    click.echo(f"index ready in {settings.index_dir}: {c['documents']} document(s), {c['chunks']} passages, "
               f"{c['sentences']} sentences, signals {', '.join(idx.signals)} ({time.perf_counter() - t:.1f}s)")


def _read_question(question: str) -> str:
    if question == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QAError("the question on standard input is not valid UTF-8; save it as UTF-8 text") from exc
    try:
        question.encode("utf-8")
    except UnicodeEncodeError as exc:  # undecodable bytes in argv arrive as lone surrogates
        raise QAError("the question is not valid UTF-8 text; retype it or pass it through standard input with '-'") from exc
    return question


@cli.command()
@click.argument("question")
@mode_option()
@click.option("-k", type=click.IntRange(1, 100), default=None, help="passages to retrieve (default 10)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option("--history", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSON file with earlier turns: [{"role": "user", "content": "..."}, ...]')
@click.option("--doc", default=None, help="answer from this document only (its path under corpus/, e.g. mexico.txt)")
@handle_errors
def ask(question, mode, k, as_json, history, doc):
    """Answer QUESTION from the profile ('-' reads it from standard input).

    \b
    Examples:
        qa ask "How many mobile subscribers does Mexico have?"
        qa ask "¿Dónde denuncio contenido ilegal en internet?" --json
        qa ask "What is the age of consent?" --doc mexico.txt
    """
    from .assistant import Assistant, clean_question

    turns = []
    if history:
        try:
            turns = json.loads(history.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise QAError(f"{history} is not JSON: {exc}") from exc
    settings = Settings.from_env(mode=mode)
    text = clean_question(_read_question(question), settings.max_question_chars)  # before seconds of model loading
    assistant = Assistant(settings)
    assistant.load_models(mode)  # latency_ms is then the answer's, not the model loading's
    answer = assistant.ask(text, turns, mode=mode, k=k, doc=doc)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    click.echo(answer.text)
    docs = assistant.index.docs
    if answer.citations:
        click.echo("")
        for c in answer.citations:
            click.echo(f"[{c.n}] {c.doc} {c.start}-{c.end} · {c.section}")
    elif answer.kind == "declined":
        click.echo("\nClosest passages:")
        for h in answer.hits[:3]:
            text = " ".join(docs[h.chunk.doc].text[h.chunk.start:h.chunk.end].split())
            click.echo(f"- {h.chunk.section}: {text[:160]}{'…' if len(text) > 160 else ''}")


@cli.command()
@click.option("--host", default=None, help="address to listen on (default 127.0.0.1, or QA_HOST)")
@click.option("--port", type=int, default=None, help="port (default 7860, or QA_PORT)")
@handle_errors
def serve(host, port):
    """Start the web chat.

    \b
    Example:
        qa serve --port 7860
    """
    from .app import serve as run

    run(Settings.from_env(host=host, port=port))


def _modes(mode: str) -> list[str]:
    if mode == "all":
        return ["bm25", "dense", "e5", "minilm+e5", "bm25+minilm", "bm25+e5", "hybrid"]
    return [m.strip() for m in mode.split(",") if m.strip()]


@cli.command(name="eval")
@click.option("--set", "sets", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="evaluation set (JSONL); repeatable (default: eval/dev.jsonl and eval/test.jsonl)")
@click.option("--mode", "-m", default="hybrid", show_default=True,
              help=MODE_HELP + "; several comma-separated; 'all' runs each signal alone and fused")
@click.option("-k", type=click.IntRange(10, 100), default=10, show_default=True, help="passages retrieved per question")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/latest"),
              show_default=True, help="folder for items.jsonl, metrics.json, report.md and plots")
@click.option("--fail-under", multiple=True, metavar="[GROUP.]METRIC=VALUE",
              help="exit 1 when a metric is below VALUE (e.g. recall@5=0.95, es.accuracy=0.8)")
@click.option("--fail-over", multiple=True, metavar="[GROUP.]METRIC=VALUE",
              help="exit 1 when a metric is above VALUE (e.g. wrongly_declined=0.1)")
@click.option("--check", "check_file", type=click.Path(dir_okay=False, path_type=Path),
              help="only validate this set (format, evidence verbatim in the corpus) and exit")
@click.option("--quiet", is_flag=True, help="no progress bar")
@handle_errors
def eval_cmd(sets, mode, k, out, fail_under, fail_over, check_file, quiet):
    """Score the assistant on question sets: retrieval, answers, citations, refusals.

    \b
    Recall@k: all evidence of an item covered by the top k passages (a passage covers
    evidence when its span holds at least half of it). MRR@10, nDCG@10 on the same
    coverage. acc: answered and contains an alias. cit.P: citations overlapping
    evidence by >= 20 characters or half the shorter span; cit.R: every evidence
    string cited. decl: unanswerable items declined; wr.decl: answerable declined.

    \b
    Examples:
        qa eval --mode all --out runs/all
        qa eval --check my_questions.jsonl
        qa eval --set my_questions.jsonl --fail-under recall@5=0.9
    """
    from .corpus import load_corpus
    from .evalset import load_set
    from .evaluate import (benchmark, check_floors, default_sets, parse_floors, render_text, table,
                           write_report)

    settings = Settings.from_env()
    docs = load_corpus(settings.corpus_dir)
    if check_file:
        items = load_set(check_file, docs)
        click.echo(f"{check_file}: {len(items)} valid items "
                   f"({sum(i.answerable for i in items)} answerable, {sum(i.lang == 'es' for i in items)} Spanish, "
                   f"{sum(bool(i.history) for i in items)} with history)")
        return
    under, over = parse_floors(fail_under), parse_floors(fail_over)
    paths = list(sets) or default_sets(settings.root)
    if not paths:
        raise QAError("no evaluation set: pass --set FILE (JSONL, see the README)")
    loaded = {}
    for p in paths:
        name = p.stem if p.stem not in loaded else str(p)
        loaded[name] = load_set(p, docs)
    from .assistant import Assistant

    assistant = Assistant(settings)
    runs = benchmark(assistant, loaded, _modes(mode), k, progress=not quiet)
    meta = {"qa_version": __version__, "date": time.strftime("%Y-%m-%d %H:%M"), "k": k,
            "corpus_hash": assistant.index.manifest["corpus_hash"], "sets": [str(p) for p in paths],
            "models": {s: v["spec"] for s, v in assistant.index.manifest["dense"].items()}}
    calibration = None
    if settings.calibration_path.exists():
        calibration = json.loads(settings.calibration_path.read_text(encoding="utf-8"))
    write_report(out, runs, calibration, meta)
    click.echo(render_text(table(runs)))
    for lang in ("en", "es"):
        rows = table(runs, f"lang:{lang}")
        if len(rows) > 1:
            click.echo(f"\n{lang}:\n" + render_text(rows))
    click.echo(f"\nreport: {out / 'report.md'}")
    failures = check_floors(runs, under) + check_floors(runs, over, under=False)
    if failures:
        raise click.ClickException("regression:\n  " + "\n  ".join(failures))


@cli.command()
@click.option("--set", "dev_set", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="set to choose the threshold on (default eval/dev.jsonl)")
@click.option("--report-set", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="set to report the chosen threshold on (default eval/test.jsonl)")
@click.option("--mode", "-m", default="all", show_default=True, help="modes to calibrate ('all': every mode `qa eval --mode all` runs)")
@click.option("--cost", type=float, default=3.0, show_default=True,
              help="how much worse wrongly declining an answerable question is than answering an unanswerable one")
@click.option("--per-language", is_flag=True, help="one threshold per question language instead of one for all")
@handle_errors
def calibrate(dev_set, report_set, mode, cost, per_language):
    """Choose the decline threshold on the dev split and store it in index/calibration.json.

    \b
    Example:
        qa calibrate --mode hybrid
    """
    from .assistant import Assistant
    from .corpus import load_corpus
    from .evalset import load_set
    from .evaluate import _fmt_thr, benchmark, calibrate as choose, render_text, save_calibration, table

    settings = Settings.from_env()
    docs = load_corpus(settings.corpus_dir)
    dev = dev_set or settings.root / "eval" / "dev.jsonl"
    test = report_set or settings.root / "eval" / "test.jsonl"
    assistant = Assistant(settings)
    modes = _modes(mode)
    result = choose(assistant, load_set(dev, docs), modes, dev.stem, cost, per_language=per_language)
    save_calibration(settings.calibration_path, result)
    for m, p in result["modes"].items():
        click.echo(f"{m}: threshold {_fmt_thr(p['threshold'])} on {dev.name} "
                   f"(declined {p['declined']:.3f}, wrongly declined {p['wrongly_declined']:.3f})")
    click.echo(f"saved to {settings.calibration_path}")
    if test.exists():
        runs = benchmark(assistant, {test.stem: load_set(test, docs)}, modes)
        click.echo(f"\non {test.name} with these thresholds:\n" + render_text(table(runs)))


# ------------------------------------------------------------------ the log and staff accounts


def _parse_day(ctx, param, value):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD") from exc


@cli.group(name="log")
def log_group():
    """The interaction log: every answer the chat gave, its rating and staff verdict
    (QA_HOME/log.db, default data/log.db).

    \b
    Examples:
        qa log export --format csv --out answers.csv
        qa log export --format jsonl --rating down --unreviewed
        qa log purge --older-than 90
    """


@log_group.command(name="export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True,
              help="CSV (one row an answer, citations as JSON text) or JSONL (one object a line)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write (default: standard output)")
@click.option("--since", callback=_parse_day, metavar="YYYY-MM-DD", help="answers from this day on (UTC)")
@click.option("--until", callback=_parse_day, metavar="YYYY-MM-DD", help="answers up to this day (UTC)")
@click.option("--rating", type=click.Choice(RATING_FILTERS), default="any", show_default=True,
              help="up, down, rated (either), none (not rated)")
@click.option("--declined/--answered", default=None, help="only declined answers, or only the others")
@click.option("--lang", type=click.Choice(["en", "es"]), help="question language")
@click.option("--unreviewed", is_flag=True, help="only answers without a staff verdict")
@click.option("--search", default="", help="text in the question, answer, comment or note")
@handle_errors
def log_export(fmt, out, since, until, rating, declined, lang, unreviewed, search):
    """Export logged answers with their ratings and verdicts, newest first.

    \b
    Example:
        qa log export --format jsonl --out answers.jsonl
    """
    from .store import Filter, Store, export_text

    store = Store.from_settings(Settings.from_env())
    entries = store.search(Filter(since=since, until=until, rating=rating, declined=declined, lang=lang or "",
                                  unreviewed=unreviewed, text=search))
    text = export_text(entries, fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot write {out}: {exc.strerror}") from exc
    click.echo(f"{len(entries)} answer(s) written to {out}", err=True)


@log_group.command(name="purge")
@click.option("--older-than", "days", type=click.IntRange(min=0), required=True, metavar="DAYS",
              help="delete answers logged more than DAYS days ago (with their ratings and verdicts)")
@handle_errors
def log_purge(days):
    """Delete old answers from the log. QA_LOG_RETENTION_DAYS does the same while `qa serve` runs.

    \b
    Example:
        qa log purge --older-than 90
    """
    from .store import Store

    store = Store.from_settings(Settings.from_env())
    n = store.purge(days)
    click.echo(f"deleted {n} answer(s) older than {days} day(s) from {store.path}")


@cli.group(name="staff")
def staff_group():
    """Staff accounts for the review page at /staff (hashed passwords in QA_HOME/staff_users.json,
    or the file QA_STAFF_USERS names). Without an account the page is off.

    \b
    Example:
        qa staff add-user alice
    """


@staff_group.command(name="add-user")
@click.argument("name")
@click.option("--replace", is_flag=True, help="set a new password for an existing account")
@handle_errors
def staff_add_user(name, replace):
    """Add a staff account; asks for the password twice, without showing it.

    \b
    Example:
        qa staff add-user alice
    """
    from .staff import add_user

    path = Settings.from_env().staff_users_path
    password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    add_user(path, name, password, replace=replace)
    click.echo(f"{name} can now log in at /staff (accounts in {path})")


@staff_group.command(name="remove-user")
@click.argument("name")
@handle_errors
def staff_remove_user(name):
    """Remove a staff account; its open sessions end at their next request.

    \b
    Example:
        qa staff remove-user alice
    """
    from .staff import remove_user

    path = Settings.from_env().staff_users_path
    remove_user(path, name)
    click.echo(f"removed {name} from {path}")


@staff_group.command(name="list-users")
@handle_errors
def staff_list_users():
    """List the staff account names.

    \b
    Example:
        qa staff list-users
    """
    from .staff import load_users

    path = Settings.from_env().staff_users_path
    names = sorted(load_users(path))
    click.echo("\n".join(names) if names else f"no staff accounts in {path}: add one with `qa staff add-user NAME`")


@cli.command()
@mode_option("hybrid")
@click.option("--set", "sets", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="question set (JSONL); repeatable (default: eval/dev.jsonl and eval/test.jsonl)")
@click.option("--repeat", type=click.IntRange(1, 20), default=1, show_default=True, help="passes over the set")
@click.option("--no-cold", is_flag=True, help="skip the cold start and build measurements (fresh processes)")
@click.option("--scale", default=None, metavar="N,N,...",
              help="instead: the scale curve over synthetic corpora of these numbers of passages")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="also write the figures (bench.json or scale.json, tables, scale.png) here")
@click.option("--quiet", is_flag=True, help="no progress bar")
@handle_errors
def bench(mode, sets, repeat, no_cold, scale, out, quiet):
    """Time a question stage by stage against the bare query encoding (the floor), with
    cold start, build time and memory; or, with --scale, size and speed at scale.

    \b
    Examples:
        qa bench
        qa bench --scale 1000,10000,100000 --out runs/scale
    """
    import os

    from . import bench as b
    from .corpus import load_corpus
    from .evalset import load_set
    from .evaluate import _bar, default_sets, render_markdown, render_text

    settings = Settings.from_env()
    docs = load_corpus(settings.corpus_dir)
    paths = list(sets) or default_sets(settings.root)
    if not paths:
        raise QAError("no question set: pass --set FILE (JSONL, see the README)")
    items = [it for p in paths for it in load_set(p, docs)]
    if out:
        out.mkdir(parents=True, exist_ok=True)
    click.echo(f"load average: {b.load_average()} on {os.cpu_count()} cores")
    if scale:
        try:
            sizes = [int(x.replace("_", "")) for x in scale.split(",") if x.strip()]
        except ValueError as exc:
            raise QAError(f"--scale takes numbers of passages separated by commas, not {scale!r}") from exc
        points = b.run_scale(sizes, [it.question for it in items], log=lambda m: click.echo(m, err=True))
        size, query = b.scale_tables(points)
        click.echo(f"vectors: real encoding timed on a {b.SAMPLE}-passage sample (encode s is estimated from its "
                   "rate); the other vectors are noisy copies of the sample's (see qa.bench)")
        click.echo(render_text(size) + "\n\n" + render_text(query))
        if out:
            (out / "scale.json").write_text(json.dumps(points, indent=2), encoding="utf-8")
            (out / "scale.md").write_text(render_markdown(size) + "\n\n" + render_markdown(query) + "\n",
                                          encoding="utf-8")
            click.echo(f"plot: {b.plot_scale(points, out / 'scale.png')}")
        return
    from .assistant import Assistant

    assistant = Assistant(settings)
    run = b.run_stages(assistant, items, mode, repeat, progress=_bar("bench", not quiet))
    rows = run.table()
    click.echo(render_text(rows))
    click.echo(f"\nend to end / floor (p50): {run.ratio():.2f}  ({len(run.rows)} questions, mode {mode})")
    report = {"mode": mode, "questions": len(run.rows), "ratio_p50": run.ratio(), "stages": rows,
              "load_average": b.load_average()}
    if not no_cold:
        cold, built = b.cold_start(items[0].question), b.build_time()
        report.update(cold=cold, build=built)
        click.echo(f"cold start: {cold['process_to_answer_s']:.1f}s from process start to first answer "
                   f"(imports {cold['import_s']:.1f}s, index {cold['load_s']:.1f}s, first answer with the models "
                   f"loading {cold['first_answer_s']:.1f}s); peak memory {cold['peak_rss_mb']:.0f} MB")
        click.echo(f"index build: {built['build_s']:.1f}s for {built['chunks']} passages and {built['sentences']} "
                   f"sentences with the real models; {built['rebuild_unchanged_s']:.2f}s when nothing changed; "
                   f"peak memory {built['peak_rss_mb']:.0f} MB")
    report["bench_peak_rss_mb"] = b.peak_rss_mb()
    click.echo(f"this process (warm, after the run): peak memory {report['bench_peak_rss_mb']:.0f} MB")
    if out:
        (out / "bench.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        (out / "bench.md").write_text(render_markdown(rows) + "\n", encoding="utf-8")


def main():
    cli()


if __name__ == "__main__":
    main()
