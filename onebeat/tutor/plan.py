"""Lesson plans: a song's groove built up in layers, as drum teachers do.

From the song's basic rock groove (chart level 3: hi-hat eighths, kick on 1 and 3, snare
on 2 and 4, on the song's own beat grid) a plan makes short looped steps:

1. feel the pulse: tap every beat, any pad;
2. hi-hat eighths;
3. add the kick;
4. add the snare backbeat (the basic groove, 4 bars);
5. the basic groove over 8 bars: the goal of a first lesson;
6. the song's own groove (level 4, transcribed from the recording), 8 bars with its first
   fill, where the song has one.

Each step loops a few bars of the song (the first bars after an intro, so the music is
already going) and starts slower, at the same pitch; the coach speeds it up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from onebeat.chart.model import Chart, Note
from onebeat.engine.loop import LoopPlan
from onebeat.errors import ChartError
from onebeat.kit import DrumPiece

__all__ = ["GOAL_STEP", "LessonPlan", "Step", "lesson_plan"]

#: The step that is the first lesson's goal: the basic groove, 8 bars, at full speed.
GOAL_STEP = "groove"
_HATS = frozenset({DrumPiece.HIHAT_CLOSED, DrumPiece.HIHAT_OPEN})


@dataclass(frozen=True)
class Step:
    """One step of a lesson: a loop of a few bars with some of the groove's voices.

    Attributes
    ----------
    key : str
        "pulse", "hihat", "kick", "backbeat", "groove" or "song".
    title : str
        What the player is told to do.
    loop : LoopPlan
        The bars, looped, and the notes to play in them.
    start_speed : float
        Practice speed the step starts at (the coach moves it).
    """

    key: str
    title: str
    loop: LoopPlan
    start_speed: float
    source: Chart

    @property
    def chart(self) -> Chart:
        return self.loop.chart

    @property
    def span(self) -> tuple[int, int]:
        return self.loop.first, self.loop.last

    def over(self, first: int, last: int) -> LoopPlan:
        """This step's part over other bars (a partner's loop, in a pair lesson)."""
        if (first, last) == self.span:
            return self.loop
        return LoopPlan.from_chart(self.source, first, last)

    @property
    def bars(self) -> str:
        return f"bars {self.loop.first}–{self.loop.last}"


@dataclass(frozen=True)
class LessonPlan:
    """The steps of a lesson on one song, easiest first."""

    song: str
    steps: tuple[Step, ...]

    def index(self, key: str) -> int:
        return next(k for k, s in enumerate(self.steps) if s.key == key)

    @property
    def goal(self) -> int:
        return self.index(GOAL_STEP)


def _with(chart: Chart, notes: list[Note], *, any_pad: bool = False) -> Chart:
    if not notes:
        raise ChartError(f"lesson: {chart.title!r} has no notes for this step")
    return replace(chart, notes=tuple(notes), any_pad=any_pad, level=chart.level)


def _first_bar(chart: Chart) -> int:
    """The first bar of the lesson's loops: the first section after an intro, else bar
    2 (bar 1 is often a pickup or a count-in)."""
    down = chart.downbeats
    bars = len(down)
    if chart.sections:
        pos = np.flatnonzero(chart.beat_positions == 1)
        starts = sorted({int(np.searchsorted(pos, b, side="right")) for b in chart.sections})
        later = [b for b in starts if b >= 2 and b + 7 <= bars]
        if later:
            return later[0]
    return 2 if bars >= 9 else 1


def lesson_plan(
    groove: Chart,
    *,
    song_groove: Chart | None = None,
    start_speed: float = 0.7,
) -> LessonPlan:
    """A lesson on a song.

    Parameters
    ----------
    groove : Chart
        The song's basic rock groove (level 3).
    song_groove : Chart, optional
        The song's own groove (level 4), for the last step.
    start_speed : float
        Practice speed each step starts at.

    Raises
    ------
    ChartError
        When the song is too short for a 4-bar loop, or the groove lacks a voice.
    """
    bars = len(groove.downbeats)
    if bars < 5:
        raise ChartError(f"lesson: {groove.title!r} has {bars} bars; a lesson loops 4 or more")
    a = _first_bar(groove)
    four = (a, min(a + 3, bars))
    eight = (a, min(a + 7, bars))
    notes = list(groove.notes)
    beat_notes = [Note(float(t), float(k), DrumPiece.SNARE) for k, t in enumerate(groove.beats)]
    layers = [
        (
            "pulse",
            "Feel the pulse: tap every beat, on any pad.",
            _with(groove, beat_notes, any_pad=True),
            four,
        ),
        (
            "hihat",
            "Hi-hat eighths: two even strokes per beat.",
            _with(groove, [n for n in notes if n.piece in _HATS]),
            four,
        ),
        (
            "kick",
            "Add the kick with your foot on beats 1 and 3.",
            _with(groove, [n for n in notes if n.piece in _HATS or n.piece is DrumPiece.KICK]),
            four,
        ),
        ("backbeat", "Add the snare on 2 and 4: the backbeat.", groove, four),
        (GOAL_STEP, "The whole groove: hi-hat, kick and snare together.", groove, eight),
    ]
    steps = [
        Step(key, title, LoopPlan.from_chart(chart, *span), start_speed, chart)
        for key, title, chart, span in layers
    ]
    if song_groove is not None:
        try:
            first = _first_bar(song_groove)
            span = (first, min(first + 7, len(song_groove.downbeats)))
            loop = LoopPlan.from_chart(song_groove, *span)
            title = "The song's own groove, with its fill."
            steps.append(Step("song", title, loop, start_speed, song_groove))
        except ChartError:
            pass  # the song's groove has no notes there: the lesson ends with the basic one
    return LessonPlan(groove.title, tuple(steps))
