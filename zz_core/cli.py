"""Command line: ``python -m zz_core analyze FILE [FILE ...]``, ``feedback FILE``,
``chat FILE --question "..."``, ``ask "QUESTION"``, ``report FILE [FILE ...] --out
report.pdf``, ``batch PATH [PATH ...] --out results.jsonl|.csv|.parquet`` and ``worker``
(``--help`` on each).

Exit status: 0 when every file was analysed, 2 when any could not be (bad file, bad
option); each failure is one line on stderr naming the file and the reason.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TextIO, TypeVar

from zz_core.errors import ZzError
from zz_core.vocab import CONTEXTS, NAMINGS, PROFILES, PROVIDERS

if TYPE_CHECKING:
    from zz_core.advise.providers import ProviderConfig
    from zz_core.judge.models import AnalysisOptions, AnalysisResult

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 2
SUMMARY_FAILURES = 20  # failures listed in a batch's summary (all are in its output)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m zz_core",
                                     description="ZoundZcope mix and master analysis.")
    commands = parser.add_subparsers(dest="command", required=True)
    analyze = commands.add_parser(
        "analyze", help="measure tracks (loudness, peaks, tempo, key, stereo, spectrum, "
        f"issues, platforms); files up to {_longest()}", description="Measure tracks. "
        f"Files up to {_longest()} long are analysed as they decode (memory does not grow "
        "with the length); a longer file is refused from its header.")
    analyze.add_argument("files", nargs="+", metavar="FILE")
    analyze.add_argument("--genre", help="e.g. electronic, hiphop, rock (default: generic)")
    analyze.add_argument("--subgenre", help="e.g. techno, trap; free text is accepted")
    analyze.add_argument("--context", choices=CONTEXTS,
                         default="mixdown", help="what the track is (default: mixdown)")
    analyze.add_argument("--reference", metavar="FILE", help="compare with this track")
    analyze.add_argument("--previous", metavar="FILE",
                         help="the previous version of the track: say what changed since "
                         "(issues fixed, new and remaining; figures before and after)")
    analyze.add_argument("--json", action="store_true",
                         help="one JSON object per file, one per line")
    _add_feedback_command(commands)
    _add_chat_command(commands)
    _add_ask_command(commands)
    _add_report_command(commands)
    _add_batch_command(commands)
    _add_worker_command(commands)
    return parser


def _add_track_options(command: argparse.ArgumentParser, reference: bool = True) -> None:
    command.add_argument("--genre", help="e.g. electronic, hiphop, rock (default: generic)")
    command.add_argument("--subgenre", help="e.g. techno, trap; free text is accepted")
    command.add_argument("--context", choices=CONTEXTS,
                         default="mixdown", help="what the track is (default: mixdown)")
    if reference:
        command.add_argument("--reference", metavar="FILE", help="compare with this track")


def _add_provider_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--provider", choices=PROVIDERS,
                         help="default: openai when OPENAI_API_KEY is set, else offline")
    command.add_argument("--model", help="model name (default: ZZ_LLM_MODEL or gpt-4o-mini)")
    command.add_argument("--base-url", help="endpoint of an OpenAI-compatible provider")


def _add_profile_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--profile", choices=PROFILES,
                         default="detailed", help="how technical (default: detailed)")


def _add_feedback_command(commands: argparse._SubParsersAction) -> None:
    feedback = commands.add_parser(
        "feedback", help="feedback on a track: INSIGHT / SUGGESTION pairs from a language "
        "model, or from the offline engine when no API key is set")
    feedback.add_argument("file", metavar="FILE")
    _add_track_options(feedback)
    _add_profile_option(feedback)
    _add_provider_options(feedback)
    feedback.add_argument("--json", action="store_true", help="one JSON object")


def _add_chat_command(commands: argparse._SubParsersAction) -> None:
    chat = commands.add_parser(
        "chat", help="ask a question about a track: answered from its measurements first "
        "(which channel, where in m:ss, the figures asked for), then advice, with the "
        "knowledge-base passages about the question cited; the same engine as the "
        "follow-up questions in the app")
    chat.add_argument("file", metavar="FILE")
    chat.add_argument("--question", "-q", required=True,
                      help='e.g. "Is the DC offset on both channels or just one?"')
    _add_track_options(chat)
    _add_profile_option(chat)
    _add_provider_options(chat)
    chat.add_argument("--json", action="store_true",
                      help="one JSON object: answer, sources, usage")


def _add_ask_command(commands: argparse._SubParsersAction) -> None:
    ask = commands.add_parser("ask", help="answer a mixing, mastering or app question from "
                              "the knowledge base, with the passages cited")
    ask.add_argument("question", metavar="QUESTION")
    ask.add_argument("--top-k", type=int, default=3, help="passages to use (default: 3)")
    _add_provider_options(ask)
    ask.add_argument("--json", action="store_true", help="one JSON object")


def _add_report_command(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="write a PDF report: one track, or several "
                                 "side by side (album cohesion)")
    report.add_argument("files", nargs="+", metavar="FILE")
    _add_track_options(report)
    _add_profile_option(report)
    _add_provider_options(report)
    report.add_argument("--naming", choices=NAMINGS, default="generic",
                        help="device names in the preset tables (default: generic)")
    report.add_argument("--out", required=True, help="the PDF file to write")


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    commands = {"analyze": run_analyze, "feedback": run_feedback, "chat": run_chat,
                "ask": run_ask, "report": run_report, "batch": run_batch,
                "worker": run_worker}
    return commands[args.command](args, out, err)


def run_analyze(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        options = _analysis_options(args)
    except ZzError as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    status = EXIT_OK
    for result in _analysed(args.files, args.reference, options, err, args.previous):
        if result is None:
            status = EXIT_FAILED
            continue
        try:
            _emit(result, args.json, out)
        except ValueError as error:  # pydantic's errors: one sentence, not its report
            print(f"zz_core: {result.file_name}: the analysis could not be written "
                  f"({_first_line(error)})", file=err)
            status = EXIT_FAILED
    return status


def _longest() -> str:
    """The longest file accepted, as text ("3 h")."""
    from zz_core.measure import MAX_DURATION_S  # not the decoders: --help answers at once

    return f"{MAX_DURATION_S / 3600:g} h"


def _first_line(error: Exception) -> str:
    """The gist of an exception's message: its first line (pydantic's run to several)."""
    from zz_core.text import one_line

    lines = str(error).strip().splitlines()
    return one_line(lines[0] if lines else type(error).__name__, 200)


def _analysis_options(args: argparse.Namespace) -> AnalysisOptions:
    """The track options, the genre checked first (``ZzError`` naming the valid ones)."""
    from zz_core.services.analyses import analysis_options  # late: --help answers at once

    return analysis_options(args.context, args.genre, args.subgenre)


def _options_and_config(args: argparse.Namespace) -> tuple[AnalysisOptions, ProviderConfig]:
    from zz_core.advise import providers

    return _analysis_options(args), _provider_config(args, providers.config_from_env())


def _analysed(paths: Sequence[str], reference_path: str | None, options: AnalysisOptions,
              err: TextIO, previous_path: str | None = None) -> Iterator[AnalysisResult | None]:
    """Each file's analysis in order, compared with the reference when there is one (and
    with the previous version, ``changes``, when given); None for a file that failed
    (reported on ``err``), and a single None when the reference or previous version
    itself failed."""
    from zz_core.services.analyses import analyse_files

    outcomes = analyse_files(paths, reference_path, options, previous_path)
    for outcome in _progress(outcomes, len(paths), err):
        if outcome.error is not None:
            print(f"zz_core: {outcome.path}: {outcome.error}", file=err)
        yield outcome.result


def _analyse_with_reference(paths: Sequence[str], reference_path: str | None,
                            options: AnalysisOptions, err: TextIO) -> list[AnalysisResult]:
    """Every file analysed (compared with the reference, if any); [] when any failed."""
    results = []
    for result in _analysed(paths, reference_path, options, err):
        if result is None:
            return []
        results.append(result)
    return results


def _write_about_one_track(args: argparse.Namespace, out: TextIO, err: TextIO,
                           write: Callable[[ProviderConfig, AnalysisResult], str]) -> int:
    """Analyse ``args.file`` (against ``args.reference``) and print what ``write`` makes
    of it with the configured provider; each failure is one line on ``err``."""
    try:
        options, config = _options_and_config(args)
    except ZzError as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    results = _analyse_with_reference([args.file], args.reference, options, err)
    if not results:
        return EXIT_FAILED
    try:
        text = write(config, results[0])
    except ZzError as error:
        print(f"zz_core: {args.file}: {error}", file=err)
        return EXIT_FAILED
    out.write(text + "\n")
    return EXIT_OK


def run_feedback(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from zz_core.output.console import format_feedback
    from zz_core.services.conversations import write_feedback

    def write(config: ProviderConfig, result: AnalysisResult) -> str:
        feedback = write_feedback(config, result, args.profile)
        return feedback.model_dump_json() if args.json else format_feedback(feedback)

    return _write_about_one_track(args, out, err, write)


def run_chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Answer one question about a track as the app's follow-up questions do: the same
    engine (``services.conversations.track_answer``), the passages about it cited."""
    from zz_core.output.console import format_answer
    from zz_core.services.conversations import track_answer

    if not args.question.strip():
        print("zz_core: type a question after --question", file=err)
        return EXIT_FAILED

    def write(config: ProviderConfig, result: AnalysisResult) -> str:
        answer = track_answer(config, result, args.question, profile=args.profile)
        return (answer.model_dump_json(include={"answer", "sources", "usage"}) if args.json
                else format_answer(answer))

    return _write_about_one_track(args, out, err, write)


