"""Levels 4 and 5: the song's own drum part, from its transcribed drums.

4. *the song's groove*: kick, snare and one time-keeper (played as the closed hi-hat)
   where the song's drums play them, quantised to the song's beat grid (sixteenths, or
   triplets for a shuffle), with a crash on each section start where the song plays
   one; the song's fills are played on the snare.
5. *full*: level 4's moments with the time-keeper as played (closed or open hi-hat,
   ride: one of the two for a phrase, whichever its strokes mostly are, as a drummer
   keeps time on one), and the song's toms and cymbals where the transcription is sure
   of them.
   Level 5 contains level 4: every moment of level 4 is played at level 5.

A song's groove repeats, and a stroke the transcription hears only faintly in one bar is
heard again in the bars around it: levels 4 and 5 also play the kick and snare strokes
of the *groove* (the grid slots whose activation, averaged over the bars within
:data:`GROOVE_BARS` of this one, comes within :data:`GROOVE_SHARE` of the strongest
slot's) where this bar's own activation reaches :data:`GROOVE_WEAK` of the onset
threshold. On a real mix the model is less sure of everything than on the songs it
learnt from; measured against its own strongest slot, the song's backbeat stands out
even where each stroke falls short of the threshold. The time-keeper (closed hi-hat or
ride) is kept to its phrase's pattern, found the same way: a stroke heard off it is
taken for a stray (the model hears hi-hats in a real kick's noise) and left out.

Where the transcription of a bar is unsure (drums are heard but neither kick nor snare
is found, or the notes found are weak), that bar takes the song's own most confident
groove bar of its section (or, failing that, of the song) before the generic level-3
rock groove. Bars where the drums rest stay empty, and a song with no drums at all gets
the level-3 groove throughout. Each bar's source is kept in :attr:`Chart.bar_sources`,
so the player can be told how much of the part was heard. Every chart is made playable
by two hands and one foot on the kick (see :mod:`onebeat.chart.lint`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from scipy.ndimage import maximum_filter1d

from onebeat.analysis.drums import DRUM_CLASSES, FPS, DrumAnalysis, class_thresholds
from onebeat.analysis.sections import section_starts
from onebeat.analysis.songmap import SongMap
from onebeat.chart.grid import grid_notes
from onebeat.chart.lint import FEET, HAND_PRIORITY, MIN_HAND_GAP_S, MIN_KICK_GAP_S, TIMEKEEPERS
from onebeat.chart.model import Chart, Dynamic, Note, beat_to_time
from onebeat.errors import ChartError
from onebeat.kit import DrumPiece

__all__ = ["TRANSCRIBED_LEVELS", "bar_spans", "choose_subdivision", "transcribed_chart"]

TRANSCRIBED_LEVELS = (4, 5)
#: Bars with fewer onsets than this: the drums rest there.
MIN_BAR_ONSETS = 2
#: A bar whose notes' mean model probability is under this is unsure.
MIN_BAR_CONFIDENCE = 0.5
#: Fewer bars than this share with drums: the song has no drum part to follow.
MIN_DRUM_BARS = 0.25
#: Level 5's toms and cymbals need the model this sure of each stroke: a tom or cymbal
#: the song does not play is worse than one left out.
MIN_EXTRA_STRENGTH = 0.9
#: The groove of a bar is heard over the bars this far either side of it (a phrase).
GROOVE_BARS = 8
#: A slot is the groove's when its mean activation over those bars is at least this
#: share of the strongest slot's: played in (nearly) every bar, as loud as the backbone.
#: Measured on the real multitracks, 0.7 to 0.8 give the same (README); 0.8 keeps fewer.
GROOVE_SHARE = 0.8
#: ...and this bar's own activation there reaches this share of the onset threshold.
GROOVE_WEAK = 0.5
#: Under this mean activation at its strongest slot, a class plays no groove.
GROOVE_FLOOR = 0.15
#: The classes whose groove strokes are added. The time-keeper gets none added (on songs
#: that play none, a hi-hat groove would be the model's false hi-hats repeated); it is
#: kept to its phrase's pattern instead.
GROOVE_CLASSES = ("kick", "snare")
#: A slot hears the activation this far either side of its grid time [s].
SLOT_REACH_S = 0.03


def bar_spans(positions: np.ndarray) -> list[tuple[int, int]]:
    """Beat-index spans ``[start, end)`` of each bar; a pickup before the first downbeat
    is a bar of its own, and the last bar ends with the grid (when the grid ends on a
    downbeat, that beat is a last bar of one beat: the song's final hit)."""
    downs = [int(i) for i in np.flatnonzero(np.asarray(positions) == 1)]
    n = len(positions)
    starts = ([0] if not downs or downs[0] > 0 else []) + downs
    ends = [*starts[1:], n]
    return [(a, b) for a, b in zip(starts, ends, strict=True) if b > a]


def _positions(beats: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Fractional beat position of song times (NaN outside the grid)."""
    idx = np.arange(len(beats), dtype=float)
    pos = np.asarray(np.interp(times, beats, idx), dtype=float)
    pos[(times < beats[0] - 0.05) | (times > beats[-1] + 0.05)] = np.nan
    return pos


def choose_subdivision(beats: np.ndarray, onset_times: Iterable[np.ndarray]) -> int:
    """4 (sixteenths) or 3 (triplets, a shuffle or swing): the grid the onsets sit on."""
    pos = np.concatenate([_positions(beats, np.asarray(t, float)) for t in onset_times])
    frac = pos[np.isfinite(pos)] % 1.0
    if len(frac) < 8:
        return 4
    err4 = np.abs(frac * 4 - np.round(frac * 4)) / 4
    err3 = np.abs(frac * 3 - np.round(frac * 3)) / 3
    return 3 if float(np.mean(err3)) < 0.6 * float(np.mean(err4)) else 4


def _quantised(
    beats: np.ndarray, sub: int, times: np.ndarray, strengths: np.ndarray
) -> dict[int, float]:
    """Grid slot (beat × sub) → strongest onset there."""
    out: dict[int, float] = {}
    pos = _positions(beats, times)
    for p, s in zip(pos, strengths, strict=True):
        if not np.isfinite(p):
            continue
        slot = round(p * sub)
        out[slot] = max(out.get(slot, 0.0), float(s))
    return out


#: The toms, high to floor.
TOMS = (DrumPiece.TOM_HIGH, DrumPiece.TOM_MID, DrumPiece.TOM_FLOOR)
#: The time-keepers, as level 5 writes them (level 4 writes each as the closed hi-hat).
TIMEKEEPER_PIECES: dict[str, DrumPiece] = {
    "hihat": DrumPiece.HIHAT_CLOSED,
    "hihat_open": DrumPiece.HIHAT_OPEN,
    "ride": DrumPiece.RIDE,
}


def _dynamics(piece: DrumPiece, on_beat: bool) -> tuple[int, Dynamic]:
    """Velocity and dynamic written for a transcribed note: crashes accented, closed
    hi-hats softer between the beats."""
    if piece is DrumPiece.CRASH:
        return 120, Dynamic.ACCENT
    if piece is DrumPiece.HIHAT_CLOSED and not on_beat:
        return 80, Dynamic.NORMAL
    return 100, Dynamic.NORMAL


def _tom_pieces(n: int) -> list[DrumPiece]:
    """Toms of a fill run high → mid → floor, the way drummers move round the kit."""
    order = TOMS
    return [order[min(2, i * 3 // max(n, 1))] for i in range(n)]


class _Builder:
    def __init__(self, songmap: SongMap, drums: DrumAnalysis) -> None:
        self.beats = np.asarray(songmap.beats, dtype=float)
        self.positions = np.asarray(songmap.beat_positions, dtype=int)
        self.m = songmap.beats_per_bar
        on = drums.onsets
        self.sub = choose_subdivision(
            self.beats, [on.times[c] for c in ("kick", "snare", "hihat", "hihat_open", "ride")]
        )
        self.slots = {
            c: _quantised(self.beats, self.sub, on.times[c], on.strengths[c]) for c in on.times
        }
        self.bars = bar_spans(self.positions)
        self.bar_index = {lo: b for b, (lo, _) in enumerate(self.bars)}
        playing = []
        for lo, hi in self.bars:
            n = sum(1 for c in self.slots.values() for s in c if lo * self.sub <= s < hi * self.sub)
            playing.append(n >= MIN_BAR_ONSETS)
        self.playing = np.asarray(playing, dtype=bool)
        end = 2 * self.beats[-1] - self.beats[-2]
        bar_times = np.array([self.beats[lo] for lo, _ in self.bars] + [end])
        self.sections = set(
            section_starts(
                bar_times=bar_times,
                texture=drums.texture,
                drum_activations=on.activations,
                drum_fps=FPS,
                crash_times=on.times["crash"],
                drums_playing=self.playing,
            )
        )
        self.no_drums = float(np.mean(self.playing)) < MIN_DRUM_BARS if len(self.bars) else True
        self.groove = {c: self._groove_strokes(on.activations, c) for c in GROOVE_CLASSES}
        self.keeper_groove = self._keeper_groove(on.activations)
        self.on_ride = self._ride_phrases()

    def _ride_phrases(self) -> list[bool]:
        """Per bar, whether its phrase (the playing bars within GROOVE_BARS) keeps time on
        the ride rather than the hi-hat: the heard strokes' strengths summed per piece."""
        ride = np.array([sum(self.in_bar("ride", lo, hi).values()) for lo, hi in self.bars])
        hihat = np.array(
            [
                sum(self.in_bar("hihat", lo, hi).values())
                + sum(self.in_bar("hihat_open", lo, hi).values())
                for lo, hi in self.bars
            ]
        )
        out = []
        for b in range(len(self.bars)):
            near = slice(max(0, b - GROOVE_BARS), b + GROOVE_BARS + 1)
            playing = self.playing[near]
            out.append(float(ride[near][playing].sum()) > float(hihat[near][playing].sum()))
        return out

    def _slot_activation(self, activation: np.ndarray) -> np.ndarray:
        """A class's activation at each grid slot (the peak within SLOT_REACH_S)."""
        n = len(self.beats) * self.sub
        if len(activation) == 0:
            return np.zeros(n)
        reach = max(1, round(SLOT_REACH_S * FPS))
        peak = maximum_filter1d(np.asarray(activation, dtype=float), 2 * reach + 1)
        times = beat_to_time(self.beats, np.arange(n) / self.sub)
        frames = np.clip(np.round(times * FPS).astype(int), 0, len(peak) - 1)
        out = peak[frames]
        out[(times < 0) | (times * FPS > len(peak) - 1 + reach)] = 0.0
        return np.asarray(out, dtype=float)

    def _phrase_groove(self, act: np.ndarray) -> dict[int, np.ndarray]:
        """Per playing bar, its phrase's groove slots: those whose activation (per slot:
        ``act``), averaged over the playing bars of its length within GROOVE_BARS, comes
        within GROOVE_SHARE of the strongest slot's. A bar whose phrase plays the class
        too faintly (under GROOVE_FLOOR) has none."""
        out: dict[int, np.ndarray] = {}
        for b in (int(i) for i in np.flatnonzero(self.playing)):
            lo, hi = self.bars[b]
            size = (hi - lo) * self.sub
            near = [
                self.bars[d][0] * self.sub
                for d in range(max(0, b - GROOVE_BARS), min(len(self.bars), b + GROOVE_BARS + 1))
                if self.playing[d] and self.bars[d][1] - self.bars[d][0] == hi - lo
            ]
            mean = np.mean([act[start : start + size] for start in near], axis=0)
            if float(mean.max()) >= GROOVE_FLOOR:
                out[b] = mean >= GROOVE_SHARE * mean.max()
        return out

    def _groove_strokes(self, activations: np.ndarray, cls: str) -> dict[int, float]:
        """Slot → activation of the class's groove strokes that this bar plays (see the
        module's docstring); the bars where the drums rest take no part."""
        if activations.ndim != 2 or activations.shape[1] != len(DRUM_CLASSES):
            return {}
        act = self._slot_activation(activations[:, DRUM_CLASSES.index(cls)])
        weak = GROOVE_WEAK * class_thresholds()[cls]
        out: dict[int, float] = {}
        for b, groove in self._phrase_groove(act).items():
            start = self.bars[b][0] * self.sub
            own = act[start : start + len(groove)]
            for i in np.flatnonzero(groove & (own >= weak)):
                out[start + int(i)] = float(own[i])
        return out

    def _keeper_groove(self, activations: np.ndarray) -> dict[int, np.ndarray]:
        """Per playing bar, the slots where its phrase keeps time (closed or open hi-hat,
        ride: the strongest of the three per slot), as :meth:`_phrase_groove` finds them."""
        if activations.ndim != 2 or activations.shape[1] != len(DRUM_CLASSES):
            return {}
        keeper = np.max([activations[:, DRUM_CLASSES.index(c)] for c in TIMEKEEPER_PIECES], axis=0)
        return self._phrase_groove(self._slot_activation(keeper))

    def note(
        self, slot: int, piece: DrumPiece, velocity: int = 100, dyn: Dynamic = Dynamic.NORMAL
    ) -> Note:
        pos = slot / self.sub
        return Note(float(beat_to_time(self.beats, pos)[0]), pos, piece, velocity, dyn)

    def in_bar(self, cls: str, lo: int, hi: int) -> dict[int, float]:
        return {s: v for s, v in self.slots[cls].items() if lo * self.sub <= s < hi * self.sub}

    def bar_of(self, lo: int) -> int:
        """The bar that starts on this beat."""
        return self.bar_index[lo]

    def with_groove(self, cls: str, lo: int, hi: int) -> set[int]:
        """The slots of a bar where the class is heard, or played as the groove's."""
        groove = self.groove.get(cls, {})
        return set(self.in_bar(cls, lo, hi)) | {
            s for s in groove if lo * self.sub <= s < hi * self.sub
        }

    def grid_bar(self, lo: int, hi: int) -> list[Note]:
        return [
            n for k in range(lo, hi) for n in grid_notes(self.beats, self.positions, self.m, k, 3)
        ]

    def sure(self, lo: int, hi: int) -> bool:
        has_backbone = bool(self.with_groove("kick", lo, hi) or self.with_groove("snare", lo, hi))
        return has_backbone and self.confidence(lo, hi) >= MIN_BAR_CONFIDENCE

    def groove_notes(self, lo: int, hi: int, level: int, *, as_heard: bool = False) -> list[Note]:
        """This bar's kick, snare (with the groove's strokes) and time-keeper (one per
        slot: the strongest of closed hi-hat, open hi-hat and ride, on its phrase's
        time-keeping pattern, an open hi-hat wherever it is heard; level 4 writes it as
        the closed hi-hat, level 5 as its phrase's ride or hi-hat). ``as_heard``: only
        the strokes heard, each time-keeper as the piece heard."""
        pick = self.in_bar if as_heard else self.with_groove
        notes = [self.note(s, DrumPiece.KICK) for s in pick("kick", lo, hi)]
        notes += [self.note(s, DrumPiece.SNARE) for s in pick("snare", lo, hi)]
        keeper: dict[int, tuple[float, str]] = {}
        for cls in TIMEKEEPER_PIECES:
            for s, v in self.in_bar(cls, lo, hi).items():
                if v > keeper.get(s, (-1.0, ""))[0]:
                    keeper[s] = (v, cls)
        bar = self.bar_of(lo)
        ride = self.on_ride[bar]
        pattern = None if as_heard else self.keeper_groove.get(bar)
        for s, (_, cls) in keeper.items():
            if pattern is not None and cls != "hihat_open" and not pattern[s - lo * self.sub]:
                continue  # off its phrase's time-keeping pattern: a stray, not the groove
            if as_heard:
                piece = TIMEKEEPER_PIECES[cls]
            elif level == 4:
                piece = DrumPiece.HIHAT_CLOSED
            elif ride:
                piece = DrumPiece.RIDE
            else:
                piece = TIMEKEEPER_PIECES["hihat_open" if cls == "hihat_open" else "hihat"]
            notes.append(self.note(s, piece, *_dynamics(piece, s % self.sub == 0)))
        return notes

    def extra_notes(self, lo: int, hi: int, least: float = MIN_EXTRA_STRENGTH) -> list[Note]:
        """Level 5's toms (running down the kit) and crashes, where the model is sure."""
        sure = {
            c: [s for s, v in self.in_bar(c, lo, hi).items() if v >= least]
            for c in ("tom", "crash")
        }
        notes = [self.note(s, DrumPiece.CRASH, 120, Dynamic.ACCENT) for s in sure["crash"]]
        toms = sorted(sure["tom"])
        return notes + [self.note(s, p) for s, p in zip(toms, _tom_pieces(len(toms)), strict=True)]

    def confidence(self, lo: int, hi: int) -> float:
        found = [
            v
            for c in ("kick", "snare", "hihat", "hihat_open", "ride")
            for v in self.in_bar(c, lo, hi).values()
        ]
        return float(np.mean(found)) if found else 0.0

    def is_fill(self, lo: int, hi: int) -> bool:
        return len(self.in_bar("tom", lo, hi)) >= 2

    def donors(self) -> dict[int, int]:
        """For each unsure bar with drums, the sure groove bar (same length, not a fill)
        that stands in for it: the most confident of its section, else of the song."""
        section_of, current = [], 0
        for b in range(len(self.bars)):
            current = b if b in self.sections else current
            section_of.append(current)
        sure = [
            b
            for b, (lo, hi) in enumerate(self.bars)
            if self.playing[b] and self.sure(lo, hi) and not self.is_fill(lo, hi)
        ]
        conf = {b: self.confidence(*self.bars[b]) for b in sure}
        out: dict[int, int] = {}
        for b, (lo, hi) in enumerate(self.bars):
            if not self.playing[b] or self.sure(lo, hi):
                continue
            same = [d for d in sure if self.bars[d][1] - self.bars[d][0] == hi - lo]
            here = [d for d in same if section_of[d] == section_of[b]]
            pool = here or same
            if pool:
                out[b] = max(pool, key=lambda d: (conf[d], -abs(d - b)))
        return out

    def heard(self) -> tuple[list[Note], list[str]]:
        """Every stroke heard, on the grid, nothing filled in (``onebeat transcribe``)."""
        notes: list[Note] = []
        sources: list[str] = []
        for b, (lo, hi) in enumerate(self.bars):
            if not self.playing[b]:
                sources.append("rest")
                continue
            notes += self.groove_notes(lo, hi, 5, as_heard=True)
            notes += self.extra_notes(lo, hi, least=0.0)
            sources.append("heard")
        return playable(notes), sources

    def build(self, level: int) -> tuple[list[Note], list[str]]:
        notes: list[Note] = []
        sources: list[str] = []
        donors = {} if self.no_drums else self.donors()
        for b, (lo, hi) in enumerate(self.bars):
            if self.no_drums:
                notes += self.grid_bar(lo, hi)
                sources.append("groove")
                continue
            if not self.playing[b]:
                sources.append("rest")
                continue
            if self.sure(lo, hi):
                bar = self.groove_notes(lo, hi, level)
                if level == 5:
                    bar += self.extra_notes(lo, hi)
                else:  # a fill played on the snare: level 5 takes it round the toms
                    bar += [
                        self.note(round(n.beat * self.sub), DrumPiece.SNARE)
                        for n in self.extra_notes(lo, hi)
                        if n.piece in TOMS
                    ]
                sources.append("heard")
            elif b in donors:
                d_lo, d_hi = self.bars[donors[b]]
                bar = [self.moved(n, lo - d_lo) for n in self.groove_notes(d_lo, d_hi, level)]
                sources.append("pattern")
            else:
                bar = self.grid_bar(lo, hi)
                sources.append("groove")
            if b in self.sections and self.crash_heard(lo):
                bar = self._crash_on(bar, lo)
            notes += bar
        return playable(notes), sources

    def moved(self, n: Note, beats: int) -> Note:
        return self.note(round((n.beat + beats) * self.sub), n.piece, n.velocity, n.dynamic)

    def crash_heard(self, beat: int) -> bool:
        """Whether the song plays a crash on this beat (within a slot of it): a section
        start gets its crash only then, never one the song does not play."""
        at = beat * self.sub
        return any(abs(s - at) <= 1 for s in self.slots["crash"])

    def _crash_on(self, bar: list[Note], lo: int) -> list[Note]:
        """A crash (with the kick) on the first beat of a section."""
        at = float(lo)
        kept = [
            n
            for n in bar
            if not (n.beat == at and (n.piece in TIMEKEEPERS or n.piece is DrumPiece.CRASH))
        ]
        kept.append(self.note(lo * self.sub, DrumPiece.CRASH, 120, Dynamic.ACCENT))
        if not any(n.beat == at and n.piece is DrumPiece.KICK for n in kept):
            kept.append(self.note(lo * self.sub, DrumPiece.KICK))
        return kept


def playable(notes: list[Note]) -> list[Note]:
    """Keep what two hands and two feet can play (the linter's rules): at most two hand
    notes at once (by :data:`HAND_PRIORITY`), hand strokes :data:`MIN_HAND_GAP_S` apart
    (and three within twice that), kicks :data:`MIN_KICK_GAP_S` apart; where a moment
    breaks a rule, the later moment gives way."""
    by_beat: dict[float, list[Note]] = defaultdict(list)
    for n in notes:
        if all(o.piece is not n.piece for o in by_beat[n.beat]):
            by_beat[n.beat].append(n)
    out: list[Note] = []
    hand_times = [-np.inf, -np.inf]
    last_kick = -np.inf
    for beat in sorted(by_beat):
        group = by_beat[beat]
        t = group[0].time
        hands = sorted(
            (n for n in group if n.piece not in FEET), key=lambda n: HAND_PRIORITY.index(n.piece)
        )[:2]
        feet = [n for n in group if n.piece in FEET]
        if hands and (
            t - hand_times[-1] < MIN_HAND_GAP_S or t - hand_times[-2] < 2 * MIN_HAND_GAP_S
        ):
            hands = []
        if hands:
            hand_times = [hand_times[-1], t]
        kick = [n for n in feet if n.piece is DrumPiece.KICK]
        if kick and t - last_kick < MIN_KICK_GAP_S:
            feet = [n for n in feet if n.piece is not DrumPiece.KICK]
        elif kick:
            last_kick = t
        out += hands + feet
    return out


def transcribed_chart(
    songmap: SongMap, drums: DrumAnalysis, *, level: int, title: str = "", as_heard: bool = False
) -> Chart:
    """Write a level-4 or level-5 chart from a SongMap and the song's transcribed drums.

    With ``as_heard`` (level 5 only), the chart is the transcription itself on the grid:
    every stroke heard, no bar filled in, no crash added on a section start.
    """
    if level not in TRANSCRIBED_LEVELS:
        raise ChartError(f"level {level}: charts from the song's drums are levels 4 and 5")
    builder = _Builder(songmap, drums)
    notes, sources = builder.heard() if as_heard else builder.build(level)
    if not notes:
        raise ChartError(f"{title or 'song'}: no drum strokes were heard")
    return Chart(
        notes=tuple(notes),
        beats=builder.beats,
        beat_positions=builder.positions,
        beats_per_bar=builder.m,
        level=level,
        title=title or str(songmap.audio.get("file", "")),
        sections=tuple(float(builder.bars[b][0]) for b in sorted(builder.sections)),
        bar_sources=tuple(sources),
    )
