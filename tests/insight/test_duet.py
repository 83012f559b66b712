"""The duet phase-correction fit (bGLS), validated on simulated duets with known gains."""

from __future__ import annotations

import numpy as np
import pytest

from onebeat.insight import (
    TOGETHER_MS,
    bootstrap_duet,
    fit_duet,
    fit_phase_correction,
    pair_stats,
    simulate_duet,
)
from onebeat.simulate.players import groove_chart, onset_index, play_chart

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


def test_bootstrap_standard_errors_cover_the_true_gains() -> None:
    """The fit's own standard errors are too small: ±1.96 SE holds the true gain in
    about 3 duets of 4. The bootstrap's hold it in about 95 %, as they should."""
    own, boot = [], []
    for seed in range(40):
        a, b = simulate_duet(200, GAINS, (0.1, 0.1), seed=seed)
        fit = fit_duet(a, b)
        err = np.abs([p.alpha - g for p, g in zip(fit.players, GAINS, strict=True)])
        own.append(err <= 1.96 * np.array([p.alpha_se for p in fit.players]))
        resampled = bootstrap_duet(fit, reps=60, seed=seed).players
        boot.append(err <= 1.96 * np.array([p.alpha_se for p in resampled]))
    assert np.mean(own) <= 0.85  # 0.73 here
    assert np.mean(boot) >= 0.9  # 0.99 here


def duet_session(n_bars: int, gains: tuple[float, float], seed: int = 0, **kw: float):
    chart = groove_chart(n_bars)
    onset = onset_index(chart)
    a, b = simulate_duet(int(onset.max()) + 1, gains, (0.1, 0.1), seed=seed, **kw)  # type: ignore[arg-type]
    return play_chart(chart, {"ana": a[onset], "ben": b[onset]}), a, b


def test_a_played_duet_with_gains_0_2_and_0_6_is_recovered() -> None:
    session, a, b = duet_session(120, GAINS, seed=3)  # 960 onsets, 4 minutes
    pair = pair_stats(session, "ana", "ben", bootstrap=40)
    assert pair.onsets == 960 and pair.common == 960
    assert pair.fit is not None and pair.gains_known
    ga, gb = (p.alpha for p in pair.fit.players)
    assert abs(ga - 0.2) <= 0.1 and abs(gb - 0.6) <= 0.1
    assert pair.fit.leader == 0
    asy = a - b
    assert pair.mean_ms == pytest.approx(asy.mean(), abs=1e-6)
    assert pair.sd_ms == pytest.approx(asy.std(ddof=1), abs=1e-6)
    assert pair.together == pytest.approx(np.mean(np.abs(asy) <= TOGETHER_MS))
    assert "ben followed ana" in " ".join(pair.sentences)


def test_a_pair_that_converges_and_who_is_ahead() -> None:
    chart = groove_chart(48)
    onset = onset_index(chart)
    n = int(onset.max()) + 1
    rng = np.random.default_rng(5)
    sd = np.linspace(40.0, 10.0, n)  # far apart at first, close at the end
    a = 15.0 + rng.normal(0, 1, n) * sd / np.sqrt(2)  # ana 15 ms behind ben on average
    b = rng.normal(0, 1, n) * sd / np.sqrt(2)
    pair = pair_stats(play_chart(chart, {"ana": a[onset], "ben": b[onset]}), "ana", "ben")
    assert pair.course.verdict == "converging"
    assert pair.mean_ms == pytest.approx(15.0, abs=3.0)
    text = " ".join(pair.sentences)
    assert "ben played ahead of ana" in text and "You converged" in text


def test_a_short_or_silent_duet_says_so() -> None:
    session, _, _ = duet_session(8, GAINS)  # 64 onsets: too few for the gains
    pair = pair_stats(session, "ana", "ben")
    assert pair.fit is None and pair.common == 64
    assert "Play longer together" in pair.sentences[-1]
    chart = groove_chart(4)
    silent = np.full(len(chart.notes), np.nan)
    pair = pair_stats(play_chart(chart, {"ana": silent, "ben": silent}), "ana", "ben")
    assert pair.common == 0 and pair.together == 0.0 and pair.to_dict()["mean_ms"] is None
    assert "never played a note together" in pair.sentences[0]
