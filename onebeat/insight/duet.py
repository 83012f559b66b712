"""Two drummers together: how far apart, who follows whom, and whether they converge.

The model is the linear phase-correction model for ensembles (Wing, Endo, Bradbury and
Vorberg 2014): each player's next stroke is placed by their own timekeeper, and shifted
by a share (the gain) of the asynchrony they heard to the partner on this stroke, and
here also by a share of their asynchrony to the song, which plays on regardless like a
metronome. With ``e_n`` a player's offset from the chart at note ``n`` and ``A_n`` the
asynchrony to the partner (``e_n − e'_n``)::

    e[n+1] − e[n] = −alpha·A[n] − beta·e[n] + c + T[n] + M[n+1] − M[n]

with timekeeper noise T (variance σT²) and motor noise M (σM²), so the noise of
consecutive rows is correlated (−σM²). Ordinary least squares is biased by that; the
gains are fitted by bounded generalised least squares (bGLS; Jacoby, Tishby, Repp,
Ahissar and Keller 2015): GLS with the noise covariance estimated from the residuals,
the motor variance bounded to what the model allows (0 ≤ σM² ≤ K0/2), iterated.

Written here: no maintained Python package fits these models (the authors published
MATLAB code); the estimator is checked on simulated duets with known gains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DuetFit", "PhaseCorrection", "fit_duet", "fit_phase_correction", "simulate_duet"]


@dataclass(frozen=True)
class PhaseCorrection:
    """One player's fitted model.

    Attributes
    ----------
    alpha : float
        Phase-correction gain toward the partner (0: ignores them, 1: corrects it all).
    alpha_se : float
        Its standard error (from the fit's covariance); with 200 strokes and typical
        noise about 0.05–0.09.
    beta : float
        Gain toward the song.
    sigma_t_ms, sigma_m_ms : float
        Timekeeper and motor noise [ms].
    rows : int
        Stroke pairs used.
    """

    alpha: float
    alpha_se: float
    beta: float
    sigma_t_ms: float
    sigma_m_ms: float
    rows: int


@dataclass(frozen=True)
class DuetFit:
    """Both players' models, in the order the offsets were given."""

    players: tuple[PhaseCorrection, PhaseCorrection]

    @property
    def leader(self) -> int | None:
        """0 or 1: the player who adapts clearly less, so that the other follows them;
        None when the difference is within three standard errors (or 0.2): the
        fit's standard errors are optimistic by about a third on simulated duets."""
        a, b = self.players
        if abs(a.alpha - b.alpha) < max(0.2, 3 * float(np.hypot(a.alpha_se, b.alpha_se))):
            return None
        return 0 if a.alpha < b.alpha else 1


def _bgls(
    X: np.ndarray, y: np.ndarray, iterations: int = 25
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Bounded GLS for noise ``T[n] + M[n+1] − M[n]``: coefficients, their standard
    errors, σT², σM²."""
    n = len(y)
    cov = np.eye(n)
    coef = np.zeros(X.shape[1])
    s_t2 = s_m2 = 0.0
    for _ in range(iterations):
        w = np.linalg.solve(cov, X)
        coef_new = np.linalg.solve(X.T @ w, w.T @ y)
        r = y - X @ coef_new
        r = r - r.mean()
        k0 = float(r @ r / n)
        k1 = float(r[1:] @ r[:-1] / (n - 1))
        s_m2 = min(max(-k1, 0.0), k0 / 2)  # the bound: both variances non-negative
        s_t2 = k0 - 2 * s_m2
        cov = np.diag(np.full(n, k0)) - s_m2 * (np.eye(n, k=1) + np.eye(n, k=-1))
        cov += np.eye(n) * 1e-12 * max(k0, 1e-12)
        done = np.allclose(coef_new, coef, atol=1e-6)
        coef = coef_new
        if done:
            break
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ np.linalg.solve(cov, X))))
    return coef, se, s_t2, s_m2


def fit_phase_correction(
    offsets_ms: np.ndarray, partner_ms: np.ndarray, *, song: bool = True
) -> PhaseCorrection:
    """One player's gains from their offsets and their partner's, on the notes both
    played, in order [ms] (NaN where a note is missing: rows across it are left out).

    ``song``: also fit the gain toward the song (False for a duet without a backing)."""
    e = np.asarray(offsets_ms, dtype=float)
    f = np.asarray(partner_ms, dtype=float)
    if e.shape != f.shape or e.ndim != 1:
        raise ValueError("offsets and partner offsets must be 1-D and equally long")
    ok = np.isfinite(e[:-1]) & np.isfinite(e[1:]) & np.isfinite(f[:-1])
    if ok.sum() < 12:
        raise ValueError(f"too few notes both played in a row ({int(ok.sum())}; 12 needed)")
    y = (e[1:] - e[:-1])[ok]
    cols = [-(e[:-1] - f[:-1])[ok]]
    if song:
        cols.append(-e[:-1][ok])
    cols.append(np.ones(int(ok.sum())))
    coef, se, s_t2, s_m2 = _bgls(np.column_stack(cols), y)
    return PhaseCorrection(
        alpha=float(coef[0]),
        alpha_se=float(se[0]),
        beta=float(coef[1]) if song else 0.0,
        sigma_t_ms=float(np.sqrt(s_t2)),
        sigma_m_ms=float(np.sqrt(s_m2)),
        rows=int(ok.sum()),
    )


def fit_duet(a_ms: np.ndarray, b_ms: np.ndarray, *, song: bool = True) -> DuetFit:
    """Both players' models from their offsets on the notes both played."""
    return DuetFit(
        (
            fit_phase_correction(a_ms, b_ms, song=song),
            fit_phase_correction(b_ms, a_ms, song=song),
        )
    )


def simulate_duet(
    n: int,
    alpha: tuple[float, float],
    beta: tuple[float, float] = (0.0, 0.0),
    *,
    sigma_t_ms: tuple[float, float] = (10.0, 10.0),
    sigma_m_ms: tuple[float, float] = (5.0, 5.0),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two players' offsets from the song [ms] over ``n`` notes, from the model with
    known gains (for validating the fit)."""
    rng = np.random.default_rng(seed)
    keeper = np.zeros((2, n))
    motor = rng.normal(0.0, sigma_m_ms, size=(n, 2)).T
    noise = rng.normal(0.0, sigma_t_ms, size=(n, 2)).T
    e = np.zeros((2, n))
    e[:, 0] = motor[:, 0]
    for k in range(n - 1):
        for i, j in ((0, 1), (1, 0)):
            heard = e[i, k] - e[j, k]
            keeper[i, k + 1] = keeper[i, k] + noise[i, k] - alpha[i] * heard - beta[i] * e[i, k]
        e[:, k + 1] = keeper[:, k + 1] + motor[:, k + 1]
    return e[0], e[1]
