"""The judging engine: hit windows, the judge, scoring and calibration maths.

Pure library: no I/O, no clock, no UI (see ../shared/DESIGN.md).
"""

from onebeat.engine.calibration import MIN_TAPS, Calibration, CalibrationError, calibrate
from onebeat.engine.judge import Hit, HitOutcome, Judge, JudgeSettings, Judgment, PlayerStats
from onebeat.engine.loop import LoopPlan
from onebeat.engine.windows import PRESETS, Grade, HitWindows

__all__ = [
    "MIN_TAPS",
    "PRESETS",
    "Calibration",
    "CalibrationError",
    "Grade",
    "Hit",
    "HitOutcome",
    "HitWindows",
    "Judge",
    "JudgeSettings",
    "Judgment",
    "LoopPlan",
    "PlayerStats",
    "calibrate",
]
