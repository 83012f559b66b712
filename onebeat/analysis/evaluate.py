"""Accuracy of beats, downbeats and tempo against a reference, in mir_eval's shape:
validate → metric functions → ``evaluate()`` returning a dict of named figures.

Beat and downbeat F-measure are mir_eval's (±70 ms, after trimming the first 5 s);
tempo accuracy follows the usual Acc1 (within 4 %) / Acc2 (also at ×2, ×3, ×½, ×⅓).
"""

from __future__ import annotations

import numpy as np
from mir_eval import beat as mir_beat
from mir_eval import onset as mir_onset

__all__ = ["drum_scores", "evaluate", "f_measure", "tempo_accuracy", "validate"]

TEMPO_TOLERANCE = 0.04
OCTAVE_FACTORS = (1.0, 2.0, 3.0, 1.0 / 2.0, 1.0 / 3.0)


def validate(reference: np.ndarray, estimated: np.ndarray) -> None:
    """Raise ValueError unless both are 1-D, finite, non-negative and ascending [s]."""
    for name, arr in (("reference", reference), ("estimated", estimated)):
        a = np.asarray(arr, dtype=float)
        if a.ndim != 1:
            raise ValueError(f"{name} times must be 1-D")
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{name} times must be finite and non-negative")
        if np.any(np.diff(a) < 0):
            raise ValueError(f"{name} times must be ascending")


def f_measure(reference: np.ndarray, estimated: np.ndarray, *, window: float = 0.07) -> float:
    """F-measure of event times within ±``window`` [s], after mir_eval's 5 s trim."""
    validate(reference, estimated)
    ref = mir_beat.trim_beats(np.asarray(reference, dtype=float))
    est = mir_beat.trim_beats(np.asarray(estimated, dtype=float))
    if len(ref) == 0 and len(est) == 0:
        return 1.0
    if len(ref) == 0 or len(est) == 0:
        return 0.0
    return float(mir_beat.f_measure(ref, est, f_measure_threshold=window))


def tempo_accuracy(reference_bpm: float, estimated_bpm: float) -> tuple[float, float]:
    """(Acc1, Acc2): 1.0 when the estimate is within 4 %, Acc2 also at metrical factors."""

    def close(factor: float) -> bool:
        target = factor * reference_bpm
        return abs(estimated_bpm - target) <= TEMPO_TOLERANCE * target

    return float(close(1.0)), float(any(close(f) for f in OCTAVE_FACTORS))


def evaluate(
    *,
    reference_beats: np.ndarray,
    estimated_beats: np.ndarray,
    reference_downbeats: np.ndarray | None = None,
    estimated_downbeats: np.ndarray | None = None,
    estimated_tempo_bpm: float | None = None,
) -> dict[str, float]:
    """All figures at once: ``beat_f``, ``downbeat_f`` (if references given), ``acc1``,
    ``acc2`` (reference tempo = 60 / median reference inter-beat interval)."""
    scores = {"beat_f": f_measure(reference_beats, estimated_beats)}
    if reference_downbeats is not None and estimated_downbeats is not None:
        scores["downbeat_f"] = f_measure(reference_downbeats, estimated_downbeats)
    if estimated_tempo_bpm is not None and len(reference_beats) > 1:
        ref_bpm = 60.0 / float(np.median(np.diff(reference_beats)))
        scores["acc1"], scores["acc2"] = tempo_accuracy(ref_bpm, estimated_tempo_bpm)
    return scores


def drum_scores(
    reference: dict[str, np.ndarray],
    estimated: dict[str, np.ndarray],
    *,
    window: float = 0.05,
) -> dict[str, float]:
    """Per drum class present in the reference: ``<class>_f``, ``<class>_p``, ``<class>_r``
    (mir_eval onset matching within ±``window`` [s], no trimming: drums start anywhere)."""
    scores: dict[str, float] = {}
    for name, ref in reference.items():
        r = np.sort(np.asarray(ref, dtype=float))
        e = np.sort(np.asarray(estimated.get(name, np.zeros(0)), dtype=float))
        validate(r, e)
        if len(r) == 0:
            continue
        if len(e) == 0:
            f = p = rec = 0.0
        else:
            f, p, rec = (float(v) for v in mir_onset.f_measure(r, e, window=window))
        scores[f"{name}_f"], scores[f"{name}_p"], scores[f"{name}_r"] = f, p, rec
    return scores
