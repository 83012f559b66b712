"""Lesson plans and the coach, with model learners who learn fast, slowly or not at all."""

from __future__ import annotations

import numpy as np
import pytest

from onebeat.engine import JudgeSettings
from onebeat.errors import ChartError
from onebeat.kit import DrumPiece
from onebeat.simulate.learners import ModelLearner, run_lesson
from onebeat.simulate.players import groove_chart, play_chart
from onebeat.tutor import (
    MAX_LESSON_PASSES,
    MAX_PASSES,
    Action,
    Coach,
    PairCoach,
    PairDecision,
    lesson_plan,
)

CHART = groove_chart(40, bpm=110)
PLAN = lesson_plan(CHART)


def test_the_plan_builds_the_groove_in_layers() -> None:
    keys = [s.key for s in PLAN.steps]
    assert keys == ["pulse", "hihat", "kick", "backbeat", "groove"]
    pieces = [{n.piece for n in s.chart.notes} for s in PLAN.steps]
    assert pieces[1] == {DrumPiece.HIHAT_CLOSED}
    assert pieces[2] == {DrumPiece.HIHAT_CLOSED, DrumPiece.KICK}
    assert pieces[3] == pieces[4] == {DrumPiece.HIHAT_CLOSED, DrumPiece.KICK, DrumPiece.SNARE}
    assert PLAN.steps[0].chart.any_pad and not PLAN.steps[1].chart.any_pad
    assert [(s.loop.first, s.loop.last) for s in PLAN.steps] == [(2, 5)] * 4 + [(2, 9)]
    assert len(PLAN.steps[0].chart.notes) == 16  # four bars of quarter-note pulse
    assert all(s.start_speed == 0.7 for s in PLAN.steps)
    with pytest.raises(ChartError, match="a lesson loops 4 or more"):
        lesson_plan(groove_chart(2))


def one_pass(
    coach: Coach, offsets_ms: float | None, *, miss_every: int = 0, great_every: int = 0
) -> Action:
    step = coach.plan.steps[coach.step]
    offs = np.full(len(step.chart.notes), offsets_ms if offsets_ms is not None else np.nan)
    if miss_every:
        offs[::miss_every] = np.nan
    if great_every:
        offs[::great_every] = 50.0  # a Great (70 points)
    session = play_chart(step.chart, {"p": offs}, settings=JudgeSettings(speed=coach.speed))
    return coach.after_pass(session, "p").action


def test_layers_move_on_at_speed_and_the_goal_is_built_up_to_full_speed() -> None:
    coach = Coach(PLAN)
    assert one_pass(coach, 50.0) is Action.REPEAT  # all Great: 70 %, played again
    # a good layer adds the next one at the same speed (+5 % when ≥ 95 %)
    assert one_pass(coach, 0.0, great_every=4) is Action.NEXT  # 92.5 %
    assert (coach.step, coach.speed) == (1, 0.7)
    assert one_pass(coach, 0.0) is Action.NEXT and (coach.step, coach.speed) == (2, 0.75)
    one_pass(coach, 0.0)
    one_pass(coach, 0.0)
    assert (coach.step, coach.speed) == (PLAN.goal, 0.85)
    # on the goal: +10 % when good, straight to tempo from 80 % or when ≥ 95 %
    coach = Coach(PLAN, step=PLAN.goal, speed=0.6)
    assert one_pass(coach, 0.0, great_every=4) is Action.FASTER and coach.speed == 0.7
    assert one_pass(coach, 0.0) is Action.FASTER and coach.speed == 1.0
    assert one_pass(coach, 0.0, miss_every=4) is Action.REPEAT and coach.speed == 1.0
    assert one_pass(coach, 0.0) is Action.DONE and coach.done