def run_ask(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from zz_core.advise import providers
    from zz_core.output.console import format_answer
    from zz_core.services import docs

    try:
        config = _provider_config(args, providers.config_from_env())
        reply = docs.answer(args.question, config, args.top_k)
    except (ZzError, ValueError) as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    out.write((reply.model_dump_json() if args.json else format_answer(reply)) + "\n")
    return EXIT_OK


def run_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from zz_core.services import reports

    try:
        options, config = _options_and_config(args)
    except ZzError as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    results = _analyse_with_reference(args.files, args.reference, options, err)
    if not results:
        return EXIT_FAILED
    try:
        pdf = (reports.written_track_report(results[0], config, profile=args.profile,
                                            naming=args.naming) if len(results) == 1
               else reports.written_album_report(results, config, profile=args.profile))
        with open(args.out, "wb") as target:
            target.write(pdf)
    except (ZzError, OSError) as error:
        print(f"zz_core: {args.out}: {error}", file=err)
        return EXIT_FAILED
    out.write(f"wrote {args.out} ({len(pdf) // 1024} KB)\n")
    return EXIT_OK


def _provider_config(args: argparse.Namespace, config: ProviderConfig) -> ProviderConfig:
    from zz_core.advise.providers import DEFAULT_OPENAI_MODEL, OFFLINE_MODEL

    provider = args.provider or config.provider
    model = args.model or (config.model if provider == config.provider else None)
    model = model or (OFFLINE_MODEL if provider == "offline" else DEFAULT_OPENAI_MODEL)
    return config.with_overrides(provider=provider, model=model, base_url=args.base_url)


def _emit(result: AnalysisResult, as_json: bool, out: TextIO) -> None:
    from zz_core.output.console import format_report

    out.write((result.model_dump_json() if as_json else format_report(result)) + "\n")
    out.flush()


def _progress(items: Iterable[T], total: int, err: TextIO) -> Iterator[T]:
    """Items with a progress bar on stderr when it is a terminal and there are several."""
    if total < 2 or not err.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, file=err, unit="track", desc="Analysing")


