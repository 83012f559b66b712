"""The judge: which note each hit was meant for, how early or late, and what it scores.

The judge never reads a clock. Hits are pushed with their song time; ``update(t)``
processes, in time order, every hit up to song time ``t`` and closes every note whose
window ended ``grace_ms`` before ``t`` (a Miss). Each player's hits are judged in time
order; a hit that arrives after the judge has moved past its time for that player is
counted as late, not judged. Every other hit is judged the same whatever the update
times were, and a late hit is replayed as late, which is what makes a saved session
replayable exactly.

Each player is judged against the chart on their own. A hit is matched to the nearest
open note of its piece within the Good window; failing that it is a flam (a second
stroke just after a matched one), a wrong pad (an open note of another piece is near)
or an extra hit. E-kit double triggers within the debounce time and hits softer than a
pad's threshold (crosstalk) are ignored. Bad input (a NaN time, a velocity outside
1–127, an unknown pad, a late hit) is counted, never raised. With "any pad counts" a
hit needs no pad at all (``piece=None``: someone tapping).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from operator import itemgetter

import numpy as np

from onebeat.chart.model import Chart, Dynamic
from onebeat.engine.windows import PRESETS, Grade, HitWindows
from onebeat.kit import DrumPiece

__all__ = ["Hit", "HitOutcome", "Judge", "JudgeSettings", "Judgment", "PlayerStats"]

#: Points per grade; the accuracy weights are these divided by 100.
POINTS = {Grade.PERFECT: 100, Grade.GREAT: 70, Grade.GOOD: 40, Grade.MISS: 0}
#: The game's multiplier, as drum games have it: ×2 after this many notes in a row, ×3
#: after twice as many, up to :data:`MAX_MULTIPLIER`; a miss starts it over.
MULTIPLIER_EVERY = 10
MAX_MULTIPLIER = 4
_HIHATS = frozenset({DrumPiece.HIHAT_CLOSED, DrumPiece.HIHAT_OPEN})


def _match_key(piece: DrumPiece | None) -> DrumPiece | None:
    """What a note or hit is matched by: its piece, the two hi-hats as one."""
    return DrumPiece.HIHAT_CLOSED if piece in _HIHATS else piece


#: A queued hit: (time for ordering: NaN as 0, player, pad, velocity, late), time, the hit.
_Pending = tuple[float, str, str, int, bool, float, "Hit"]
#: Hits judged at once are taken in this order, whatever order they were pushed in.
_ORDER = itemgetter(0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Hit:
    """One stroke from a player.

    Attributes
    ----------
    player : str
    time : float
        Song time of the stroke as the input saw it [s], before calibration.
    piece : DrumPiece or None
        The pad, or None for an input that maps to no piece.
    velocity : int
        MIDI velocity 1–127 (keyboards send a fixed one).
    """

    player: str
    time: float
    piece: DrumPiece | None
    velocity: int = 100


class HitOutcome(StrEnum):
    """What became of a hit."""

    NOTE = "note"  # it judged a note
    WRONG_PAD = "wrong_pad"
    EXTRA = "extra"
    FLAM = "flam"
    DEBOUNCED = "debounced"
    SOFT = "soft"
    UNKNOWN = "unknown"
    INVALID = "invalid"
    LATE = "late"  # arrived after the judge had moved past its time


@dataclass(frozen=True)
class Judgment:
    """An event from the judge: a note graded, or a hit that graded none.

    Attributes
    ----------
    player : str
    time : float
        Song time of the hit (calibrated), or of the note for a Miss [s].
    grade : Grade or None
        For a note: its grade (MISS when no hit came).
    outcome : HitOutcome or None
        For a hit: what became of it (NOTE when it graded a note).
    note_index : int or None
        Index of the note in the chart's notes.
    offset_ms : float or None
        Hit minus note, real time [ms]; positive is late.
    dynamic_ok : bool or None
        For a ghost or accent note: whether the velocity matched.
    """

    player: str
    time: float
    grade: Grade | None
    outcome: HitOutcome | None
    note_index: int | None = None
    offset_ms: float | None = None
    dynamic_ok: bool | None = None


@dataclass(frozen=True)
class JudgeSettings:
    """How hits are judged.

    Attributes
    ----------
    windows : HitWindows
    speed : float
        Practice speed (1 = the song's own tempo); offsets are judged in real time.
    any_pad : bool or None
        Any pad counts for every note; None: the chart's own setting.
    debounce_ms : float
        Strokes of one pad closer than this are one stroke (e-kit double triggers).
    flam_ms : float
        A second stroke of a pad this soon after a matched one is a flam, not an extra.
    velocity_threshold : Mapping of DrumPiece to int
        Strokes softer than this on a pad are ignored (crosstalk).
    ghost_max_velocity, accent_min_velocity : int
        A ghost note wants a velocity at most the first; an accent at least the second.
    grace_ms : float
        How long [ms, real time] after a note's window the judge waits for hits still
        on their way (from a phone over Wi-Fi) before it calls the note a Miss; a hit
        older than that when it arrives is counted as late. Hits are judged as soon as
        they arrive: grace delays only Misses.
    """

    windows: HitWindows = PRESETS["default"]
    speed: float = 1.0
    any_pad: bool | None = None
    debounce_ms: float = 5.0
    flam_ms: float = 35.0
    velocity_threshold: Mapping[DrumPiece, int] = field(default_factory=dict)
    ghost_max_velocity: int = 60
    accent_min_velocity: int = 100
    grace_ms: float = 0.0

    def __post_init__(self) -> None:
        if not 0.1 <= self.speed <= 4.0:
            raise ValueError(f"speed {self.speed}: must be 0.1–4.0")
        if not 0.0 <= self.grace_ms <= 2000.0:
            raise ValueError(f"grace_ms {self.grace_ms}: must be 0–2000")


@dataclass
class PlayerStats:
    """Running totals for one player."""

    notes: int = 0
    perfect: int = 0
    great: int = 0
    good: int = 0
    miss: int = 0
    extra: int = 0
    wrong_pad: int = 0
    flam: int = 0
    ignored: int = 0  # debounced or under the velocity threshold
    invalid: int = 0  # NaN time, bad velocity, unknown pad, out of order
    dynamic_wrong: int = 0
    score: int = 0
    streak: int = 0
    best_streak: int = 0
    #: The game's score: each hit's points times the multiplier it was played at
    #: (:attr:`score` stays the points alone, which :attr:`accuracy` is made of).
    points: int = 0
    offsets_ms: list[float] = field(default_factory=list)

    @property
    def multiplier(self) -> int:
        """×1 to ×4 by the streak (:data:`MULTIPLIER_EVERY` notes in a row a step)."""
        return 1 + min(MAX_MULTIPLIER - 1, self.streak // MULTIPLIER_EVERY)

    @property
    def accuracy(self) -> float:
        """Points won over points possible for the notes judged so far (0–1)."""
        done = self.perfect + self.great + self.good + self.miss
        return self.score / (100 * done) if done else 0.0

    @property
    def mean_offset_ms(self) -> float:
        return float(np.mean(self.offsets_ms)) if self.offsets_ms else 0.0

    @property
    def sd_offset_ms(self) -> float:
        return float(np.std(self.offsets_ms, ddof=1)) if len(self.offsets_ms) > 1 else 0.0

    def add_note(
        self, grade: Grade, offset_ms: float | None = None, dynamic_ok: bool | None = None
    ) -> None:
        """Count a chart note as graded: a miss breaks the streak, a hit scores and adds
        to it (the judge counts so, and so does a summary made again from judgments)."""
        if grade is Grade.MISS:
            self.miss += 1
            self.streak = 0
            return
        # counted by identity, not by the member's name: the judge's hot path
        if grade is Grade.PERFECT:
            self.perfect += 1
        elif grade is Grade.GREAT:
            self.great += 1
        else:
            self.good += 1
        self.score += POINTS[grade]
        self.points += POINTS[grade] * self.multiplier
        self.streak += 1
        self.best_streak = max(self.best_streak, self.streak)
        if offset_ms is not None:
            self.offsets_ms.append(offset_ms)
        if dynamic_ok is False:
            self.dynamic_wrong += 1

    def add_stray(self, outcome: HitOutcome) -> None:
        """Count a hit that graded no note, by what became of it."""
        name = _STRAY_FIELD.get(outcome)
        if name is not None:
            setattr(self, name, getattr(self, name) + 1)

    def summary(self) -> dict[str, float | int]:
        return {
            "notes": self.notes,
            "perfect": self.perfect,
            "great": self.great,
            "good": self.good,
            "miss": self.miss,
            "extra": self.extra,
            "wrong_pad": self.wrong_pad,
            "flam": self.flam,
            "ignored": self.ignored,
            "invalid": self.invalid,
            "dynamic_wrong": self.dynamic_wrong,
            "score": self.score,
            "best_streak": self.best_streak,
            "points": self.points,
            "accuracy": round(self.accuracy, 6),
            "mean_offset_ms": round(self.mean_offset_ms, 3),
            "sd_offset_ms": round(self.sd_offset_ms, 3),
        }


#: The count a hit that graded no note adds to.
_STRAY_FIELD = {
    HitOutcome.INVALID: "invalid",
    HitOutcome.LATE: "invalid",
    HitOutcome.UNKNOWN: "invalid",
    HitOutcome.DEBOUNCED: "ignored",
    HitOutcome.SOFT: "ignored",
    HitOutcome.EXTRA: "extra",
    HitOutcome.WRONG_PAD: "wrong_pad",
    HitOutcome.FLAM: "flam",
}


class _PlayerState:
    def __init__(self, n_notes: int) -> None:
        self.open = [True] * n_notes  # a list: element access is the judge's hot path
        self.next_to_close = 0
        self.horizon = -math.inf  # judged up to here: a hit before it came too late
        self.last_stroke: dict[DrumPiece | None, float] = {}
        self.last_match: dict[DrumPiece | None, float] = {}
        self.stats = PlayerStats(notes=n_notes)


class Judge:
    """Judge the hits of one or more players against a chart.

    Parameters
    ----------
    chart : Chart
    players : sequence of str
    settings : JudgeSettings
    offsets_ms : mapping of str to float
        Per player calibration: how late that player's hits arrive [ms, real time];
        subtracted before judging.
    waits_ms : mapping of str to float
        Per player, how much longer than the grace period the judge waits for their hits
        before it closes their notes as Misses [ms, real time]: a remote partner's hits
        come over the internet, hundreds of ms after they were played.
    """

    def __init__(
        self,
        chart: Chart,
        *,
        players: Sequence[str],
        settings: JudgeSettings | None = None,
        offsets_ms: Mapping[str, float] | None = None,
        waits_ms: Mapping[str, float] | None = None,
    ) -> None:
        if not players or len(set(players)) != len(players):
            raise ValueError("players: give one or more distinct names")
        self.chart = chart
        self.settings = settings or JudgeSettings()
        self.any_pad = chart.any_pad if self.settings.any_pad is None else self.settings.any_pad
        self.offsets_ms = {p: float((offsets_ms or {}).get(p, 0.0)) for p in players}
        self._times = [n.time for n in chart.notes]
        # what a hit must be to match each note (the hi-hats are one), kept per note
        self._match = [_match_key(n.piece) for n in chart.notes]
        self._players = {p: _PlayerState(len(chart.notes)) for p in players}
        self._pending: list[_Pending] = []
        s = self.settings
        self._good_s = s.windows.good_ms / 1000.0 * s.speed  # the Good window in song time
        self._grace_s = s.grace_ms / 1000.0 * s.speed
        self._wait_s = {
            p: float((waits_ms or {}).get(p, 0.0)) / 1000.0 * s.speed for p in self._players
        }

    # -- input ---------------------------------------------------------------------------
    def push(self, hit: Hit, *, late: bool | None = None) -> bool:
        """Queue a hit; it is judged by the first ``update`` at or after its time.

        Returns False when the hit came too late to be judged in time order (the judge
        had already moved past its time for that player); it is then counted as late.
        ``late`` overrides that decision (a replay gives the recorded one).
        """
        state = self._players.get(hit.player)
        if state is None:
            raise ValueError(f"player {hit.player!r} is not in this judge")
        t = hit.time - self.offsets_ms[hit.player] / 1000.0 * self.settings.speed
        if not math.isfinite(t):
            t = math.nan
        if late is None:
            late = t < state.horizon  # False for NaN, which is counted as invalid
        key_piece: str = hit.piece if hit.piece is not None else ""  # a StrEnum: its value
        # (order key: time with NaN first, player, pad, velocity, late), time, hit
        order_t = 0.0 if math.isnan(t) else t
        self._pending.append((order_t, hit.player, key_piece, hit.velocity, late, t, hit))
        return not late

    def update(self, t: float) -> list[Judgment]:
        """Judge every queued hit up to song time ``t`` and close the notes whose window
        ended ``grace_ms`` ago; returns the judgments, in time order."""
        out: list[Judgment] = []
        ready: list[_Pending] = []
        if self._pending:
            waiting: list[_Pending] = []
            for h in self._pending:
                (ready if math.isnan(h[5]) or h[4] or h[5] <= t else waiting).append(h)
            self._pending = waiting
        # order within equal times must not depend on push order: sort on the content
        ready.sort(key=_ORDER)
        for _, player, _, _, late, ht, hit in ready:
            state = self._players[player]
            if math.isnan(ht) or not 1 <= hit.velocity <= 127:
                out.append(self._count(state, player, ht, HitOutcome.INVALID))
                continue
            if late:
                out.append(self._count(state, player, ht, HitOutcome.LATE))
                continue
            out += self._close(player, state, ht)
            state.horizon = max(state.horizon, ht)
            out.append(self._judge_hit(player, state, ht, hit))
        times = self._times
        for player, state in self._players.items():
            upto = t - self._grace_s - self._wait_s[player]
            due = upto - self._good_s  # notes before this are closed
            if upto > state.horizon:
                state.horizon = upto
            k = state.next_to_close
            if k < len(times) and times[k] < due:
                out += self._close(player, state, upto)
        return out

    def finish(self) -> list[Judgment]:
        """Judge what is left: the end of the song."""
        return self.update(math.inf)

    def stats(self, player: str) -> PlayerStats:
        return self._players[player].stats

    @property
    def players(self) -> list[str]:
        return list(self._players)

    # -- internals -----------------------------------------------------------------------
    def _count(self, state: _PlayerState, player: str, t: float, outcome: HitOutcome) -> Judgment:
        state.stats.add_stray(outcome)
        return Judgment(player, t if math.isfinite(t) else math.nan, None, outcome)

    def _close(self, player: str, state: _PlayerState, t: float) -> list[Judgment]:
        """Miss every open note whose Good window ended before ``t``."""
        out = []
        times = self._times
        due = t - self._good_s
        i = state.next_to_close
        while i < len(times) and times[i] < due:
            if state.open[i]:
                state.open[i] = False
                state.stats.add_note(Grade.MISS)
                out.append(Judgment(player, times[i], Grade.MISS, None, i))
            i += 1
        state.next_to_close = i
        return out

    def _judge_hit(self, player: str, state: _PlayerState, t: float, hit: Hit) -> Judgment:
        s = self.settings
        piece = hit.piece
        if piece is None and not self.any_pad:
            return self._count(state, player, t, HitOutcome.UNKNOWN)
        if piece is not None and hit.velocity < s.velocity_threshold.get(piece, 1):
            return self._count(state, player, t, HitOutcome.SOFT)
        last = state.last_stroke.get(piece)
        state.last_stroke[piece] = t
        if last is not None and (t - last) / s.speed * 1000.0 < s.debounce_ms:
            return self._count(state, player, t, HitOutcome.DEBOUNCED)

        lo = bisect.bisect_left(self._times, t - self._good_s)
        hi = bisect.bisect_right(self._times, t + self._good_s)
        best: int | None = None
        other = False
        is_open, times, match = state.open, self._times, self._match
        want = _match_key(piece)
        any_pad = self.any_pad
        for i in range(lo, hi):
            if not is_open[i]:
                continue
            if any_pad or match[i] is want:
                if best is None or abs(times[i] - t) < abs(times[best] - t):
                    best = i
            else:
                other = True
        offset_ms = 0.0
        grade = Grade.MISS
        if best is not None:
            offset_ms = (t - self._times[best]) / s.speed * 1000.0  # real time
            grade = s.windows.grade(offset_ms)
            # on the window's very edge song seconds and ms round apart: no match
        if best is None or grade is Grade.MISS:
            matched = state.last_match.get(piece)
            if matched is not None and 0 <= (t - matched) / s.speed * 1000.0 <= s.flam_ms:
                return self._count(state, player, t, HitOutcome.FLAM)
            return self._count(
                state, player, t, HitOutcome.WRONG_PAD if other else HitOutcome.EXTRA
            )

        note = self.chart.notes[best]
        state.open[best] = False
        state.last_match[piece] = t
        dyn: bool | None = None
        if note.dynamic is Dynamic.GHOST:
            dyn = hit.velocity <= s.ghost_max_velocity
        elif note.dynamic is Dynamic.ACCENT and not self.any_pad:
            dyn = hit.velocity >= s.accent_min_velocity
        state.stats.add_note(grade, offset_ms, dyn)
        return Judgment(player, t, grade, HitOutcome.NOTE, best, offset_ms, dyn)