def test_someone_who_has_played_starts_on_the_groove() -> None:
    coach = Coach.placed(PLAN)
    assert (coach.step, coach.speed) == (PLAN.goal, 0.8)
    assert one_pass(coach, 0.0, great_every=4) is Action.FASTER and coach.speed == 1.0
    # the placement pass fell apart: build it up from the layers
    coach = Coach.placed(PLAN)
    assert one_pass(coach, 0.0, miss_every=2) is Action.SIMPLER  # 50 % missed
    assert PLAN.steps[coach.step].key == "hihat" and coach.speed == 0.7
    coach = Coach.placed(PLAN)
    assert one_pass(coach, None) is Action.SIMPLER and PLAN.steps[coach.step].key == "pulse"
    # a second pass at the goal that falls apart is not a placement: it slows down
    coach = Coach.placed(PLAN)
    one_pass(coach, 0.0, miss_every=4)
    assert one_pass(coach, None) is Action.SLOWER


def test_the_songs_drums_guide_a_new_layer_then_leave_it_to_the_player() -> None:
    coach = Coach(PLAN)
    assert coach.song_drums == "guide"  # a first-timer hears what to play
    assert one_pass(coach, 50.0) is Action.REPEAT and coach.song_drums == "off"
    assert one_pass(coach, 0.0, great_every=4) is Action.NEXT and coach.song_drums == "guide"
    assert one_pass(coach, None) is Action.SLOWER and coach.song_drums == "guide"
    assert Coach.placed(PLAN).song_drums == "off"  # someone who has played: no guide
    pair = PairCoach({"a": Coach(PLAN), "b": Coach.placed(PLAN)})
    assert pair.song_drums == "guide"  # while either needs it


def test_falling_apart_slows_down_then_drops_a_layer() -> None:
    coach = Coach(PLAN, step=2)
    assert one_pass(coach, None) is Action.SLOWER and coach.speed == pytest.approx(0.6)
    silent = np.full(len(coach.plan.steps[2].chart.notes), np.nan)
    said = coach.after_pass(play_chart(coach.plan.steps[2].chart, {"p": silent}), "p").message
    assert said.endswith(
        "No hits came through: play along on the keys or pads shown under the lanes."
    )
    coach.speed = 0.6
    assert one_pass(coach, None) is Action.SLOWER and coach.speed == pytest.approx(0.5)
    assert one_pass(coach, None) is Action.SIMPLER and coach.step == 1
    # a middling pass is played again, with one sentence on what to fix
    coach = Coach(PLAN, step=3)
    step = coach.plan.steps[3]
    offs = np.array([-40.0 if n.piece is DrumPiece.SNARE else 0.0 for n in step.chart.notes])
    kicks = [k for k, n in enumerate(step.chart.notes) if n.piece is DrumPiece.KICK]
    offs[kicks] = np.nan  # every kick missing: 1 and 3
    session = play_chart(step.chart, {"p": offs}, settings=JudgeSettings(speed=coach.speed))
    d = coach.after_pass(session, "p")
    assert d.action is Action.REPEAT
    assert "your kick is missing there" in d.message
    offs[kicks] = 0.0
    offs[::5] = np.nan  # 20 % missed all over: played again, for the snare
    d = coach.after_pass(
        play_chart(step.chart, {"p": offs}, settings=JudgeSettings(speed=coach.speed)), "p"
    )
    assert "rushing the snare by ~40 ms" in d.message


def test_every_step_and_lesson_ends() -> None:
    coach = Coach(PLAN)
    actions = [one_pass(coach, 0.0, miss_every=4) for _ in range(MAX_PASSES)]  # 75 %: repeat
    assert actions[:-1] == [Action.REPEAT] * (MAX_PASSES - 1)
    assert actions[-1] is Action.NEXT and coach.step == 1
    coach = Coach(PLAN)
    n = 0
    while not coach.done:
        one_pass(coach, None)  # never plays a note
        n += 1
    assert n <= MAX_LESSON_PASSES


