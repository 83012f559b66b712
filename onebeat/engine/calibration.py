"""Latency calibration: a player taps along to clicks; how late do their taps arrive?

Each tap is paired with its nearest click; taps further than half a click interval or
than :data:`MAX_ABS_MS` from any click, and outliers beyond three scaled median
absolute deviations, are dropped; at least :data:`MIN_TAPS` must remain. The offset is
the **median** of what remains (robust to the odd flub), reported with its spread.
The same maths serves every input kind (keyboard, MIDI, touch, microphone); keep one
offset per kind, since each has its own latency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from onebeat.errors import CalibrationError

__all__ = ["MIN_TAPS", "Calibration", "CalibrationError", "calibrate"]

#: Fewest usable taps for a calibration.
MIN_TAPS = 8
#: Taps further than this from every click are not attempts at it [ms].
MAX_ABS_MS = 300.0


@dataclass(frozen=True)
class Calibration:
    """The result of a calibration.

    Attributes
    ----------
    offset_ms : float
        Median lateness of the taps [ms] (negative: early); subtract it from hit times.
    spread_ms : float
        Their scaled median absolute deviation [ms], a robust standard deviation.
    used, dropped : int
        Taps kept and dropped.
    """

    offset_ms: float
    spread_ms: float
    used: int
    dropped: int


def calibrate(*, taps: np.ndarray, clicks: np.ndarray) -> Calibration:
    """Calibration from tap times against click times (both [s], one clock).

    Raises
    ------
    CalibrationError
        When fewer than :data:`MIN_TAPS` taps remain.
    """
    c = np.sort(np.asarray(clicks, dtype=float))
    t = np.asarray(taps, dtype=float)
    t = t[np.isfinite(t)]
    if len(c) < 2:
        raise CalibrationError("calibration needs at least two clicks")
    idx = np.clip(np.searchsorted(c, t), 1, len(c) - 1)
    nearest = np.where(np.abs(t - c[idx - 1]) <= np.abs(t - c[idx]), c[idx - 1], c[idx])
    off = (t - nearest) * 1000.0
    half_ms = float(np.median(np.diff(c))) * 500.0
    keep = np.abs(off) <= min(half_ms, MAX_ABS_MS)
    kept = off[keep]
    if len(kept) >= 3:
        med = float(np.median(kept))
        mad = float(np.median(np.abs(kept - med))) * 1.4826
        kept = kept[np.abs(kept - med) <= max(3.0 * mad, 5.0)]
    if len(kept) < MIN_TAPS:
        raise CalibrationError(
            f"calibration: {len(kept)} usable taps of {len(taps)} (needs {MIN_TAPS}); "
            "tap along with the clicks again"
        )
    med = float(np.median(kept))
    return Calibration(
        offset_ms=med,
        spread_ms=float(np.median(np.abs(kept - med))) * 1.4826,
        used=len(kept),
        dropped=len(taps) - len(kept),
    )
