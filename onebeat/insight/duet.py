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

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.linalg import solveh_banded

from onebeat.insight.stats import (
    SpreadCourse,
    _nan_to_none,
    note_results,
    played_until,
    spread_course,
)
from onebeat.session.model import Session

__all__ = [
    "MIN_STROKES",
    "TOGETHER_MS",
    "DuetFit",
    "PairStats",
    "PhaseCorrection",
    "bootstrap_duet",
    "fit_duet",
    "fit_phase_correction",
    "onset_offsets",
    "pair_stats",
    "simulate_duet",
]


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
    errors, σT², σM². The noise covariance is tridiagonal, so each GLS step is a banded
    solve (linear in the number of strokes)."""
    n = len(y)
    band = np.zeros((2, n))
    band[1] = 1.0  # first pass: ordinary least squares
    coef = np.zeros(X.shape[1])
    s_t2 = s_m2 = 0.0
    Xy = np.column_stack([X, y])
    for _ in range(iterations):
        w = solveh_banded(band, Xy)
        coef_new = np.linalg.solve(X.T @ w[:, :-1], X.T @ w[:, -1])
        r = y - X @ coef_new
        r = r - r.mean()
        k0 = float(r @ r / n)
        k1 = float(r[1:] @ r[:-1] / (n - 1))
        s_m2 = min(max(-k1, 0.0), k0 / 2)  # the bound: both variances non-negative
        s_t2 = k0 - 2 * s_m2
        band[0, 1:] = -s_m2
        band[1] = k0 * (1 + 1e-9) + 1e-12  # a hair above the bound keeps it positive definite
        done = np.allclose(coef_new, coef, atol=1e-6)
        coef = coef_new
        if done:
            break
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ solveh_banded(band, X))))
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


def _simulate(
    n: int,
    alpha: tuple[float, float],
    beta: tuple[float, float],
    sigma_t_ms: tuple[float, float],
    sigma_m_ms: tuple[float, float],
    rng: np.random.Generator,
    reps: int,
) -> np.ndarray:
    """``reps`` simulated duets, shape ``(reps, 2, n)`` [ms]."""
    a = np.array(alpha)[None, :]
    b = np.array(beta)[None, :]
    motor = rng.normal(0.0, 1.0, size=(n, reps, 2)) * np.array(sigma_m_ms)
    noise = rng.normal(0.0, 1.0, size=(n, reps, 2)) * np.array(sigma_t_ms)
    keeper = np.zeros((reps, 2))
    e = np.zeros((n, reps, 2))
    e[0] = motor[0]
    for k in range(n - 1):
        heard = e[k] - e[k, :, ::-1]
        keeper = keeper + noise[k] - a * heard - b * e[k]
        e[k + 1] = keeper + motor[k + 1]
    return np.transpose(e, (1, 2, 0))


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
    e = _simulate(n, alpha, beta, sigma_t_ms, sigma_m_ms, rng, 1)[0]
    return e[0], e[1]


def bootstrap_duet(fit: DuetFit, *, reps: int = 100, song: bool = True, seed: int = 0) -> DuetFit:
    """The fit with standard errors from a parametric bootstrap.

    The fit's own standard errors come from the GLS covariance and are too small (by
    about a third on simulated duets); here ``reps`` duets are simulated from the fitted
    model (gains clipped to 0–1, where the model is stable) with as many strokes,
    fitted again, and the spread of their gains is the standard error."""
    p, q = fit.players
    n = max(p.rows, q.rows) + 1
    rng = np.random.default_rng(seed)

    def clip(x: float) -> float:
        return float(np.clip(x, 0.0, 1.0))

    sims = _simulate(
        n,
        (clip(p.alpha), clip(q.alpha)),
        (clip(p.beta), clip(q.beta)) if song else (0.0, 0.0),
        (max(p.sigma_t_ms, 1e-3), max(q.sigma_t_ms, 1e-3)),
        (p.sigma_m_ms, q.sigma_m_ms),
        rng,
        reps,
    )
    gains = np.array(
        [
            [
                fit_phase_correction(e[0], e[1], song=song).alpha,
                fit_phase_correction(e[1], e[0], song=song).alpha,
            ]
            for e in sims
        ]
    )
    se = np.std(gains, axis=0, ddof=1)
    return DuetFit((replace(p, alpha_se=float(se[0])), replace(q, alpha_se=float(se[1]))))


#: Two strokes closer than this [ms] sound as one: the "together" score counts them.
TOGETHER_MS = 25.0
#: Strokes both played (in a row) before the gains are estimated at all.
MIN_STROKES = 100
#: The gains are shown only when the bootstrap's standard error is at most this.
MAX_GAIN_SE = 0.1


def onset_offsets(session: Session, player: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chart's onsets (distinct note times, up to where the take was played) [s],
    the player's mean offset on each [ms] (NaN where they hit none of its notes: one
    stroke per onset, as the phase-correction model counts them), and the same with each
    piece's own mean offset taken off its hits first.

    The second form is the one the gains are fitted on: a kick always 25 ms late is how
    this player's foot lands, not a correction toward the partner; left in, it would
    follow the pattern of the groove and bias the gains."""
    results = [r for r in note_results(session, player) if np.isfinite(r.offset_ms)]
    until = played_until(session)
    times = np.unique(np.round([n.time for n in session.chart.notes if n.time <= until], 6))
    lean = {
        piece: float(np.mean([r.offset_ms for r in results if r.piece == piece]))
        for piece in {r.piece for r in results}
    }
    sums = np.zeros(len(times))
    centred = np.zeros(len(times))
    counts = np.zeros(len(times))
    for r in results:
        k = int(np.searchsorted(times, round(r.time, 6)))
        sums[k] += r.offset_ms
        centred[k] += r.offset_ms - lean[r.piece]
        counts[k] += 1
    n = np.where(counts > 0, counts, np.nan)  # NaN where no note of the onset was hit
    return times, sums / n, centred / n