@pytest.mark.parametrize(("tau_s", "reaches"), [(40.0, True), (120.0, True), (2000.0, False)])
def test_fast_learners_get_there_slow_ones_are_held(tau_s: float, reaches: bool) -> None:
    lesson = run_lesson(PLAN, ModelLearner(tau_s=tau_s, rng=np.random.default_rng(1)))
    assert (lesson.goal_s is not None) is reaches
    assert lesson.seconds <= 600 + 30  # bounded: the last pass may run past 10 minutes
    steps = [i for _, i, _, _ in lesson.decisions]
    if reaches:
        assert max(steps) == PLAN.goal and lesson.goal_s is not None and lesson.goal_s < 600
    else:
        speeds = [sp for _, _, sp, _ in lesson.decisions]
        assert min(speeds) <= 0.7  # the struggling learner is kept slow
        assert sum(sp < 1.0 for sp in speeds) > len(speeds) / 2


def test_the_coach_remembers_where_a_player_is() -> None:
    coach = Coach(PLAN, step=3, speed=0.85)
    again = Coach.resume(PLAN, coach.state())
    assert (again.step, again.speed) == (3, 0.85)
    assert Coach.resume(PLAN, {"step": "gone", "speed": 0.9}).step == 0
    assert Coach.resume(PLAN, None).speed == 0.7
    assert Coach.resume(PLAN, None, experienced=True).step == PLAN.goal
    # a finished lesson is picked up at its last step, warmed up at 80 %
    done = Coach.resume(PLAN, {"step": "groove", "speed": 1.0, "done": True})
    assert (done.step, done.speed, done.done) == (PLAN.goal, 0.8, False)


def pair_pass(pair: PairCoach, offsets: dict[str, float | None]) -> PairDecision:
    sessions = {}
    for name, loop in pair.loops().items():
        off = offsets[name]
        offs = np.full(len(loop.chart.notes), np.nan if off is None else off)
        settings = JudgeSettings(speed=pair.speed)
        sessions[name] = play_chart(loop.chart, {name: offs}, settings=settings)
    return pair.after_pass(sessions)


def test_a_pair_learns_together_each_on_their_own_part() -> None:
    pair = PairCoach({"ana": Coach.placed(PLAN), "ben": Coach(PLAN)})
    assert pair.learner == "ben" and pair.speed == 0.7  # the slower coach sets the pace
    loops = pair.loops()
    assert (loops["ana"].first, loops["ana"].last) == (2, 5)  # ben's bars: the pulse's
    assert len(loops["ana"].chart.notes) == 4 * 8 + 4 * 4  # her groove over those bars
    assert loops["ben"].chart.any_pad
    # ana 20 ms late, ben on time: she hears it in one sentence
    d = pair_pass(pair, {"ana": 20.0, "ben": 0.0})
    assert d.together is not None and d.together.common == 16  # the beats both have
    assert d.together.mean_ms == pytest.approx(20.0, abs=1.5)
    assert "ben is ~20 ms ahead of ana" in d.together.message
    assert d.decisions["ben"].action is Action.NEXT and pair.speed == 0.75
    # ana's coach would go to full speed; ben sets the pace, and she is told so
    assert d.decisions["ana"].message.startswith("Solid: hold it steady for ben.")
    assert d.decisions["ana"].speed == 0.75
    assert pair.coaches["ana"].speed == pair.coaches["ben"].speed
    # both good at full speed, ben still learning: ana keeps her part and accompanies
    for _ in range(30):
        d = pair_pass(pair, {"ana": 0.0, "ben": 0.0})
        if d.done:
            break
    assert d.done and all(c.step == PLAN.goal for c in pair.coaches.values())
    assert d.together is not None and d.together.together == 1.0
    assert d.together.message.startswith("Together: 100 %")
    # one player who never plays: no together figure, and the lesson still ends
    pair = PairCoach({"ana": Coach(PLAN), "ben": Coach(PLAN)})
    n = 0
    while not (d := pair_pass(pair, {"ana": 0.0, "ben": None})).done:
        assert d.together is None
        n += 1
    assert n < MAX_LESSON_PASSES
