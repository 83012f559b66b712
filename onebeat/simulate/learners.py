"""Simulated learners, to see what the coach does with people who learn at different rates.

A model learner's skill grows with practice as ``1 − exp(−t / tau)`` (t: seconds played;
a plausible learning curve: fast at first, then slower). From the skill, per step and
speed, come the timing spread (from ``sd_start_ms`` down to ``sd_floor_ms``), the share of
notes missed and a constant lean (``bias_ms``: negative rushes). Harder steps and faster
speeds multiply the unskilled part. Passes are played through the real judge
(:func:`onebeat.simulate.players.play_chart`), so the coach sees what it would see live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from onebeat.engine import JudgeSettings
from onebeat.simulate.players import play_chart
from onebeat.tutor.coach import Action, Coach, Decision
from onebeat.tutor.plan import LessonPlan, Step

__all__ = [
    "DIFFICULTY",
    "LearnerKeys",
    "Lesson",
    "ModelLearner",
    "pass_seconds",
    "run_lesson",
]

#: How much harder each step is than tapping the pulse (multiplies the unskilled part).
DIFFICULTY = {"pulse": 0.5, "hihat": 0.7, "kick": 1.0, "backbeat": 1.2, "groove": 1.3, "song": 1.6}
#: Bars of count-in before each pass.
COUNT_IN_BARS = 1


def pass_seconds(step: Step, speed: float, *, count_in: bool = True) -> float:
    """How long one pass of a step takes in real time at a speed: the loop, and its
    bar of count-in (a lesson's every pass has one: the coach speaks, then counts the
    player in; a loop played on without a coach has it only once) [s]."""
    bar = step.loop.length / max(1, step.loop.last - step.loop.first + 1)
    return (step.loop.length + (COUNT_IN_BARS * bar if count_in else 0.0)) / speed


@dataclass
class ModelLearner:
    """A player who gets better with practice.

    Attributes
    ----------
    tau_s : float
        Practice time to get 63 % of the way to their best [s].
    sd_start_ms, sd_floor_ms : float
        Timing spread of a first-timer on a medium step, and at their best [ms].
    miss_start : float
        Share of notes missed at first on a medium step.
    bias_ms : float
        Constant lean (negative: rushing) [ms].
    overload_gain : float
        How much a pass that fell apart (< 50 %) teaches, against one within reach: 1
        (as much: no such effect), or less, as the challenge-point view of motor learning
        (Guadagnoli and Lee 2004) holds for tasks far beyond the learner.
    practiced_s : float
        Seconds played so far.
    """

    tau_s: float = 120.0
    sd_start_ms: float = 45.0
    sd_floor_ms: float = 10.0
    miss_start: float = 0.3
    bias_ms: float = -15.0
    overload_gain: float = 1.0
    practiced_s: float = 0.0
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    @property
    def skill(self) -> float:
        return 1.0 - math.exp(-self.practiced_s / self.tau_s)

    def offsets(self, step: Step, speed: float) -> np.ndarray:
        """Offsets [ms] for the notes of one pass (NaN: missed)."""
        return self.offsets_for(step.key, len(step.chart.notes), speed)

    def offsets_for(self, key: str, n: int, speed: float) -> np.ndarray:
        """Offsets [ms] for ``n`` notes of a pass of the step ``key`` (NaN: missed)."""
        hard = DIFFICULTY.get(key, 1.3) * (0.6 + 0.4 * speed / 1.0)
        rest = (1.0 - self.skill) * hard
        sd = self.sd_floor_ms + (self.sd_start_ms - self.sd_floor_ms) * rest
        miss = min(0.95, self.miss_start * rest)
        out = self.bias_ms * (1 - 0.5 * self.skill) + sd * self.rng.standard_normal(n)
        out[self.rng.random(n) < miss] = np.nan
        return out

    def practice(self, seconds: float, accuracy: float) -> None:
        """Count a pass as practice: fully when it was within reach (≥ 50 % accurate),
        ``overload_gain`` of it when it fell apart (too hard to learn from)."""
        self.practiced_s += seconds * (1.0 if accuracy >= 0.5 else self.overload_gain)


@dataclass(frozen=True)
class Lesson:
    """A simulated lesson: each pass's decision with the time it ended [s], and when
    the goal (the basic groove at full speed, ≥ 80 %) was first reached."""

    decisions: list[tuple[float, int, float, Decision]]
    goal_s: float | None
    seconds: float


def run_lesson(
    plan: LessonPlan,
    learner: ModelLearner,
    *,
    max_seconds: float = 600.0,
    player: str = "learner",
    experienced: bool = False,
) -> Lesson:
    """Let the coach teach a model learner until the lesson is done or the time is up
    (``experienced``: they start with the placement pass).

    Each pass takes the loop's length and a bar of count-in, in real time at its speed."""
    coach = Coach.placed(plan) if experienced else Coach(plan)
    t = 0.0
    goal: float | None = None
    out = []
    while not coach.done and t < max_seconds:
        step = plan.steps[coach.step]
        speed = coach.speed
        seconds = pass_seconds(step, speed)
        offs = learner.offsets(step, speed)
        session = play_chart(step.chart, {player: offs}, settings=JudgeSettings(speed=speed))
        t += seconds
        index = coach.step
        decision = coach.after_pass(session, player)
        learner.practice(step.loop.length / speed, decision.report.accuracy)
        if goal is None and index >= plan.goal and speed >= 1.0 and decision.report.accuracy >= 0.8:
            goal = t
        out.append((t, index, speed, decision))
        if decision.action is Action.DONE:
            break
    return Lesson(out, goal, t)


class LearnerKeys:
    """Model learners at a keyboard: for each pass of a lesson (a ``lesson`` message of
    the lesson room) each presses their part's keys at their model's offsets, each press
    with its own time, as a browser's key events carry theirs. For the terminal lesson's
    tests and its capture."""

    def __init__(self, learners: dict[str, ModelLearner]) -> None:
        self.learners = learners
        self.presses: list[tuple[float, str]] = []
        self._played_s = 0.0  # the pass before, in real time: practice, once it is over

    def begin(self, lesson: dict[str, Any]) -> None:
        speed = lesson["speed"]
        loop = lesson["loop"]
        for learner in self.learners.values():
            learner.practice(self._played_s, 1.0)
        self._played_s = (loop["end"] - loop["start"]) / speed
        keymap = lesson["keymap"]["players"]
        presses = []
        for name, part in lesson["players"].items():
            notes = part["chart"]["notes"]
            offs = self.learners[name].offsets_for(part["key"], len(notes), speed)
            keys = {piece: key for key, piece in reversed(keymap[name].items())}
            for (t, _, piece, *_), off in zip(notes, offs, strict=True):
                if math.isfinite(off):
                    key = keys["snare"] if part["chart"]["any_pad"] else keys[piece]
                    presses.append((t + off / 1000.0 * speed, key))
        self.presses = sorted(presses)

    def read(self, now: float) -> list[tuple[str, float]]:
        due = [(k, t) for t, k in self.presses if t <= now]
        self.presses = self.presses[len(due) :]
        return due
