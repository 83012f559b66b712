"""How one player did in one take: accuracy, timing, where it went wrong, and whether it
came together as they played.

Everything here is computed from a saved :class:`~onebeat.session.Session` (its chart
and judgments), so a report says the same thing every time it is made. Offsets are the
judge's: hit minus note in real milliseconds, positive late (dragging), negative early
(rushing). A spread is the standard deviation of the offsets (ddof 1).

The statements a report makes are tested claims, not just numbers: a drift is reported
only when its slope is three standard errors from zero and adds up to at least
:data:`AUDIBLE_MS` over the section; a take is "improving" only when the spread of its
last quarter is clearly smaller than that of its first (an F-test of the two variances).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sps

from onebeat.engine import Grade, HitOutcome
from onebeat.engine.judge import POINTS
from onebeat.session.model import Session

__all__ = [
    "AUDIBLE_MS",
    "BarSpan",
    "NoteResult",
    "OffsetStats",
    "PieceStats",
    "SectionStats",
    "SpreadCourse",
    "TakeStats",
    "bar_of_beat",
    "note_results",
    "played_until",
    "signed_ms",
    "spread_course",
    "take_stats",
]

#: A timing difference a listener hears (ms); smaller ones are not worth a sentence.
AUDIBLE_MS = 10.0
#: Bars per span of "work on bars …", and per block where a chart knows no sections.
SPAN_BARS = 4
BLOCK_BARS = 8


@dataclass(frozen=True)
class NoteResult:
    """One chart note as one player played it.

    Attributes
    ----------
    index : int
        The note's index in the chart.
    time : float
        The note's song time [s].
    bar : int
        1-based bar (0: a pickup before the first downbeat).
    piece : str
    grade : Grade
    offset_ms : float
        Hit minus note, real time [ms]; NaN for a Miss.
    """

    index: int
    time: float
    bar: int
    piece: str
    grade: Grade
    offset_ms: float


def bar_of_beat(beat_positions: np.ndarray, beat: float | np.ndarray) -> np.ndarray:
    """1-based bar of beat-grid positions (beat index + fraction); 0 before bar 1."""
    down = np.flatnonzero(np.asarray(beat_positions) == 1)
    pos = np.floor(np.atleast_1d(np.asarray(beat, dtype=float)) + 1e-6)
    return np.searchsorted(down, pos, side="right").astype(int)


def played_until(session: Session) -> float:
    """Song time [s] up to which the take was played: where it was stopped
    (:attr:`~onebeat.session.Session.played_until`, the one definition its summary, the
    sessions list and progress use too) or, for a take whose stop was not kept (a
    recording, an older session), the last hit of any player plus the Good window. Notes
    after it were not missed but never reached, and insight leaves them out; with no
    hits at all, the whole chart."""
    if session.stopped_at is not None:
        return session.played_until
    hits = [j.time for j in session.judgments if j.outcome is not None and math.isfinite(j.time)]
    if not hits:
        return math.inf
    return max(hits) + session.settings.windows.good_ms / 1000.0 * session.settings.speed


def note_results(session: Session, player: str) -> list[NoteResult]:
    """The player's graded notes up to :func:`played_until`, in chart order."""
    until = played_until(session)
    notes = session.chart.notes
    bars = bar_of_beat(session.chart.beat_positions, np.array([n.beat for n in notes]))
    out = []
    for j in session.judgments:
        if j.player != player or j.grade is None or j.note_index is None:
            continue
        n = notes[j.note_index]
        if n.time > until:
            continue
        off = math.nan if j.offset_ms is None else float(j.offset_ms)
        out.append(
            NoteResult(j.note_index, n.time, int(bars[j.note_index]), n.piece.value, j.grade, off)
        )
    out.sort(key=lambda r: r.index)
    return out


def _nan_to_none(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 3)


