"""Drum transcription from the full mix: when kick, snare, hi-hat, toms and cymbals play.

No package on the registries ships weights for drum transcription from a mixed song or
for source separation (demucs and omnizart download theirs at run time; ADTLib's shipped
models score kick F 0.24 on mixes and need TensorFlow). So onebeat ships its own small
models: two convolutional networks over log-mel frames (four 3×3 convolutions with
frequency pooling, then temporal convolutions: each frame sees ±0.14 s), run with
onnxruntime, their activations averaged. ``scripts/train_drum_model.py`` trains each on
songs made from real drummers' performances (the Groove MIDI Dataset, CC BY 4.0),
Debian's multi-velocity sampled kits (``hydrogen-drumkits``) and soundfont kits, with
accompaniment and record-like production (``scripts/drumdata.py``), each on its own
recipe. Their weights are ``onebeat/data/drums_cnn*.onnx`` (under 1 MB each), their
per-class thresholds in their metadata. ``bench/chart_quality.py --real-drums``
measures it on real multitracks, against a training-free reference (onsets in three
frequency bands).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import librosa
import numpy as np
import onnxruntime as ort
from scipy.ndimage import maximum_filter1d

from onebeat.audio.decode import resample
from onebeat.audio.frames import centred_frames

__all__ = [
    "DRUM_CLASSES",
    "FPS",
    "SR",
    "DrumAnalysis",
    "DrumOnsets",
    "class_of_gm_note",
    "class_thresholds",
    "drum_activations",
    "frame_features",
    "model_fingerprint",
    "onsets_from_activations",
    "pick_onsets",
    "threads_per_process",
    "transcribe_drums",
]

#: Sample rate of the drum front end [Hz].
SR = 44100
#: Analysis hop [samples]: 100 frames per second.
HOP = 441
#: Frames per second of activations.
FPS = SR / HOP
N_FFT = 2048
N_MELS = 80
#: The mel bands' edges [Hz].
FMIN, FMAX = 30.0, 17000.0
#: Context frames before and after the frame being classified.
CONTEXT = (3, 5)
#: Loudness every song is brought to before its features are taken (RMS).
TARGET_RMS = 0.1

#: What the model tells apart, in the order of its outputs.
DRUM_CLASSES: tuple[str, ...] = ("kick", "snare", "hihat", "hihat_open", "tom", "crash", "ride")

_CLASS_OF_NOTE = {
    35: "kick",
    36: "kick",
    37: "snare",
    38: "snare",
    39: "snare",
    40: "snare",
    42: "hihat",
    44: "hihat",
    46: "hihat_open",
    41: "tom",
    43: "tom",
    45: "tom",
    47: "tom",
    48: "tom",
    50: "tom",
    49: "crash",
    52: "crash",
    55: "crash",
    57: "crash",
    51: "ride",
    53: "ride",
    59: "ride",
}


def class_of_gm_note(note: int) -> str | None:
    """The transcription class of a General MIDI percussion note (None: not a kit piece)."""
    return _CLASS_OF_NOTE.get(note)


@functools.cache
def _mel_basis() -> np.ndarray:
    return np.asarray(
        librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX),
        dtype=np.float32,
    )


def frame_features(*, y: np.ndarray, sr: int = SR) -> np.ndarray:
    """Per-frame features: log-mel magnitude and its rise from the previous frame.

    Parameters
    ----------
    y : np.ndarray
        Mono audio at :data:`SR`.
    sr : int
        Its sample rate [Hz]; must be :data:`SR`.

    Returns
    -------
    np.ndarray, shape (n_frames, 2 * N_MELS), float32
        Frame ``k`` is centred on sample ``k * HOP``.
    """
    logmel = _log_mel(y=y, sr=sr)
    out = np.empty((len(logmel), 2 * N_MELS), dtype=np.float32)
    out[:, :N_MELS] = logmel
    del logmel
    # the rise from the previous frame (none for the first), written in place
    rise = out[:, N_MELS:]
    rise[0] = 0.0
    np.subtract(out[1:, :N_MELS], out[:-1, :N_MELS], out=rise[1:])
    np.maximum(rise, 0.0, out=rise)
    return out


def _log_mel(*, y: np.ndarray, sr: int) -> np.ndarray:
    """The log-mel half of :func:`frame_features`, shape (n_frames, N_MELS), float32."""
    if sr != SR:
        raise ValueError(f"drum features need audio at {SR} Hz, got {sr}")
    y = np.asarray(y, dtype=np.float32)
    # the song's loudness, summed a block at a time (a float64 copy of a long song is big)
    power = sum(
        float(np.dot(b.astype(np.float64), b)) for b in np.array_split(y, 1 + len(y) // 2**20)
    )
    rms = float(np.sqrt(power / max(len(y), 1)))
    gain = float(np.float32(TARGET_RMS / rms)) if rms > 0 else 1.0
    mel = centred_frames(
        y,
        n_fft=N_FFT,
        hop=HOP,
        gain=gain,
        reduce=lambda spec: np.log1p(100.0 * (_mel_basis() @ spec)).astype(np.float32),
    )
    return np.ascontiguousarray(mel.T)


@dataclass(frozen=True)
class _Model:
    sessions: tuple[ort.InferenceSession, ...]
    thresholds: np.ndarray
    classes: tuple[str, ...]


#: The networks whose activations are averaged: each trained by
#: ``scripts/train_drum_model.py`` on its own recipe (``--recipe``), so that they err
#: differently (``onebeat/data/drums_cnn.md``).
MEMBERS = ("drums_cnn.onnx", "drums_cnn_r1.onnx")


def _weights() -> list[Traversable]:
    return [resources.files("onebeat") / "data" / name for name in MEMBERS]


def threads_per_process() -> int:
    """Threads a network may run on here: ``$ONEBEAT_THREADS`` (a batch's worker sets it
    to its share of the cores), else 0 (onnxruntime's choice: every core)."""
    try:
        return max(0, int(os.environ.get("ONEBEAT_THREADS", "0")))
    except ValueError:
        return 0


@functools.cache
def _load_model() -> _Model:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads_per_process()
    # no memory arena: an arena keeps the largest run's memory for the rest of the
    # process (~280 MiB for the two networks), the same time without it
    opts.enable_cpu_mem_arena = False
    sessions, thresholds, classes = [], [], set()
    for weights in _weights():
        session = ort.InferenceSession(
            weights.read_bytes(), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        meta = session.get_modelmeta().custom_metadata_map
        sessions.append(session)
        thresholds.append(np.asarray(json.loads(meta["thresholds"]), dtype=float))
        classes.add(tuple(json.loads(meta["classes"])))
    if len(classes) != 1:
        raise RuntimeError(f"the drum models {MEMBERS} do not share their classes")
    # each member's threshold was chosen for its own activations; their mean is the
    # threshold of the mean activation
    return _Model(
        sessions=tuple(sessions),
        thresholds=np.mean(thresholds, axis=0),
        classes=classes.pop(),
    )


def class_thresholds() -> dict[str, float]:
    """The activation each class's onsets must reach (the members' thresholds, averaged)."""
    model = _load_model()
    return {name: float(t) for name, t in zip(model.classes, model.thresholds, strict=True)}


#: Frames the network runs on at once (a minute: bounded memory on long songs), and the
#: frames of context added on each side of a chunk (more than the network sees).
CHUNK_FRAMES = 6000
CHUNK_CONTEXT = 32


def drum_activations(*, y: np.ndarray, sr: int = SR) -> np.ndarray:
    """Per frame and class, the model's probability that the drum starts there.

    Returns
    -------
    np.ndarray, shape (n_frames, len(DRUM_CLASSES)), float32
    """
    model = _load_model()
    logmel = _log_mel(y=y, sr=sr)
    n = len(logmel)
    out = np.zeros((n, len(model.classes)), np.float32)
    for start in range(0, n, CHUNK_FRAMES):
        lo, hi = max(0, start - CHUNK_CONTEXT), min(n, start + CHUNK_FRAMES + CHUNK_CONTEXT)
        stop = min(n, start + CHUNK_FRAMES)
        for session in model.sessions:
            (act,) = session.run(None, {"logmel": logmel[None, lo:hi]})
            out[start:stop] += act[0, start - lo : stop - lo]
    return out / np.float32(len(model.sessions))


def pick_onsets(
    activation: np.ndarray, *, threshold: float, fps: float = FPS, min_gap: float = 0.03
) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of an activation curve above a threshold.

    Parameters
    ----------
    activation : np.ndarray
        One class's activation per frame.
    threshold : float
        Lowest peak kept.
    fps : float
        Frames per second [Hz].
    min_gap : float
        Peaks closer than this keep only the largest [s].

    Returns
    -------
    times : np.ndarray
        Onset times [s].
    strengths : np.ndarray
        Activation at each onset.
    """
    a = np.asarray(activation, dtype=float)
    width = max(1, round(min_gap * fps)) * 2 + 1
    peaks = np.flatnonzero((a == maximum_filter1d(a, width, mode="nearest")) & (a >= threshold))
    # a flat top gives several equal maxima: keep the first of each run
    if len(peaks) > 1:
        peaks = peaks[np.concatenate([[True], np.diff(peaks) > width // 2])]
    return peaks / fps, a[peaks]


@dataclass(frozen=True)
class DrumOnsets:
    """The drums found in a song.

    Attributes
    ----------
    times : dict of str to np.ndarray
        Onset times [s] per class of :data:`DRUM_CLASSES`.
    strengths : dict of str to np.ndarray
        The model's probability (0–1) at each onset.
    activations : np.ndarray, shape (n_frames, n_classes)
        Frame-wise probabilities at :data:`FPS`.
    """

    times: dict[str, np.ndarray]
    strengths: dict[str, np.ndarray]
    activations: np.ndarray


def transcribe_drums(*, y: np.ndarray, sr: int = SR) -> DrumOnsets:
    """Find the drum onsets of a mixed song.

    Parameters
    ----------
    y : np.ndarray
        Mono audio.
    sr : int
        Its sample rate [Hz]; resampled to :data:`SR` when it differs.

    Returns
    -------
    DrumOnsets
    """
    y = resample(np.asarray(y, dtype=np.float32), orig_sr=sr, target_sr=SR)
    return onsets_from_activations(drum_activations(y=y, sr=SR))


@dataclass(frozen=True)
class DrumAnalysis:
    """What a song's drums and band do, from its audio alone (cached by content hash).

    Attributes
    ----------
    onsets : DrumOnsets
    texture : np.ndarray
        Timbre and harmony frames for finding sections
        (:func:`onebeat.analysis.sections.texture_features`).
    duration_s : float
        Length of the audio [s].
    """

    onsets: DrumOnsets
    texture: np.ndarray
    duration_s: float


def onsets_from_activations(activations: np.ndarray) -> DrumOnsets:
    """Pick each class's onsets from frame-wise activations with the model's thresholds."""
    model = _load_model()
    times: dict[str, np.ndarray] = {}
    strengths: dict[str, np.ndarray] = {}
    for k, name in enumerate(model.classes):
        thr = float(model.thresholds[k])
        times[name], strengths[name] = pick_onsets(activations[:, k], threshold=thr)
    return DrumOnsets(times=times, strengths=strengths, activations=activations)


@functools.cache
def model_fingerprint() -> str:
    """First 12 hex digits of the SHA-256 of the shipped weights (part of cache keys)."""
    digest = hashlib.sha256()
    for weights in _weights():
        digest.update(weights.read_bytes())
    return digest.hexdigest()[:12]