@dataclass(frozen=True)
class PairStats:
    """Two players in one take.

    Attributes
    ----------
    players : (str, str)
    onsets : int
        Onsets in the chart.
    common : int
        Onsets both hit.
    mean_ms : float
        Mean asynchrony, first player minus second [ms]: positive when the first plays
        after the second (the second is ahead).
    sd_ms : float
        Its spread: how tight the pair is [ms].
    together : float
        Share of all onsets both hit within :data:`TOGETHER_MS` of each other (0–1).
    times, async_ms : np.ndarray
        Song time [s] and asynchrony [ms] of each common onset.
    course : SpreadCourse
        The rolling spread of the asynchrony; its verdict is "converging", "drifting
        apart" or "steady".
    fit : DuetFit or None
        The phase-correction gains with bootstrap standard errors, or None when fewer
        than :data:`MIN_STROKES` strokes were played by both in a row.
    """

    players: tuple[str, str]
    onsets: int
    common: int
    mean_ms: float
    sd_ms: float
    together: float
    times: np.ndarray
    async_ms: np.ndarray
    course: SpreadCourse
    fit: DuetFit | None

    @property
    def gains_known(self) -> bool:
        """Whether the gains are precise enough to show."""
        return self.fit is not None and all(p.alpha_se <= MAX_GAIN_SE for p in self.fit.players)

    @property
    def sentences(self) -> list[str]:
        """What a pair would want to hear, in short sentences."""
        a, b = self.players
        if self.common == 0:
            return ["You two never played a note together: try level 1 side by side."]
        out = [
            f"Together on {100 * self.together:.0f} % of the notes (within ±{TOGETHER_MS:.0f} ms)."
        ]
        if abs(self.mean_ms) >= 6:  # under ~6 ms nobody hears who is ahead
            ahead, behind = (b, a) if self.mean_ms > 0 else (a, b)
            out.append(
                f"{ahead} played ahead of {behind} by {abs(self.mean_ms):.0f} ms on average."
            )
        else:
            out.append(f"Neither was ahead: {abs(self.mean_ms):.0f} ms apart on average.")
        c = self.course
        if c.verdict == "converging":
            out.append(f"You converged: {c.first_ms:.0f} → {c.last_ms:.0f} ms apart (spread).")
        elif c.verdict == "drifting apart":
            out.append(f"You drifted apart: {c.first_ms:.0f} → {c.last_ms:.0f} ms (spread).")
        if self.fit is None:
            out.append("Play longer together to see who follows whom.")
        elif not self.gains_known:
            out.append("Who follows whom is not clear yet: play a longer take together.")
        else:
            lead = self.fit.leader
            ga, gb = (p.alpha for p in self.fit.players)
            if lead is None and max(ga, gb) < 0.15:
                out.append(
                    f"Each of you kept to the song more than to the other "
                    f"(gains {ga:.2f} and {gb:.2f})."
                )
            elif lead is None:
                out.append(f"You both adjusted to each other (gains {ga:.2f} and {gb:.2f}).")
            else:
                leader, follower = (a, b) if lead == 0 else (b, a)
                out.append(
                    f"{follower} followed {leader} (gains {ga:.2f} for {a}, {gb:.2f} for {b})."
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        fit = None
        if self.fit is not None:
            fit = {
                "players": [
                    {
                        "alpha": round(p.alpha, 3),
                        "alpha_se": round(p.alpha_se, 3),
                        "beta": round(p.beta, 3),
                        "sigma_t_ms": round(p.sigma_t_ms, 2),
                        "sigma_m_ms": round(p.sigma_m_ms, 2),
                        "rows": p.rows,
                    }
                    for p in self.fit.players
                ],
                "leader": self.fit.leader,
                "known": self.gains_known,
            }
        return {
            "players": list(self.players),
            "onsets": self.onsets,
            "common": self.common,
            "mean_ms": _nan_to_none(self.mean_ms),
            "sd_ms": _nan_to_none(self.sd_ms),
            "together": round(self.together, 4),
            "together_ms": TOGETHER_MS,
            "times": [round(float(t), 3) for t in self.times],
            "async_ms": [round(float(x), 2) for x in self.async_ms],
            "course": self.course.to_dict(),
            "fit": fit,
            "sentences": self.sentences,
        }


def pair_stats(
    session: Session, first: str, second: str, *, bootstrap: int = 100, seed: int = 0
) -> PairStats:
    """How two players of a session kept time together.

    Parameters
    ----------
    bootstrap : int
        Simulated duets for the gains' standard errors (0: the fit's own, optimistic).
    """
    for p in (first, second):
        if p not in session.player_names:
            raise ValueError(f"player {p!r} did not play session {session.id[:8]}")
    times, a, a_centred = onset_offsets(session, first)
    _, b, b_centred = onset_offsets(session, second)
    both = np.isfinite(a) & np.isfinite(b)
    asy = (a - b)[both]
    t = times[both]
    n = len(asy)
    mean = float(np.mean(asy)) if n else float("nan")
    sd = float(np.std(asy, ddof=1)) if n > 1 else float("nan")
    together = float(np.sum(np.abs(asy) <= TOGETHER_MS) / len(times)) if len(times) else 0.0
    course = spread_course(t, asy, words=("converging", "drifting apart"))
    fit: DuetFit | None = None
    rows = int(np.sum(np.isfinite(a[:-1]) & np.isfinite(a[1:]) & np.isfinite(b[:-1])))
    if rows >= MIN_STROKES:
        fit = fit_duet(a_centred, b_centred)
        if bootstrap > 0:
            fit = bootstrap_duet(fit, reps=bootstrap, seed=seed)
    return PairStats(
        (first, second),
        len(times),
        n,
        mean,
        sd,
        together,
        t,
        asy,
        course,
        fit,
    )