@dataclass(frozen=True)
class OffsetStats:
    """Offsets of the notes hit [ms]: how many, mean (rushing < 0 < dragging), spread."""

    n: int
    mean_ms: float
    sd_ms: float
    median_ms: float

    @classmethod
    def of(cls, offsets_ms: Sequence[float] | np.ndarray) -> OffsetStats:
        x = np.asarray(offsets_ms, dtype=float)
        x = x[np.isfinite(x)]
        if len(x) == 0:
            return cls(0, math.nan, math.nan, math.nan)
        sd = float(np.std(x, ddof=1)) if len(x) > 1 else math.nan
        return cls(len(x), float(np.mean(x)), sd, float(np.median(x)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "mean_ms": _nan_to_none(self.mean_ms),
            "sd_ms": _nan_to_none(self.sd_ms),
            "median_ms": _nan_to_none(self.median_ms),
        }


def _accuracy(results: Sequence[NoteResult]) -> float:
    return sum(POINTS[r.grade] for r in results) / (100 * len(results)) if results else math.nan


@dataclass(frozen=True)
class PieceStats:
    """One drum piece: notes, share hit, accuracy, offsets."""

    piece: str
    notes: int
    hit_rate: float
    accuracy: float
    offsets: OffsetStats

    def to_dict(self) -> dict[str, Any]:
        return {
            "piece": self.piece,
            "notes": self.notes,
            "hit_rate": round(self.hit_rate, 4),
            "accuracy": round(self.accuracy, 4),
            "offsets": self.offsets.to_dict(),
        }


@dataclass(frozen=True)
class SectionStats:
    """A section of the song (or a block of bars where the chart knows no sections).

    Attributes
    ----------
    label : str
    first_bar, last_bar : int
    notes : int
    accuracy : float
    offsets : OffsetStats
    drift_ms_per_bar : float
        Slope of the offsets over the section: negative when the player gets earlier
        and earlier (speeds up against the song), positive when they slow down.
    drift_se : float
        Its standard error.
    tempo_pct : float
        The same as a tempo change: how much faster than the song they played [%].
    drifting : bool
        The drift is real (3 SE) and audible (≥ :data:`AUDIBLE_MS` over the section).
    """

    label: str
    first_bar: int
    last_bar: int
    notes: int
    accuracy: float
    offsets: OffsetStats
    drift_ms_per_bar: float
    drift_se: float
    tempo_pct: float
    drifting: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "first_bar": self.first_bar,
            "last_bar": self.last_bar,
            "notes": self.notes,
            "accuracy": _nan_to_none(self.accuracy),
            "offsets": self.offsets.to_dict(),
            "drift_ms_per_bar": _nan_to_none(self.drift_ms_per_bar),
            "drift_se": _nan_to_none(self.drift_se),
            "tempo_pct": _nan_to_none(self.tempo_pct),
            "drifting": self.drifting,
        }


@dataclass(frozen=True)
class BarSpan:
    """A run of bars where the most was lost: "work on bars 17–20"."""

    first_bar: int
    last_bar: int
    notes: int
    accuracy: float
    missed: int
    mean_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_bar": self.first_bar,
            "last_bar": self.last_bar,
            "notes": self.notes,
            "accuracy": round(self.accuracy, 4),
            "missed": self.missed,
            "mean_ms": _nan_to_none(self.mean_ms),
        }


@dataclass(frozen=True)
class SpreadCourse:
    """The spread over the take, on a rolling window of notes.

    Attributes
    ----------
    times : np.ndarray
        Song time at the middle of each window [s].
    sd_ms : np.ndarray
        The spread of each window [ms].
    first_ms, last_ms : float
        Spread of the first and the last quarter of the notes hit [ms].
    p_value : float
        One-sided F-test that the last quarter's variance is smaller (or larger) than
        the first's.
    verdict : str
        "improving", "loosening" or "steady" (also when too few notes to say).
    """

    times: np.ndarray
    sd_ms: np.ndarray
    first_ms: float
    last_ms: float
    p_value: float
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "times": [round(float(t), 3) for t in self.times],
            "sd_ms": [round(float(s), 2) for s in self.sd_ms],
            "first_ms": _nan_to_none(self.first_ms),
            "last_ms": _nan_to_none(self.last_ms),
            "p_value": _nan_to_none(self.p_value),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class TakeStats:
    """One player's take.

    Attributes
    ----------
    player : str
    notes : int
        Chart notes judged, up to where the take was stopped.
    counts : dict
        perfect, great, good, miss (notes) and extra, wrong_pad (hits).
    accuracy : float
        Points won over points possible (0–1), as the judge scores.
    hit_rate : float
        Share of the notes hit at all.
    unplayed : int
        Notes after the take was stopped (left out of everything here).
    offsets : OffsetStats
    pieces : list of PieceStats
    sections : list of SectionStats
    worst : list of BarSpan
        Up to three runs of bars where the most points were lost, worst first.
    spread : SpreadCourse
    results : list of NoteResult
    """

    player: str
    notes: int
    counts: dict[str, int]
    accuracy: float
    hit_rate: float
    unplayed: int
    offsets: OffsetStats
    pieces: list[PieceStats]
    sections: list[SectionStats]
    worst: list[BarSpan]
    spread: SpreadCourse
    results: list[NoteResult] = field(repr=False)

    @property
    def leaning(self) -> PieceStats | None:
        """The drum played furthest early or late on average, when that is clearly
        audible (≥ 2 × :data:`AUDIBLE_MS` over 4 hits or more); None otherwise."""
        far = [
            p for p in self.pieces if p.offsets.n >= 4 and abs(p.offsets.mean_ms) >= 2 * AUDIBLE_MS
        ]
        return max(far, key=lambda p: abs(p.offsets.mean_ms), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "player": self.player,
            "notes": self.notes,
            "counts": self.counts,
            "accuracy": _nan_to_none(self.accuracy),
            "hit_rate": _nan_to_none(self.hit_rate),
            "unplayed": self.unplayed,
            "offsets": self.offsets.to_dict(),
            "pieces": [p.to_dict() for p in self.pieces],
            "sections": [s.to_dict() for s in self.sections],
            "worst": [w.to_dict() for w in self.worst],
            "spread": self.spread.to_dict(),
        }


