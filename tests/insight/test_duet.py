"""The duet phase-correction fit (bGLS), validated on simulated duets with known gains."""

from __future__ import annotations

import numpy as np
import pytest

from onebeat.insight import fit_duet, fit_phase_correction, simulate_duet

GAINS = (0.2, 0.6)


def errors(n: int, seeds: range, **kw: float) -> np.ndarray:
    """Fitted minus true gains toward the partner, per simulated duet."""
    out = []
    for seed in seeds:
        a, b = simulate_duet(n, GAINS, (0.1, 0.1), seed=seed, **kw)  # type: ignore[arg-type]
        fit = fit_duet(a, b)
        out.append([fit.players[0].alpha - GAINS[0], fit.players[1].alpha - GAINS[1]])
    return np.array(out)


def test_gains_are_recovered_without_bias_from_200_beats() -> None:
    e = errors(200, range(100))
    assert np.all(np.abs(e.mean(axis=0)) <= 0.03)  # unbiased (least squares is +0.09)
    assert np.all(np.median(np.abs(e), axis=0) <= 0.07)
    # within ±0.1 in most duets of 200 strokes, but not all: the motor noise costs
    assert np.all((np.abs(e) <= 0.1).mean(axis=0) >= 0.70)  # 74 % here


def test_gains_are_within_a_tenth_from_800_strokes() -> None:
    e = errors(800, range(40))
    assert (np.abs(e) <= 0.1).mean() >= 0.95


def test_least_squares_would_be_biased_and_the_bgls_fit_is_not() -> None:
    """The rows' noise shares the motor term; ignoring it biases the gains upward."""
    e_bgls, e_ols = [], []
    for seed in range(60):
        a, b = simulate_duet(200, GAINS, seed=seed)
        e_bgls.append(fit_phase_correction(a, b, song=False).alpha - GAINS[0])
        y = np.diff(a)
        x = -(a[:-1] - b[:-1])
        X = np.column_stack([x, np.ones_like(x)])
        e_ols.append(np.linalg.lstsq(X, y, rcond=None)[0][0] - GAINS[0])
    assert np.mean(e_ols) > 0.05
    assert abs(np.mean(e_bgls)) < 0.03


def test_the_leader_is_the_one_who_adapts_less() -> None:
    a, b = simulate_duet(400, GAINS, (0.1, 0.1), seed=7)
    fit = fit_duet(a, b)
    assert fit.leader == 0
    assert fit_duet(b, a).leader == 1
    a, b = simulate_duet(400, (0.4, 0.4), (0.1, 0.1), seed=7)
    assert fit_duet(a, b).leader is None
    noise = fit.players[0]
    assert noise.sigma_t_ms == pytest.approx(10.0, abs=3.0)


def test_missing_notes_and_too_few_are_handled() -> None:
    a, b = simulate_duet(300, GAINS, seed=3)
    a[::10] = np.nan  # every tenth note missed by one player: rows across it are dropped
    fit = fit_phase_correction(a, b, song=False)
    assert fit.rows < 299 and abs(fit.alpha - GAINS[0]) <= 0.15
    with pytest.raises(ValueError, match="too few notes both played"):
        fit_phase_correction(a[:10], b[:10])
    with pytest.raises(ValueError, match="equally long"):
        fit_phase_correction(a, b[:-1])
