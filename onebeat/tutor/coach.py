"""The coach: after each pass of a loop it decides what comes next, and says why.

Its rules, after a pass (one player's judgments on the loop):

- **good** (≥ 85 % accuracy, ≤ 10 % of notes missed, ≤ 10 % stray hits per note): speed
  up by 5 % (10 % when ≥ 95 % accurate) until the song's own tempo, or straight to it when
  the first pass of a step is ≥ 95 % (the step is easy for this player); a good pass at
  full speed moves on to the next step, which starts at 80 % (20 % under the tempo just
  mastered);
- **falling apart** (< 50 % accuracy or > 40 % missed): slow down by 10 %; at the slowest
  speed, drop back a step (at most twice per step);
- otherwise: play it again.

Every step ends: after :data:`MAX_PASSES` passes on a step the coach moves on anyway, and a
lesson has at most :data:`MAX_LESSON_PASSES` passes. Each decision carries one sentence
about what to fix, the most useful first: a drum missing on a beat ("your kick is
missing on beat 3"), a drum played early or late ("you are rushing the snare by ~40 ms"),
stray hits, else praise.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from onebeat.engine import Grade
from onebeat.insight.stats import TakeStats, lean_word, piece_name, take_stats
from onebeat.session.model import Session
from onebeat.tutor.plan import LessonPlan

__all__ = ["MAX_LESSON_PASSES", "MAX_PASSES", "Action", "Coach", "Decision", "PassReport"]

MIN_SPEED, MAX_SPEED = 0.5, 1.0
#: Passes on one step before the coach moves on anyway.
MAX_PASSES = 12
#: Passes in a whole lesson.
MAX_LESSON_PASSES = 80
#: How often a step may drop back to the one before it.
MAX_SIMPLIFY = 2


class Action(StrEnum):
    REPEAT = "repeat"
    FASTER = "faster"
    SLOWER = "slower"
    SIMPLER = "simpler"
    NEXT = "next"
    DONE = "done"


@dataclass(frozen=True)
class PassReport:
    """What one pass says: accuracy, missed and stray shares, and the sentence to say."""

    accuracy: float
    missed: float
    strays: float
    advice: str

    @classmethod
    def of(cls, session: Session, player: str) -> PassReport:
        s = take_stats(session, player)
        notes = max(1, s.notes)
        strays = (s.counts["extra"] + s.counts["wrong_pad"]) / notes
        acc = 0.0 if math.isnan(s.accuracy) else s.accuracy
        return cls(acc, s.counts["miss"] / notes, strays, _advice(session, s, strays))

    @property
    def good(self) -> bool:
        return self.accuracy >= 0.85 and self.missed <= 0.10 and self.strays <= 0.10

    @property
    def falling_apart(self) -> bool:
        return self.accuracy < 0.5 or self.missed > 0.4


def _beat_name(position: int, frac: float) -> str:
    if frac < 0.25:
        return f"beat {position}"
    if abs(frac - 0.5) < 0.25:
        return f"the “and” of {position}"
    return f"beat {position} (between)"


def _advice(session: Session, s: TakeStats, strays: float) -> str:
    chart = session.chart
    missed = Counter[tuple[str, str]]()
    total = Counter[tuple[str, str]]()
    for r in s.results:
        beat = chart.notes[r.index].beat
        k = math.floor(beat + 1e-6)
        pos = int(chart.beat_positions[min(k, len(chart.beat_positions) - 1)])
        where = (r.piece, _beat_name(pos, beat - k))
        total[where] += 1
        missed[where] += r.grade is Grade.MISS
    overall = sum(missed.values()) / max(1, sum(total.values()))
    worst = max(total, key=lambda w: (missed[w] / total[w], total[w]), default=None)
    if worst is not None and total[worst] >= 3:
        rate = missed[worst] / total[worst]
        if rate >= 0.5 and rate >= 2 * overall:  # one place, not misses everywhere
            piece, place = worst
            what = "a tap" if chart.any_pad else f"your {piece_name(piece)}"
            return f"Listen for {place}: {what} is missing there."
    if (p := s.leaning) is not None:
        what = "the beat" if chart.any_pad else f"the {piece_name(p.piece)}"
        return f"You are {lean_word(p.offsets.mean_ms)} {what} by ~{abs(p.offsets.mean_ms):.0f} ms."
    if strays > 0.1:
        return "Play only the notes you see: there were extra hits."
    if s.offsets.n > 1 and s.offsets.sd_ms > 30:
        return f"Keep it even: your strokes wander by ±{s.offsets.sd_ms:.0f} ms. Count out loud."
    if s.counts["miss"] > 0.1 * max(1, s.notes):
        return "Keep going even after a slip: come back in on the next beat."
    return "Nice and steady."


@dataclass(frozen=True)
class Decision:
    """What the coach says after a pass: what to do, at which step and speed, and why."""

    action: Action
    step: int
    speed: float
    message: str
    report: PassReport


@dataclass
class Coach:
    """Moves one player through a lesson plan, pass by pass.

    Attributes
    ----------
    plan : LessonPlan
    step : int
        The step now played.
    speed : float
        Its practice speed now.
    """

    plan: LessonPlan
    step: int = 0
    speed: float = field(default=-1.0)
    passes: int = 0
    on_step: int = 0
    simplified: Counter[int] = field(default_factory=Counter)
    done: bool = False

    def __post_init__(self) -> None:
        self.step = max(0, min(self.step, len(self.plan.steps) - 1))
        if self.speed < 0:
            self.speed = self.plan.steps[self.step].start_speed
        self.speed = min(MAX_SPEED, max(MIN_SPEED, round(self.speed, 2)))

    def _move(self, step: int, *, warm: bool = False) -> None:
        """Go to a step: at its start speed, or (``warm``: coming from a step mastered at
        full speed) 20 % under full speed when that is faster."""
        self.step = step
        self.on_step = 0
        start = self.plan.steps[step].start_speed
        self.speed = max(start, MAX_SPEED - 0.2) if warm else start

    def after_pass(self, session: Session, player: str) -> Decision:
        """Judge a finished pass of the current step and decide the next one."""
        report = PassReport.of(session, player)
        self.passes += 1
        self.on_step += 1
        last = self.step == len(self.plan.steps) - 1
        if report.good and self.speed >= MAX_SPEED:
            if last:
                self.done = True
                action, message = Action.DONE, "You have it at full speed: lesson done!"
            else:
                self._move(self.step + 1, warm=True)
                action = Action.NEXT
                message = f"Full speed and solid. Next: {self.plan.steps[self.step].title}"
        elif report.good and self.on_step == 1 and report.accuracy >= 0.95:
            self.speed = MAX_SPEED  # easy for this player: straight to the song's tempo
            action = Action.FASTER
            message = f"Easy for you: now at full speed. {report.advice}"
        elif report.good:
            self.speed = min(
                MAX_SPEED, round(self.speed + (0.10 if report.accuracy >= 0.95 else 0.05), 2)
            )
            action = Action.FASTER
            message = f"Good! A little faster: {round(100 * self.speed)} %. {report.advice}"
        elif report.falling_apart and self.speed > MIN_SPEED:
            self.speed = max(MIN_SPEED, round(self.speed - 0.10, 2))
            action = Action.SLOWER
            message = f"Let's slow down to {round(100 * self.speed)} %. {report.advice}"
        elif report.falling_apart and self.step > 0 and self.simplified[self.step] < MAX_SIMPLIFY:
            self.simplified[self.step] += 1
            self._move(self.step - 1)
            self.speed = MIN_SPEED + 0.1
            action = Action.SIMPLER
            message = f"One layer back: {self.plan.steps[self.step].title} {report.advice}"
        else:
            action, message = Action.REPEAT, f"Again. {report.advice}"
        if action not in (Action.NEXT, Action.DONE, Action.SIMPLER) and self.on_step >= MAX_PASSES:
            if last:
                self.done = True
                action, message = (
                    Action.DONE,
                    "That's the lesson for today: come back to this step.",
                )
            else:
                self._move(self.step + 1)
                action = Action.NEXT
                message = (
                    f"Let's move on and come back to it. Next: {self.plan.steps[self.step].title}"
                )
        if self.passes >= MAX_LESSON_PASSES and not self.done:
            self.done = True
            action, message = Action.DONE, "That's enough for one lesson: well played."
        return Decision(action, self.step, self.speed, message, report)

    def state(self) -> dict[str, Any]:
        """Where the player is, to pick up next time."""
        return {"step": self.plan.steps[self.step].key, "speed": self.speed}

    @classmethod
    def resume(cls, plan: LessonPlan, state: dict[str, Any] | None) -> Coach:
        """A coach that picks up where :meth:`state` left off (a step the plan no longer
        has starts the lesson over)."""
        if not state:
            return cls(plan)
        keys = [s.key for s in plan.steps]
        step = keys.index(state["step"]) if state.get("step") in keys else 0
        speed = float(state.get("speed", plan.steps[step].start_speed))
        return cls(plan, step=step, speed=speed)