def _drift(results: Sequence[NoteResult], bar_s: float) -> tuple[float, float]:
    """Slope of offset over time as ms per bar, and its standard error."""
    hit = [(r.time, r.offset_ms) for r in results if math.isfinite(r.offset_ms)]
    if len(hit) < 8:
        return math.nan, math.nan
    t, y = np.array(hit).T
    if np.ptp(t) <= 0:
        return math.nan, math.nan
    fit = sps.linregress(t, y)
    return float(fit.slope) * bar_s, float(fit.stderr) * bar_s


def _sections(
    session: Session, results: Sequence[NoteResult], sections: Sequence[float] | None
) -> list[SectionStats]:
    chart = session.chart
    down = chart.downbeats
    n_bars = len(down)
    starts = chart.sections if sections is None else tuple(sections)
    first = sorted({int(b) for b in bar_of_beat(chart.beat_positions, np.array(starts))})
    first = [b for b in first if 1 <= b <= n_bars]
    if first:
        labels = [f"section {k + 1}" for k in range(len(first))]
        if first[0] > 1:  # notes before the first section: an intro
            first, labels = [1, *first], ["intro", *labels]
    else:
        first = list(range(1, n_bars + 1, BLOCK_BARS))
        labels = [""] * len(first)
    bar_s = float(np.median(np.diff(down))) if n_bars > 1 else float(np.ptp(chart.beats))
    out = []
    for k, (a, b) in enumerate(zip(first, [*first[1:], n_bars + 1], strict=True)):
        rs = [r for r in results if a <= max(r.bar, 1) < b]
        if not rs:
            continue
        slope, se = _drift(rs, bar_s)
        bars = b - a
        drifting = math.isfinite(slope) and abs(slope) >= 3 * se and abs(slope) * bars >= AUDIBLE_MS
        # offsets growing by s ms per bar of bar_s seconds: the player's bar lasts
        # bar_s + s/1000 seconds, a tempo of bar_s / (bar_s + s/1000) of the song's
        tempo = (
            (bar_s / (bar_s + slope / 1000.0) - 1.0) * 100.0 if math.isfinite(slope) else math.nan
        )
        out.append(
            SectionStats(
                labels[k] or f"bars {a}–{b - 1}",
                a,
                b - 1,
                len(rs),
                _accuracy(rs),
                OffsetStats.of([r.offset_ms for r in rs]),
                slope,
                se,
                tempo,
                bool(drifting),
            )
        )
    return out


def _worst(
    session: Session, results: Sequence[NoteResult], extra_bars: Sequence[int]
) -> list[BarSpan]:
    """Up to three non-overlapping runs of :data:`SPAN_BARS` bars that lost the most
    points (a miss loses 100, an extra or wrong-pad hit 50), worst first; only runs that
    lost something and fall below 90 % accuracy."""
    n_bars = len(session.chart.downbeats)
    lost = np.zeros(n_bars + 2)
    for r in results:
        lost[max(r.bar, 1)] += 100 - POINTS[r.grade]
    for b in extra_bars:
        lost[min(max(b, 1), n_bars)] += 50
    width = min(SPAN_BARS, n_bars)
    windows = [(float(lost[a : a + width].sum()), a) for a in range(1, n_bars - width + 2)]
    taken: list[BarSpan] = []
    used = np.zeros(n_bars + 2, dtype=bool)
    for score, a in sorted(windows, key=lambda w: (-w[0], w[1])):
        if score <= 0 or len(taken) == 3:
            break
        if used[a : a + width].any():
            continue
        rs = [r for r in results if a <= max(r.bar, 1) < a + width]
        if not rs or _accuracy(rs) >= 0.9:
            continue
        used[a : a + width] = True
        taken.append(
            BarSpan(
                a,
                a + width - 1,
                len(rs),
                _accuracy(rs),
                sum(r.grade is Grade.MISS for r in rs),
                OffsetStats.of([r.offset_ms for r in rs]).mean_ms,
            )
        )
    return taken


