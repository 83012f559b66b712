"""The tutor: lesson plans built from a song's own charts, and a coach that moves a
player through them, pass by pass."""

from onebeat.tutor.coach import (
    MAX_LESSON_PASSES,
    MAX_PASSES,
    PLACEMENT_SPEED,
    Action,
    Coach,
    Decision,
    PairCoach,
    PairDecision,
    PassReport,
    Together,
    together,
)
from onebeat.tutor.plan import GOAL_STEP, LessonPlan, Step, lesson_plan

__all__ = [
    "GOAL_STEP",
    "MAX_LESSON_PASSES",
    "MAX_PASSES",
    "PLACEMENT_SPEED",
    "Action",
    "Coach",
    "Decision",
    "LessonPlan",
    "PairCoach",
    "PairDecision",
    "PassReport",
    "Step",
    "Together",
    "lesson_plan",
    "together",
]
