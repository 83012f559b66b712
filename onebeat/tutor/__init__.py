"""The tutor: lesson plans built from a song's own charts, and a coach that moves a
player through them, pass by pass."""

from onebeat.tutor.coach import (
    MAX_LESSON_PASSES,
    MAX_PASSES,
    Action,
    Coach,
    Decision,
    PassReport,
)
from onebeat.tutor.plan import GOAL_STEP, LessonPlan, Step, lesson_plan

__all__ = [
    "GOAL_STEP",
    "MAX_LESSON_PASSES",
    "MAX_PASSES",
    "Action",
    "Coach",
    "Decision",
    "LessonPlan",
    "PassReport",
    "Step",
    "lesson_plan",
]
