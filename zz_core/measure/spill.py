"""Arrays kept for the end of a pass on a temporary file rather than in memory.

The feature pass needs its per-frame mel powers and pitch-class histograms once the whole
file has been read (their normalisation depends on the loudest frame and on the tuning);
written to disk as they come, a 3-hour file costs a few hundred MB of disk instead of
memory. Should the file not be writable (no temporary space), they stay in memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

import numpy as np


class Spill:
    """Arrays appended in order and read back in the same order (each a fresh array)."""

    def __init__(self) -> None:
        self._shapes: list[tuple[tuple[int, ...], np.dtype]] = []
        self._memory: list[np.ndarray] | None = None
        self._file: IO[bytes] | None = None
        try:
            self._file = tempfile.TemporaryFile(prefix="zz-spill-")  # noqa: SIM115
        except OSError:
            self._memory = []

    def __len__(self) -> int:
        return len(self._shapes)

    def append(self, array: np.ndarray) -> None:
        """Keep a copy of ``array``."""
        data = np.ascontiguousarray(array)
        if self._file is not None:
            try:
                self._file.write(data.tobytes())
            except OSError:  # the disk is full: keep everything in memory from here on
                self._to_memory()
        if self._memory is not None:
            self._memory.append(data.copy())
        self._shapes.append((data.shape, data.dtype))

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._memory is not None:
            yield from self._memory
            return
        assert self._file is not None
        self._file.flush()
        self._file.seek(0)
        for shape, dtype in self._shapes:
            size = int(np.prod(shape)) * dtype.itemsize
            yield np.frombuffer(self._file.read(size), dtype=dtype).reshape(shape).copy()
        self._file.seek(0, 2)

    def close(self) -> None:
        """Drop the temporary file (the arrays are gone)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._memory = self._memory if self._memory is None else []

    def _to_memory(self) -> None:
        file = self._file
        assert file is not None
        self._memory = []
        file.seek(0)
        for shape, dtype in self._shapes:
            size = int(np.prod(shape)) * dtype.itemsize
            self._memory.append(np.frombuffer(file.read(size), dtype=dtype).reshape(shape))
        file.close()
        self._file = None
