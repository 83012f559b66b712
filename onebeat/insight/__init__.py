"""Insight: what a take says about the players, alone and together, and over days."""

from onebeat.insight.duet import (
    MIN_STROKES,
    TOGETHER_MS,
    DuetFit,
    PairStats,
    PhaseCorrection,
    bootstrap_duet,
    fit_duet,
    fit_phase_correction,
    onset_offsets,
    pair_stats,
    simulate_duet,
)
from onebeat.insight.progress import ProgressLine, TakePoint, progress
from onebeat.insight.stats import (
    BarSpan,
    NoteResult,
    OffsetStats,
    PieceStats,
    SectionStats,
    SpreadCourse,
    TakeStats,
    note_results,
    take_stats,
)

__all__ = [
    "MIN_STROKES",
    "TOGETHER_MS",
    "BarSpan",
    "DuetFit",
    "NoteResult",
    "OffsetStats",
    "PairStats",
    "PhaseCorrection",
    "PieceStats",
    "ProgressLine",
    "SectionStats",
    "SpreadCourse",
    "TakePoint",
    "TakeStats",
    "bootstrap_duet",
    "fit_duet",
    "fit_phase_correction",
    "note_results",
    "onset_offsets",
    "pair_stats",
    "progress",
    "simulate_duet",
    "take_stats",
]
