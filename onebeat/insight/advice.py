"""Advice: what a take's statistics say to the player, in a drummer's words (the
statistics themselves are data: :mod:`onebeat.insight.stats`)."""

from __future__ import annotations

from onebeat.insight.stats import AUDIBLE_MS, TakeStats
from onebeat.kit import lean_word, piece_name

__all__ = ["take_tips"]


def take_tips(s: TakeStats) -> list[str]:
    """What to work on, in short sentences, most useful first."""
    tips: list[str] = []
    if s.notes == 0 or s.offsets.n == 0:
        return (
            ["No notes were hit: start with level 1 and tap along to the beat."] if s.notes else []
        )
    # the piece with the largest audible lean
    if (p := s.leaning) is not None:
        tips.append(
            f"You are {lean_word(p.offsets.mean_ms)} the {piece_name(p.piece)} "
            f"by ~{abs(p.offsets.mean_ms):.0f} ms."
        )
    elif abs(s.offsets.mean_ms) >= 2 * AUDIBLE_MS:
        tips.append(
            f"You are {lean_word(s.offsets.mean_ms)} by ~{abs(s.offsets.mean_ms):.0f} ms overall."
        )
    missing = [p for p in s.pieces if p.notes >= 4 and p.hit_rate < 0.7]
    if missing:
        p = min(missing, key=lambda p: p.hit_rate)
        tips.append(
            f"The {piece_name(p.piece)} is missing: {100 * (1 - p.hit_rate):.0f} % of its notes."
        )
    if s.worst:
        w = s.worst[0]
        tips.append(f"Work on bars {w.first_bar}–{w.last_bar} ({100 * w.accuracy:.0f} % there).")
    drift = [x for x in s.sections if x.drifting]
    if drift:
        x = max(drift, key=lambda x: abs(x.drift_ms_per_bar))
        way = "speeding up" if x.drift_ms_per_bar < 0 else "slowing down"
        tips.append(
            f"In {x.label} you kept {way} against the song "
            f"({abs(x.drift_ms_per_bar):.0f} ms a bar)."
        )
    if s.spread.verdict == "improving":
        tips.append(
            f"It came together as you played: your spread fell from {s.spread.first_ms:.0f} "
            f"to {s.spread.last_ms:.0f} ms."
        )
    elif s.spread.verdict == "loosening":
        tips.append(
            f"Your timing loosened towards the end ({s.spread.first_ms:.0f} → "
            f"{s.spread.last_ms:.0f} ms spread): take a break or slow down."
        )
    if not tips:
        tips.append(f"Steady: {s.offsets.sd_ms:.0f} ms spread, keep going.")
    return tips
