"""Command line: ``python -m zz_core analyze FILE [FILE ...]``, ``feedback FILE``,
``ask "QUESTION"`` and ``report FILE [FILE ...] --out report.pdf`` (``--help`` on each).

Exit status: 0 when every file was analysed, 2 when any could not be (bad file, bad
option); each failure is one line on stderr naming the file and the reason.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TextIO, TypeVar

from zz_core.errors import ZzError
from zz_core.vocab import CONTEXTS, NAMINGS, PROFILES, PROVIDERS

if TYPE_CHECKING:
    from zz_core.advise.providers import ProviderConfig
    from zz_core.judge.models import AnalysisOptions, AnalysisResult

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m zz_core",
                                     description="ZoundZcope mix and master analysis.")
    commands = parser.add_subparsers(dest="command", required=True)
    analyze = commands.add_parser("analyze", help="measure tracks (loudness, peaks, tempo, "
                                  "key, stereo, spectrum, issues, platforms)")
    analyze.add_argument("files", nargs="+", metavar="FILE")
    analyze.add_argument("--genre", help="e.g. electronic, hiphop, rock (default: generic)")
    analyze.add_argument("--subgenre", help="e.g. techno, trap; free text is accepted")
    analyze.add_argument("--context", choices=CONTEXTS,
                         default="mixdown", help="what the track is (default: mixdown)")
    analyze.add_argument("--reference", metavar="FILE", help="compare with this track")
    analyze.add_argument("--json", action="store_true",
                         help="one JSON object per file, one per line")
    _add_feedback_command(commands)
    _add_ask_command(commands)
    _add_report_command(commands)
    return parser


def _add_track_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--genre", help="e.g. electronic, hiphop, rock (default: generic)")
    command.add_argument("--subgenre", help="e.g. techno, trap; free text is accepted")
    command.add_argument("--context", choices=CONTEXTS,
                         default="mixdown", help="what the track is (default: mixdown)")
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
    commands = {"analyze": run_analyze, "feedback": run_feedback, "ask": run_ask,
                "report": run_report}
    return commands[args.command](args, out, err)


def run_analyze(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        options = _analysis_options(args)
    except ZzError as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    status = EXIT_OK
    for result in _analysed(args.files, args.reference, options, err):
        if result is None:
            status = EXIT_FAILED
            continue
        _emit(result, args.json, out)
    return status


def _analysis_options(args: argparse.Namespace) -> AnalysisOptions:
    """The track options, the genre checked first (``ZzError`` naming the valid ones)."""
    from zz_core.services.analyses import analysis_options  # late: --help answers at once

    return analysis_options(args.context, args.genre, args.subgenre)


def _options_and_config(args: argparse.Namespace) -> tuple[AnalysisOptions, ProviderConfig]:
    from zz_core.advise import providers

    return _analysis_options(args), _provider_config(args, providers.config_from_env())


def _analysed(paths: Sequence[str], reference_path: str | None, options: AnalysisOptions,
              err: TextIO) -> Iterator[AnalysisResult | None]:
    """Each file's analysis in order, compared with the reference when there is one; None
    for a file that failed (reported on ``err``), and a single None when the reference
    itself failed."""
    from zz_core.services.analyses import analyse_files

    outcomes = analyse_files(paths, reference_path, options)
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


def run_feedback(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from zz_core.output.console import format_feedback
    from zz_core.services.conversations import write_feedback

    try:
        options, config = _options_and_config(args)
    except ZzError as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    results = _analyse_with_reference([args.file], args.reference, options, err)
    if not results:
        return EXIT_FAILED
    try:
        feedback = write_feedback(config, results[0], args.profile)
    except ZzError as error:
        print(f"zz_core: {args.file}: {error}", file=err)
        return EXIT_FAILED
    out.write((feedback.model_dump_json() if args.json else format_feedback(feedback)) + "\n")
    return EXIT_OK


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