def spread_course(
    times: np.ndarray, values_ms: np.ndarray, *, words: tuple[str, str] = ("improving", "loosening")
) -> SpreadCourse:
    """The rolling spread of a series of offsets (or asynchronies) in time order, and
    whether it tightened: the verdict is ``words[0]`` when the last quarter's spread is
    at most 0.8 of the first's, 3 ms smaller and an F-test says so (p < 0.01),
    ``words[1]`` the other way round, else "steady" (also under 16 values)."""
    t = np.asarray(times, dtype=float)
    y = np.asarray(values_ms, dtype=float)
    if len(y) < 16:
        empty = np.zeros(0)
        return SpreadCourse(empty, empty, math.nan, math.nan, math.nan, "steady")
    w = int(np.clip(len(y) // 6, 8, 32))
    sd = np.array([np.std(y[k : k + w], ddof=1) for k in range(len(y) - w + 1)])
    mid = np.array([t[k : k + w].mean() for k in range(len(y) - w + 1)])
    q = len(y) // 4
    v1, v2 = float(np.var(y[:q], ddof=1)), float(np.var(y[-q:], ddof=1))
    f = v2 / v1 if v1 > 0 else math.inf
    p_better = float(sps.f.cdf(f, q - 1, q - 1))  # small when the last quarter is tighter
    p_worse = float(sps.f.sf(f, q - 1, q - 1))
    first, last = math.sqrt(v1), math.sqrt(v2)
    verdict = "steady"
    if p_better < 0.01 and last <= 0.8 * first and first - last >= 3:
        verdict = words[0]
    elif p_worse < 0.01 and last >= 1.25 * first and last - first >= 3:
        verdict = words[1]
    return SpreadCourse(mid, sd, first, last, min(p_better, p_worse), verdict)


def _spread(results: Sequence[NoteResult]) -> SpreadCourse:
    hit = np.array([(r.time, r.offset_ms) for r in results if math.isfinite(r.offset_ms)])
    if len(hit) == 0:
        return spread_course(np.zeros(0), np.zeros(0))
    return spread_course(hit[:, 0], hit[:, 1])


def take_stats(
    session: Session, player: str, *, sections: Sequence[float] | None = None
) -> TakeStats:
    """One player's statistics for a take.

    Parameters
    ----------
    session : Session
    player : str
    sections : sequence of float, optional
        Beat positions where the song's sections start; default the chart's own, and
        blocks of :data:`BLOCK_BARS` bars where it has none.
    """
    if player not in session.player_names:
        raise ValueError(f"player {player!r} did not play session {session.id[:8]}")
    results = note_results(session, player)
    chart = session.chart
    grades = {g.value: sum(r.grade is g for r in results) for g in Grade}
    beats = chart.beats
    extra_bars = []
    counts = dict(grades, extra=0, wrong_pad=0)
    for j in session.judgments:
        if j.player == player and j.outcome in (HitOutcome.EXTRA, HitOutcome.WRONG_PAD):
            counts[j.outcome.value] += 1
            if math.isfinite(j.time):
                pos = float(np.interp(j.time, beats, np.arange(len(beats))))
                extra_bars.append(int(bar_of_beat(chart.beat_positions, pos)[0]))
    pieces = []
    for piece in sorted({r.piece for r in results}):
        rs = [r for r in results if r.piece == piece]
        pieces.append(
            PieceStats(
                piece,
                len(rs),
                sum(r.grade is not Grade.MISS for r in rs) / len(rs),
                _accuracy(rs),
                OffsetStats.of([r.offset_ms for r in rs]),
            )
        )
    return TakeStats(
        player=player,
        notes=len(results),
        counts=counts,
        accuracy=_accuracy(results),
        hit_rate=(sum(r.grade is not Grade.MISS for r in results) / len(results))
        if results
        else math.nan,
        unplayed=sum(1 for j in session.judgments if j.player == player and j.grade is not None)
        - len(results),
        offsets=OffsetStats.of([r.offset_ms for r in results]),
        pieces=pieces,
        sections=_sections(session, results, sections),
        worst=_worst(session, results, extra_bars),
        spread=_spread(results),
        results=results,
    )


def signed_ms(value: float, digits: int = 0) -> str:
    """``+5``, ``-12``, ``0`` (never ``-0``), or ``–`` for no value (NaN)."""
    if not math.isfinite(value):
        return "–"
    text = f"{value:+.{digits}f}"
    return f"{0:.{digits}f}" if float(text) == 0 else text