# --- catalogue batches (the scale-out issue) --------------------------------------------------


def _add_batch_command(commands: argparse._SubParsersAction) -> None:
    batch = commands.add_parser(
        "batch", help="analyse a catalogue: files, folders (recursively, audio files only) "
        "and s3://bucket/prefix prefixes, one row per file in a JSON Lines, CSV or Parquet "
        "file; through the queue's workers when ZZ_QUEUE_URL is set, else in this machine's "
        "processes")
    batch.add_argument("paths", nargs="+", metavar="PATH")
    batch.add_argument("--out", required=True, metavar="FILE",
                       help="results.jsonl (full analysis JSON per row, as analyze --json), "
                       "results.csv or results.parquet (headline figures); written as it "
                       "goes, replaced unless --resume")
    _add_track_options(batch, reference=False)
    batch.add_argument("--resume", action="store_true",
                       help="keep the rows already in --out and skip their files (same "
                       "path and content)")
    batch.add_argument("--workers", type=int, default=None, metavar="N",
                       help="analysis processes without a queue (default: one per CPU core)")


def run_batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Analyse the catalogue into ``--out``; the summary on ``out``, each failure one line
    on ``err``. Exit status 2 when any file failed."""
    from zz_core import fmt
    from zz_core.config import load_settings
    from zz_core.services.batch import run_batch as analyse_catalogue

    try:
        options = _analysis_options(args)
        summary = analyse_catalogue(args.paths, args.out, options, load_settings(),
                                    resume=args.resume, workers=args.workers,
                                    progress=lambda total: _batch_bar(total, err))
    except ZzError as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    for file, reason in summary.failures:
        print(f"zz_core: {file}: {reason}", file=err)
    ran = summary.analysed + len(summary.failures)
    each = f", {fmt.number(summary.seconds / ran, 1)} s per file" if ran else ""
    out.write(f"Batch: {summary.files} audio files in {fmt.duration(summary.seconds)}{each}\n"
              f"  analysed: {summary.analysed}\n  failed: {len(summary.failures)}\n"
              f"  already in the output (skipped): {summary.skipped}\n"
              f"  other files (not audio, ignored): {summary.ignored}\n"
              f"Results: {args.out}\n")
    for file, reason in summary.failures[:SUMMARY_FAILURES]:
        out.write(f"  failed: {file}: {reason}\n")
    if len(summary.failures) > SUMMARY_FAILURES:
        out.write(f"  ... and {len(summary.failures) - SUMMARY_FAILURES} more failures "
                  "(rows with an error in the output)\n")
    return EXIT_FAILED if summary.failures else EXIT_OK


def _batch_bar(total: int, err: TextIO) -> Callable[[object], None]:
    """The progress bar of a batch on ``err`` when it is a terminal (closed at the end)."""
    if total < 1 or not err.isatty():
        return lambda _outcome: None
    from tqdm import tqdm

    bar = tqdm(total=total, file=err, unit="file", desc="Analysing")

    def tell(_outcome: object) -> None:
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return tell


# --- the queue worker (the scale-out issue) ---------------------------------------------------


def _add_worker_command(commands: argparse._SubParsersAction) -> None:
    from zz_core.vocab import QUEUE_NAMES

    worker = commands.add_parser(
        "worker", help="analyse jobs from the queue (ZZ_QUEUE_URL=redis://...) with this "
        "machine's database and storage settings, until stopped (SIGTERM finishes the "
        "running jobs first)")
    worker.add_argument("--concurrency", type=int, default=None, metavar="N",
                        help="analyses at once (default: one per CPU core)")
    worker.add_argument("--queues", default=",".join(QUEUE_NAMES),
                        help="comma-separated queues to take work from (default: "
                        f"{','.join(QUEUE_NAMES)}; 'interactive' alone keeps a worker "
                        "for producers waiting in the browser)")
    worker.add_argument("--loglevel", default="INFO", help="default: INFO")


def run_worker(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import os

    from zz_core.services.worker import run_worker as start_worker
    from zz_core.services.worker import worker_settings

    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    try:
        start_worker(worker_settings(), args.concurrency or os.cpu_count() or 1, queues,
                     args.loglevel)
    except ZzError as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    return EXIT_OK
