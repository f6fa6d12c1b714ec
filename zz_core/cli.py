"""Command line: ``python -m zz_core analyze FILE [FILE ...] [options]``.

Exit status: 0 when every file was analysed, 2 when any could not be (bad file, bad
option); each failure is one line on stderr naming the file and the reason.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TextIO, TypeVar, Union

from zz_core.errors import ZzError

if TYPE_CHECKING:
    from zz_core.analysis import AnalysisOptions, AnalysisResult
    from zz_core.decoding import Audio

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
    analyze.add_argument("--context", choices=["mixdown", "mastering", "master"],
                         default="mixdown", help="what the track is (default: mixdown)")
    analyze.add_argument("--reference", metavar="FILE", help="compare with this track")
    analyze.add_argument("--json", action="store_true",
                         help="one JSON object per file, one per line")
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    return run_analyze(args, out, err)


def run_analyze(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from zz_core import genres  # imported late so that --help answers at once
    from zz_core.analysis import AnalysisOptions

    try:
        genres.resolve_targets(args.genre, args.subgenre)
        options = AnalysisOptions(context=args.context, genre=args.genre,
                                  subgenre=args.subgenre)
    except ZzError as error:
        print(f"zz_core: {error}", file=err)
        return EXIT_FAILED
    reference = None
    if args.reference:
        reference = _analyse_one(args.reference, _decode(args.reference), options, err)
        if reference is None:
            return EXIT_FAILED
    status = EXIT_OK
    for path, decoded in _progress(_decoded_ahead(args.files), len(args.files), err):
        result = _analyse_one(path, decoded, options, err)
        if result is None:
            status = EXIT_FAILED
            continue
        if reference is not None:
            from zz_core.analysis import with_reference

            result = with_reference(result, reference)
        _emit(result, args.json, out)
    return status


Decoded = Union["Audio", ZzError, MemoryError]


def _decode(path: str) -> Decoded:
    """The decoded audio, or the error that stopped it (reported in file order later)."""
    from zz_core.decoding import load_audio

    try:
        return load_audio(path)
    except (ZzError, MemoryError) as error:
        return error


def _decoded_ahead(paths: Sequence[str]) -> Iterator[tuple[str, Decoded]]:
    """(path, audio) in order, decoding the next file on a thread while the caller
    analyses the current one (decoding releases the GIL)."""
    if not paths:
        return
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = reader.submit(_decode, paths[0])
        for index, path in enumerate(paths):
            decoded = pending.result()
            if index + 1 < len(paths):
                pending = reader.submit(_decode, paths[index + 1])
            yield path, decoded
            del decoded


def _analyse_one(path: str, decoded: Decoded, options: AnalysisOptions,
                 err: TextIO) -> AnalysisResult | None:
    from zz_core.analysis import analyze_audio

    try:
        if isinstance(decoded, BaseException):
            raise decoded
        return analyze_audio(decoded, options, file_name=os.path.basename(path))
    except ZzError as error:
        print(f"zz_core: {path}: {error}", file=err)
    except MemoryError:
        print(f"zz_core: {path}: not enough memory to analyse this file", file=err)
    return None


def _emit(result: AnalysisResult, as_json: bool, out: TextIO) -> None:
    from zz_core.console import format_report

    out.write((result.model_dump_json() if as_json else format_report(result)) + "\n")
    out.flush()


def _progress(items: Iterable[T], total: int, err: TextIO) -> Iterator[T]:
    """Items with a progress bar on stderr when it is a terminal and there are several."""
    if total < 2 or not err.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, file=err, unit="track", desc="Analysing")
