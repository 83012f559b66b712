"""Meter and bar phase from a beat track: which beats start bars.

Hand-written because no library does this step on its own: given per-beat downbeat
salience from any backend, choose the meter (beats per bar) and the phase (which beat
is "1") that make the salience of bar starts stand out most from the other beats,
over the whole song. A single global choice is deliberately stiff: in pop and rock the
bar grid rarely shifts, and a stiff choice cannot flip phase on one noisy bar (an HMM
that allowed phase changes scored lower on swing; see bench/analysis_accuracy.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["BAR_ONE_UNSURE", "BarInference", "bar_confidence", "infer_bars"]

#: Meters considered, in beats per bar.
METERS = (3, 4)
#: Prior for 4/4 over other meters, in standard deviations of salience.
PRIOR_4_4 = 0.1
#: Below this meter confidence onebeat says it is not sure where bar 1 is (the CLI and
#: the page: on the project's clips 3 of the 5 below it had bar 1 wrong, against 6 of 45
#: above it).
BAR_ONE_UNSURE = 0.5


@dataclass(frozen=True)
class BarInference:
    """The chosen bar grid.

    Attributes
    ----------
    beats_per_bar : int
    positions : np.ndarray
        Per beat, its position in the bar (1 = downbeat).
    confidence : float
        In [0, 1]: margin of the chosen (meter, phase) over the runner-up.
    bar_confidence : np.ndarray
        Per bar (from each beat at position 1), in [0, 1]: how much its first beat stands
        out as a downbeat from the bar's other beats (0.5: no more than the strongest of
        them; :func:`bar_confidence`).
    """

    beats_per_bar: int
    positions: np.ndarray
    confidence: float
    bar_confidence: np.ndarray = field(default_factory=lambda: np.zeros(0))


def bar_confidence(z: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Per bar, the logistic of twice the margin (in standard deviations of salience
    ``z``) of its downbeat over the most downbeat-like other beat of the bar: 0.5 where
    another beat is as strong, 0.88 one deviation clear, near 0 where another beat is
    the stronger one (the bar may start elsewhere)."""
    down = np.flatnonzero(np.asarray(positions) == 1)
    out = np.empty(len(down))
    for i, d in enumerate(down):
        end = down[i + 1] if i + 1 < len(down) else len(z)
        others = z[d + 1 : end]
        margin = float(z[d] - others.max()) if len(others) else 0.0
        out[i] = 1.0 / (1.0 + np.exp(-2.0 * margin))
    return out


def _contrast(z: np.ndarray, meter: int, phase: int) -> float:
    on = np.zeros(len(z), dtype=bool)
    on[phase::meter] = True
    if not on.any() or on.all():
        return -np.inf
    return float(z[on].mean() - z[~on].mean())


def infer_bars(
    *, salience: np.ndarray, meters: tuple[int, ...] = METERS, prior_4_4: float = PRIOR_4_4
) -> BarInference:
    """Choose meter and bar phase from per-beat downbeat salience.

    Parameters
    ----------
    salience : np.ndarray
        Per beat, evidence that it starts a bar (any scale).
    meters : tuple of int
        Beats per bar to consider.
    prior_4_4 : float
        Bonus for 4 beats per bar [standard deviations of salience].

    Returns
    -------
    BarInference
    """
    s = np.asarray(salience, dtype=float)
    n = len(s)
    if n == 0:
        return BarInference(beats_per_bar=4, positions=np.zeros(0, dtype=int), confidence=0.0)
    sd = float(np.std(s))
    z = (s - float(np.mean(s))) / sd if sd > 1e-9 else np.zeros(n)
    scores: list[tuple[float, int, int]] = []
    for m in meters:
        for phase in range(min(m, n)):
            bonus = prior_4_4 if m == 4 else 0.0
            scores.append((_contrast(z, m, phase) + bonus, m, phase))
    scores.sort(key=lambda s: (s[0], s[1] == 4, -s[2]), reverse=True)  # ties: 4/4, phase 0
    best, m, phase = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else -np.inf
    margin = best - runner_up if np.isfinite(runner_up) else best
    confidence = float(1.0 - np.exp(-max(0.0, margin) * 2.0)) if sd > 1e-9 else 0.0
    positions = ((np.arange(n) - phase) % m + 1).astype(int)
    return BarInference(
        beats_per_bar=m,
        positions=positions,
        confidence=confidence,
        bar_confidence=bar_confidence(z, positions),
    )
