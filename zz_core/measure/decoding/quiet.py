"""Keeping libmpg123's notes off the process's stderr.

libsndfile decodes MP3 with libmpg123, which prints what it meets in a damaged stream
("Note: Illegal Audio-MPEG-Header 0x... at offset ...", "Note: Trying to resync...")
straight to file descriptor 2, where the command line promises one line per bad file.
Around libsndfile's MP3 calls, descriptor 2 points at a temporary file; afterwards it is
restored and whatever else was written meanwhile (by another thread) is passed on, less
libmpg123's lines. Nested and concurrent uses share one redirection.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO

_MPG123_LINE = re.compile(
    rb"^(?:Note|Warning|Error): |^\[src/libmpg123/|^\[[^\]]*mpg123[^\]]*\]|mpg123", re.I)
_STDERR_FD = 2

_lock = threading.Lock()
_depth = 0
_saved_fd = -1
_capture: IO[bytes] | None = None


@contextmanager
def quiet_native_stderr(active: bool = True) -> Iterator[None]:
    """While inside, what native code writes to descriptor 2 is held back; libmpg123's
    lines are dropped and the rest is written to the real stderr on leaving."""
    if not active or not _redirect():
        yield
        return
    try:
        yield
    finally:
        _restore()


def _redirect() -> bool:
    """Point descriptor 2 at a temporary file (once for every nested user); False when
    that cannot be done (no descriptor 2, no temporary space): then nothing changes."""
    global _depth, _saved_fd, _capture
    with _lock:
        if _depth == 0:
            with suppress(AttributeError, OSError, ValueError):
                sys.stderr.flush()
            try:
                capture = tempfile.TemporaryFile(prefix="zz-stderr-")  # noqa: SIM115
            except OSError:
                return False
            try:
                saved = os.dup(_STDERR_FD)
                os.dup2(capture.fileno(), _STDERR_FD)
            except OSError:
                capture.close()
                return False
            _saved_fd, _capture = saved, capture
        _depth += 1
        return True


def _restore() -> None:
    global _depth, _saved_fd, _capture
    with _lock:
        _depth -= 1
        if _depth or _capture is None:
            return
        capture, saved = _capture, _saved_fd
        _capture, _saved_fd = None, -1
        with suppress(AttributeError, OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, _STDERR_FD)
        os.close(saved)
        with capture:
            capture.seek(0)
            kept = [line for line in capture.read().splitlines(keepends=True)
                    if not _MPG123_LINE.search(line)]
        if kept:
            with suppress(OSError):
                os.write(_STDERR_FD, b"".join(kept))
