"""The coach: after each pass of a loop it decides what comes next, and says why.

Its rules, after a pass (one player's judgments on the loop):

- **good** (≥ 85 % accuracy, ≤ 10 % of notes missed, ≤ 10 % stray hits per note): on a
  layer before the goal, add the next layer at the same speed (5 % faster when ≥ 95 %
  accurate): layers are stepping stones, the speed is built on the whole groove. On the
  goal and after it, speed up by 10 %, or straight to the song's tempo from 80 % or when
  ≥ 95 % accurate (a teacher's "now try it at tempo": if it falls apart there, the next
  rule slows it down again); a good pass at full speed moves on to the next step, which
  starts at 80 % (20 % under the tempo just mastered), or ends the lesson;
- **falling apart** (< 50 % accuracy or > 40 % missed): slow down by 10 %; at the slowest
  speed, drop back a step (at most twice per step);
- otherwise: play it again.

A player who says they have played before starts on the goal (the 8-bar groove) at 80 %:
a placement pass. Held, they go on from there; if it falls apart, they go to the first
layer they have not shown yet (the pulse when under 30 %, else the hi-hat).

Two players learning together (:class:`PairCoach`) each have their own coach and part,
over the same bars at the same speed (the song plays once): the bars of the less advanced
player's step, at the slower of the two coaches' speeds. After each pass it also says
how together they were.

Every step ends: after :data:`MAX_PASSES` passes on a step the coach moves on anyway, and a
lesson has at most :data:`MAX_LESSON_PASSES` passes. Each decision carries one sentence
about what to fix, the most useful first: a drum missing on a beat ("your kick is
missing on beat 3"), a drum played early or late ("you are rushing the snare by ~40 ms"),
stray hits, else praise.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from onebeat.engine import Grade, LoopPlan
from onebeat.errors import ChartError
from onebeat.insight.duet import TOGETHER_MS, onset_offsets
from onebeat.insight.stats import TakeStats, take_stats
from onebeat.kit import lean_word, piece_name
from onebeat.session.model import Session
from onebeat.tutor.plan import LessonPlan, Step

__all__ = [
    "MAX_LESSON_PASSES",
    "MAX_PASSES",
    "PLACEMENT_SPEED",
    "Action",
    "Coach",
    "Decision",
    "PairCoach",
    "PairDecision",
    "PassReport",
    "Together",
    "together",
]

#: Under this mean asynchrony [ms] neither player of a pair is said to be ahead.
AHEAD_MS = 12.0

MIN_SPEED, MAX_SPEED = 0.5, 1.0
#: Passes on one step before the coach moves on anyway.
MAX_PASSES = 12
#: Passes in a whole lesson.
MAX_LESSON_PASSES = 80
#: How often a step may drop back to the one before it.
MAX_SIMPLIFY = 2
#: From this speed a good pass goes straight to the song's own tempo.
TRY_FULL_FROM = 0.8
#: Where someone who has played before starts: the goal, at this speed.
PLACEMENT_SPEED = 0.8


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
    if s.notes and s.counts["miss"] == s.notes and not session.hits:
        return "No hits came through: play along on the keys or pads shown under the lanes."
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
    placing: bool = False
    #: The next pass plays the song's own drums as a quiet guide (:attr:`song_drums`).
    guide: bool = True

    @classmethod
    def placed(cls, plan: LessonPlan) -> Coach:
        """A coach for someone who has played before: a first pass of the goal at 80 %
        decides where they start."""
        return cls(plan, step=plan.goal, speed=PLACEMENT_SPEED, placing=True, guide=False)

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
        placing, self.placing = self.placing, False
        if placing and report.falling_apart:
            self._move(self.plan.index("pulse" if report.accuracy < 0.3 else "hihat"))
            action = Action.SIMPLER
            message = f"Let's build it up: {self.plan.steps[self.step].title} {report.advice}"
        elif report.good and self.speed >= MAX_SPEED:
            if last:
                self.done = True
                action, message = Action.DONE, "You have it at full speed: lesson done!"
            else:
                self._move(self.step + 1, warm=True)
                action = Action.NEXT
                message = f"Full speed and solid. Next: {self.plan.steps[self.step].title}"
        elif report.good and self.step < self.plan.goal:
            # a layer is a stepping stone: once it holds at this speed, add the next one
            speed = min(MAX_SPEED, round(self.speed + (0.05 if report.accuracy >= 0.95 else 0), 2))
            self._move(self.step + 1)
            self.speed = speed
            action = Action.NEXT
            message = f"Got it. Next: {self.plan.steps[self.step].title}"
        elif report.good and (self.speed >= TRY_FULL_FROM or report.accuracy >= 0.95):
            self.speed = MAX_SPEED  # near the song's tempo, or easy: try it at tempo
            action = Action.FASTER
            message = f"Now at the song's own speed. {report.advice}"
        elif report.good:
            self.speed = min(MAX_SPEED, round(self.speed + 0.10, 2))
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
        # a new layer, or one that fell apart, is heard first: the song's drums as a
        # guide; a layer the player has (played again, or faster) they play alone
        self.guide = action in (Action.NEXT, Action.SIMPLER, Action.SLOWER)
        if self.passes >= MAX_LESSON_PASSES and not self.done:
            self.done = True
            action, message = Action.DONE, "That's enough for one lesson: well played."
        return Decision(action, self.step, self.speed, message, report)

    @property
    def song_drums(self) -> str:
        """The song's drums in the next pass (:data:`onebeat.analysis.drumless.DRUM_LEVELS`):
        a quiet "guide" on a layer's first pass and after one that fell apart, so that a
        first-timer hears what to play; "off" once they play it, so that they play it
        themselves."""
        return "guide" if self.guide else "off"

    def state(self) -> dict[str, Any]:
        """Where the player is, to pick up next time."""
        return {
            "step": self.plan.steps[self.step].key,
            "speed": self.speed,
            "done": self.done,
            "passes": self.passes,
        }

    @classmethod
    def resume(
        cls, plan: LessonPlan, state: Mapping[str, Any] | None, *, experienced: bool = False
    ) -> Coach:
        """A coach that picks up where :meth:`state` left off: at the same step and
        speed; a lesson finished before starts its last step again at 80 %. A step the
        plan no longer has, or no state, starts the lesson over (with a placement pass
        for someone ``experienced``)."""
        keys = [s.key for s in plan.steps]
        if not state or state.get("step") not in keys:
            return cls.placed(plan) if experienced else cls(plan)
        step = keys.index(state["step"])
        speed = float(state.get("speed", plan.steps[step].start_speed))
        if state.get("done"):
            speed = min(speed, PLACEMENT_SPEED)
        return cls(plan, step=step, speed=speed)

    @property
    def current(self) -> Step:
        return self.plan.steps[self.step]


@dataclass(frozen=True)
class Together:
    """How together two players were on the onsets both their parts have.

    Attributes
    ----------
    common : int
        Onsets in both parts that both played.
    together : float
        Share of them within :data:`~onebeat.insight.duet.TOGETHER_MS` of each other.
    mean_ms : float
        Mean asynchrony, first player minus second [ms] (positive: the second is ahead).
    message : str
    """

    common: int
    together: float
    mean_ms: float
    message: str


def together(sessions: Mapping[str, Session]) -> Together | None:
    """Two players' passes, each on their own part over the same bars: how together they
    were where both parts have a note (None with fewer than 4 such onsets played)."""
    (a, sa), (b, sb) = sessions.items()
    ta, oa, _ = onset_offsets(sa, a)
    tb, ob, _ = onset_offsets(sb, b)
    _, ia, ib = np.intersect1d(ta, tb, return_indices=True)
    d = oa[ia] - ob[ib]
    d = d[np.isfinite(d)]
    if len(d) < 4:
        return None
    share = float(np.mean(np.abs(d) <= TOGETHER_MS))
    mean = float(np.mean(d))
    if share >= 0.85 and abs(mean) < AHEAD_MS:
        text = f"Together: {100 * share:.0f} % of your shared notes within {TOGETHER_MS:.0f} ms."
    elif abs(mean) >= AHEAD_MS:
        ahead, behind = (b, a) if mean > 0 else (a, b)
        text = (
            f"{ahead} is ~{abs(mean):.0f} ms ahead of {behind}: {ahead}, listen for "
            f"{behind}'s notes and land with them."
        )
    else:
        text = (
            f"{100 * share:.0f} % together within {TOGETHER_MS:.0f} ms: listen to each other "
            "as much as to the song."
        )
    return Together(len(d), share, mean, text)


@dataclass(frozen=True)
class PairDecision:
    """What the coach says to a pair after a pass."""

    decisions: dict[str, Decision]
    together: Together | None
    span: tuple[int, int]
    speed: float
    done: bool


@dataclass
class PairCoach:
    """Two players learning together, each on their own part.

    The bars are the less advanced player's step's; the speed is the slower of the two
    coaches' (each coach moves its own step; the pair moves at the pace of the one who
    needs it)."""

    coaches: dict[str, Coach]

    def __post_init__(self) -> None:
        if len(self.coaches) != 2:
            raise ValueError("a pair lesson has two players")
        self._share_speed()

    def _share_speed(self) -> None:
        speed = min(c.speed for c in self.coaches.values())
        for c in self.coaches.values():
            c.speed = speed

    @property
    def learner(self) -> str:
        """The less advanced player (their step sets the bars)."""
        return min(self.coaches, key=lambda n: (self.coaches[n].step, self.coaches[n].speed))

    @property
    def span(self) -> tuple[int, int]:
        return self.coaches[self.learner].current.span

    @property
    def speed(self) -> float:
        return self.coaches[self.learner].speed

    @property
    def done(self) -> bool:
        return all(c.done for c in self.coaches.values())

    @property
    def song_drums(self) -> str:
        """The song's drums in the next pass: the guide while either player needs it."""
        guide = any(c.guide for c in self.coaches.values())
        return "guide" if guide else "off"

    def loops(self) -> dict[str, LoopPlan]:
        """Each player's part over the pair's bars (the learner's own step where a
        partner's part has no notes there)."""
        first, last = self.span
        out = {}
        for name, c in self.coaches.items():
            try:
                out[name] = c.current.over(first, last)
            except ChartError:
                out[name] = self.coaches[self.learner].current.loop
        return out

    def after_pass(self, sessions: Mapping[str, Session]) -> PairDecision:
        """Both players' passes (one session each, their own part): each coach decides,
        and the pair goes on at the slower speed and the learner's bars."""
        decisions = {name: c.after_pass(sessions[name], name) for name, c in self.coaches.items()}
        learner = self.learner
        shared = min(c.speed for c in self.coaches.values())
        for name, d in decisions.items():
            if d.action is Action.FASTER and d.speed > shared:  # the partner sets the pace
                said = f"Solid: hold it steady for {learner}. {d.report.advice}"
                decisions[name] = replace(d, speed=shared, message=said)
        coaches = self.coaches.values()
        finished = all(c.done for c in coaches) or any(
            c.passes >= MAX_LESSON_PASSES for c in coaches
        )
        for c in coaches:  # one who has finished keeps their part and accompanies
            c.done = finished
        self._share_speed()
        return PairDecision(decisions, together(sessions), self.span, self.speed, finished)
