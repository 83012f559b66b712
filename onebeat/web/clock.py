"""A remote device's clock, mapped onto the server's: round-trip estimation as NTP does it.

A phone's touch events are stamped by its own ``performance.now()`` clock [ms], which
has an unknown origin and runs a little fast or slow (tens of ppm: a millisecond every
half minute). The server pings it with its own time ``s0``; the device answers at once
with its clock reading ``c``; the answer arrives at ``s1``. If the two ways took equally
long, the device read ``c`` at server time ``(s0 + s1) / 2``, so the offset is that minus
``c``, and it is wrong by at most half the round trip ``s1 - s0``. Wi-Fi delays are
mostly short with long, one-sided excursions, so (like NTP's clock filter) only the
samples with the shortest round trips are trusted, a quarter of each stretch of the
window: their offsets are fitted with a line in the device's time once they span long
enough to see the drift, and their median is taken before that.

This is written here rather than taken from a library: NTP clients set the system
clock of the machine they run on, and what is needed is the mapping between two
application clocks, one of them in a browser.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

__all__ = ["ClockSync", "SyncEstimate"]


@dataclass(frozen=True)
class SyncEstimate:
    """The current mapping: server [s] = device [ms] / 1000 + offset + skew·(device − ref).

    Attributes
    ----------
    offset_s : float
        Server minus device time at the device time ``ref_ms``.
    skew : float
        How much faster the server clock runs (dimensionless; 50e-6 is 50 ppm).
    ref_ms : float
    best_rtt_ms : float
        The shortest round trip seen in the window [ms].
    error_ms : float
        Bound on the error from path asymmetry: half the round trips trusted [ms].
    samples : int
        Samples in the window.
    """

    offset_s: float
    skew: float
    ref_ms: float
    best_rtt_ms: float
    error_ms: float
    samples: int


class ClockSync:
    """Estimates a device clock [ms] against the server clock [s] from ping round trips.

    Parameters
    ----------
    window : int
        Samples kept (newest); at one ping a second, a minute and a half.
    best : float
        Share of the window's samples, those with the shortest round trips, that are used.
    drift_span_s : float
        The trusted samples must span this long before the drift is fitted.
    """

    def __init__(self, window: int = 96, best: float = 0.25, drift_span_s: float = 20.0) -> None:
        self.samples: deque[tuple[float, float, float]] = deque(maxlen=window)
        self.best = best
        self.drift_span_s = drift_span_s
        self._estimate: SyncEstimate | None = None

    def add(self, s0: float, device_ms: float, s1: float) -> None:
        """One ping: sent at server time ``s0`` [s], answered with the device's clock
        reading ``device_ms``, received at ``s1`` [s]."""
        if not s1 >= s0:
            raise ValueError(f"a ping answered before it was sent ({s0} > {s1})")
        self.samples.append((s0, float(device_ms), s1))
        self._estimate = None

    @property
    def ready(self) -> bool:
        return len(self.samples) >= 3

    def estimate(self) -> SyncEstimate:
        """The mapping from the samples so far (at least one)."""
        if self._estimate is not None:
            return self._estimate
        if not self.samples:
            raise ValueError("no ping has been answered yet")
        a = np.asarray(self.samples, dtype=float)
        rtt = a[:, 2] - a[:, 0]
        offset = (a[:, 0] + a[:, 2]) / 2 - a[:, 1] / 1000
        # The shortest round trips of each quarter of the window, so that the trusted
        # samples span it (for the drift) rather than bunch where the network was calm.
        keep = np.concatenate(
            [
                part[
                    np.argsort(rtt[part], kind="stable")[
                        : max(1, int(np.ceil(self.best * len(part))))
                    ]
                ]
                for part in np.array_split(np.arange(len(a)), min(4, len(a) // 12 or 1))
            ]
        )
        dev, off, r = a[keep, 1], offset[keep], rtt[keep]
        ref = float(dev.mean())
        skew = 0.0
        if (dev.max() - dev.min()) / 1000 >= self.drift_span_s:
            skew, intercept = np.polyfit((dev - ref) / 1000, off, 1)
            off0 = float(intercept)
        else:
            off0 = float(np.median(off))
        self._estimate = SyncEstimate(
            offset_s=off0,
            skew=float(skew),
            ref_ms=ref,
            best_rtt_ms=float(r.min() * 1000),
            error_ms=float(np.median(r) * 500),
            samples=len(a),
        )
        return self._estimate

    def to_server(self, device_ms: float) -> float:
        """Server time [s] of a device clock reading [ms]."""
        e = self.estimate()
        return device_ms / 1000 + e.offset_s + e.skew * (device_ms - e.ref_ms) / 1000

    def to_device(self, server_s: float) -> float:
        """Device clock reading [ms] at a server time [s] (the inverse of
        :meth:`to_server`)."""
        e = self.estimate()
        # server = d/1000·(1 + skew) + offset − skew·ref/1000, solved for d
        return (server_s - e.offset_s + e.skew * e.ref_ms / 1000) * 1000 / (1 + e.skew)
