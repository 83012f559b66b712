"""Slower practice without a lower pitch: time-stretching with Signalsmith Stretch.

Signalsmith Stretch (MIT licence, by Geraint Luff; Python binding ``python-stretch``) is
a polyphonic phase-vocoder-based stretcher made for music: it keeps pitch and, on drums,
keeps attacks sharp. Its output is aligned with its input (a click at song time t comes
out at t / speed, measured within a millisecond by the tests), so song time maps to the
stretched audio by a plain division.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_SPEED", "MIN_SPEED", "time_stretch"]

MIN_SPEED = 0.5
MAX_SPEED = 1.0


def time_stretch(y: np.ndarray, sr: int, speed: float) -> np.ndarray:
    """``y`` (``(n,)`` or ``(channels, n)``) played at ``speed`` (0.5–1) at the same pitch.

    The result has ``round(n / speed)`` samples per channel, float32.
    """
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"speed {speed}: practice speeds are {MIN_SPEED}–{MAX_SPEED}")
    data = np.atleast_2d(np.asarray(y, dtype=np.float32))
    if speed == 1.0:
        return data if y.ndim == 2 else data[0]
    import python_stretch

    stretcher = python_stretch.Signalsmith.Stretch()
    stretcher.preset(data.shape[0], float(sr))
    stretcher.setTimeFactor(speed)
    out = np.asarray(stretcher.process(np.ascontiguousarray(data)), dtype=np.float32)
    n = round(data.shape[1] / speed)
    if out.shape[1] < n:
        out = np.pad(out, ((0, 0), (0, n - out.shape[1])))
    out = np.clip(out[:, :n], -1.0, 1.0)
    return out if y.ndim == 2 else out[0]
