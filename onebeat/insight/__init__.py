"""Insight: what a take says about the players, alone and together."""

from onebeat.insight.duet import (
    DuetFit,
    PhaseCorrection,
    fit_duet,
    fit_phase_correction,
    simulate_duet,
)

__all__ = ["DuetFit", "PhaseCorrection", "fit_duet", "fit_phase_correction", "simulate_duet"]
