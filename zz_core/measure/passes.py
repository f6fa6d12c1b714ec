"""Every measurement in one pass over the audio, block by block, so that memory does not
grow with the length of the file.

Each measurement is a block accumulator that keeps its own state across block edges
(filter state, overlap, interpolator history, the open segment, DR block, clipped run or
decimation chunk) and gives the same values as one pass over the whole array. The
accumulators are grouped in lanes, each on its own worker thread (the true-peak and
K-weighting kernels, the FFTs and most numpy loops release the GIL): one lane per
channel's true peak, one for loudness, one for the STFT pass (spectrum and stereo), one
for the low-rate feature pass, one for the per-channel statistics and the waveform
overview. A block is shared read-only by the lanes; at most ``IN_FLIGHT`` blocks wait in
any lane, so the reader (the decoder) stays just ahead of the slowest lane.

What is kept for the end is small and grows with the length only as the per-100 ms
series do (plus the feature pass's per-frame mel and chroma data, about 23 MB per 10
minutes at 48 kHz): about 270 MB for 3 h of 48 kHz stereo, against 4 GB for the samples.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from zz_core.measure import features, loudness, peaks, spectrum, stereo, truepeak
from zz_core.measure.envelope import Envelope, EnvelopeMeter
from zz_core.measure.scope import VectorscopeData, VectorscopeMeter

BLOCK_FRAMES = 2**18  # frames per block when measuring an array already in memory
IN_FLIGHT = 3  # blocks a lane may have waiting before the reader waits for it


@dataclass(frozen=True)
class Measurements:
    """What one pass over the audio measured, before any judging.

    ``segments``: the K-weighted 100 ms mean squares (``loudness.segment_mean_squares``);
    ``products``: the front pair's per-segment L*L, R*R, L*R (``stereo.segment_products``);
    ``envelope``: None when the length that decoded matched none of the steps kept (read
    the audio again with ``envelope_of``); ``vectorscope``: the programme's (side, mid)
    density (``measure.scope``), None for silence. The spectrogram travels with the STFT
    pass (``spectral_frames.spectrogram``).
    """

    sample_rate_hz: int
    channels: int
    frames: int
    segments: np.ndarray
    true_peaks: list[truepeak.ChannelTruePeak]
    block_stats: list[peaks.BlockStats]
    clip_runs: list[list[tuple[float, float]]]
    channel_peaks: list[peaks.ChannelPeaks]
    over_stretches: list[peaks.OverStretch]
    spectral_frames: spectrum.SpectralFrames
    products: tuple[np.ndarray, np.ndarray, np.ndarray]
    music: features.MusicFeatures
    envelope: Envelope | None
    vectorscope: VectorscopeData | None = None

    @property
    def segment(self) -> int:
        """Samples in one 100 ms segment."""
        return loudness.segment_length(self.sample_rate_hz)

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate_hz


class _Lane:
    """Work done in order on one worker thread: each block, then the finishing step."""

    def __init__(self, name: str, feed: Callable[[np.ndarray], None]) -> None:
        self._feed = feed
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"zz-{name}")
        self._pending: deque[Future[Any]] = deque()

    def submit(self, block: np.ndarray) -> None:
        self._pending.append(self._pool.submit(self._feed, block))

    def wait(self, most: int) -> None:
        """Wait until at most ``most`` blocks are pending (raising what failed)."""
        while len(self._pending) > most:
            self._pending.popleft().result()

    def call(self, work: Callable[[], Any]) -> Future[Any]:
        return self._pool.submit(work)

    def close(self) -> None:
        for job in self._pending:
            job.cancel()
        self._pool.shutdown(wait=True)


class _ChannelStats:
    """The per-channel statistics lane: DR blocks, DC and peaks, clipped runs, overs and
    the waveform overview."""

    def __init__(self, rate: int, channels: int, merge_gap_s: float, points: int,
                 expected_frames: int | None, exact: bool) -> None:
        self.blocks = [peaks.BlockStatsMeter(rate) for _ in range(channels)]
        self.meters = [peaks.ChannelMeter() for _ in range(channels)]
        self.runs = [peaks.ClippedRuns(rate) for _ in range(channels)]
        self.overs = peaks.OverStretches(rate, merge_gap_s)
        self.envelope = EnvelopeMeter(rate, points, expected_frames,
                                      spread=0 if exact else 2)

    def feed(self, block: np.ndarray) -> None:
        for index, channel in enumerate(block):
            self.blocks[index].feed(channel)
            self.meters[index].feed(channel)
            self.runs[index].feed(channel)
        self.overs.feed(block)
        self.envelope.feed(block)


class _Loudness:
    """The loudness lane: the K-weighted 100 ms segments, and the vectorscope, whose
    programme gate needs them."""

    def __init__(self, rate: int, channels: int) -> None:
        self.meter = loudness.SegmentMeter(rate, channels)
        self.scope = VectorscopeMeter(loudness.segment_length(rate))

    def feed(self, block: np.ndarray) -> None:
        self.scope.feed(block, self.meter.feed(block))

    def finish(self) -> tuple[np.ndarray, VectorscopeData | None]:
        segments = self.meter.finish()
        momentary = loudness.window_mean_squares(segments, loudness.MOMENTARY_SEGMENTS)
        return segments, self.scope.finish(loudness.gated_integrated_lufs(momentary))


class _Spectral:
    """The STFT lane: spectrum frames and the stereo segment products."""

    def __init__(self, rate: int) -> None:
        self.frames = spectrum.FrameAnalyser(rate)
        self.products = stereo.SegmentProducts(loudness.segment_length(rate))

    def feed(self, block: np.ndarray) -> None:
        self.frames.feed(block)
        self.products.feed(block)


class MeasurePass:
    """Feed (channels, frames) float32 blocks in order, then ``finish``; use it as a
    context manager (its worker threads stop on leaving).

    ``expected_frames`` is the length if known (``exact``) or estimated (None if not
    known): only the waveform overview's step depends on it. ``merge_gap_s`` joins the
    samples above full scale into stretches; ``points`` is the overview's resolution.
    """

    def __init__(self, sample_rate_hz: int, channels: int, *, merge_gap_s: float,
                 points: int, expected_frames: int | None = None,
                 exact: bool = False) -> None:
        rate = int(sample_rate_hz)
        self._rate, self._channels, self._frames = rate, channels, 0
        segment = loudness.segment_length(rate)
        self._true_peaks = [truepeak.TruePeakMeter(rate, segment) for _ in range(channels)]
        self._loudness = _Loudness(rate, channels)
        self._spectral = _Spectral(rate)
        self._features = features.FeatureAnalyser(rate, channels)
        self._stats = _ChannelStats(rate, channels, merge_gap_s, points, expected_frames,
                                    exact)
        self._lanes: list[_Lane] = []
        try:
            self._lanes = [_Lane(f"truepeak{index}", _channel_feeder(meter, index))
                           for index, meter in enumerate(self._true_peaks)]
            self._lanes += [_Lane("loudness", self._loudness.feed),
                            _Lane("spectrum", self._spectral.feed),
                            _Lane("features", self._features.feed),
                            _Lane("stats", self._stats.feed)]
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> MeasurePass:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def feed(self, block: np.ndarray) -> None:
        """The next block, shape (channels, frames), float32; it must not change after."""
        if block.shape[0] != self._channels:
            raise ValueError(f"expected {self._channels} channels, got {block.shape[0]}")
        self._frames += block.shape[1]
        for lane in self._lanes:
            lane.submit(block)
        for lane in self._lanes:
            lane.wait(IN_FLIGHT)

    def finish(self) -> Measurements:
        """Every measurement of the blocks fed."""
        for lane in self._lanes:
            lane.wait(0)
        channels = self._channels
        lanes = self._lanes
        tp_jobs = [lanes[i].call(meter.finish) for i, meter in enumerate(self._true_peaks)]
        loud_job = lanes[channels].call(self._loudness.finish)
        spectral = self._spectral
        frames_job = lanes[channels + 1].call(
            lambda: (spectral.frames.finish(), spectral.products.finish()))
        music_job = lanes[channels + 2].call(self._features.finish)
        stats = self._stats
        runs = [finder.finish() for finder in stats.runs]
        frames, products = frames_job.result()
        segments, scope = loud_job.result()
        return Measurements(
            sample_rate_hz=self._rate,
            channels=channels,
            frames=self._frames,
            segments=segments,
            true_peaks=[job.result() for job in tp_jobs],
            block_stats=[meter.finish() for meter in stats.blocks],
            clip_runs=runs,
            channel_peaks=[meter.finish(index, channels, self._rate, runs[index])
                           for index, meter in enumerate(stats.meters)],
            over_stretches=stats.overs.finish(),
            spectral_frames=frames,
            products=products,
            music=music_job.result(),
            envelope=stats.envelope.finish(),
            vectorscope=scope,
        )

    def close(self) -> None:
        """Stop the worker threads (what is pending is dropped) and drop the temporary
        files the feature pass keeps."""
        for lane in self._lanes:
            lane.close()
        self._features.close()


def _channel_feeder(meter: truepeak.TruePeakMeter,
                    index: int) -> Callable[[np.ndarray], None]:
    def feed(block: np.ndarray) -> None:
        meter.feed(block[index])
    return feed


def measure_blocks(blocks: Iterable[np.ndarray], sample_rate_hz: int, channels: int, *,
                   merge_gap_s: float, points: int, expected_frames: int | None = None,
                   exact: bool = False) -> Measurements:
    """Every measurement of the (channels, frames) float32 ``blocks``, in one pass."""
    with MeasurePass(sample_rate_hz, channels, merge_gap_s=merge_gap_s, points=points,
                     expected_frames=expected_frames, exact=exact) as measuring:
        for block in blocks:
            measuring.feed(block)
        return measuring.finish()


def array_blocks(samples: np.ndarray, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
    """(channels, frames) audio as float32 blocks of ``block_frames`` frames (views when
    the array already is float32)."""
    for start in range(0, samples.shape[1], block_frames):
        yield np.asarray(samples[:, start:start + block_frames], dtype=np.float32)


def envelope_of(blocks: Iterable[np.ndarray], sample_rate_hz: int, frames: int,
                points: int) -> Envelope:
    """The waveform overview of ``frames`` frames of blocks (a second reading, for a file
    whose length decoded to none of the steps the first one kept)."""
    meter = EnvelopeMeter(sample_rate_hz, points, frames, spread=0)
    for block in blocks:
        meter.feed(block)
    result = meter.finish()
    if result is None:
        raise ValueError("the audio read again has another length")
    return result
