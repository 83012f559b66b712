"""Hit windows: how far from its note a hit may land for each judgment.

Presets from the field: ``strict`` near DTXMania (Perfect ±34 / Great ±67 / Good ±84 ms),
``beginner`` near HitTheKit (±40 / ±90 / ±150 ms), and ``default`` between them.
Windows are in the player's real time: at a practice speed below 1 the song moves
slower, so the same real-time error is a smaller song-time error, and the engine scales
song-time offsets back to real milliseconds before judging.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PRESETS", "Grade", "HitWindows"]


class Grade(StrEnum):
    """The judgment of one chart note."""

    PERFECT = "perfect"
    GREAT = "great"
    GOOD = "good"
    MISS = "miss"


@dataclass(frozen=True)
class HitWindows:
    """Half-widths of the windows [ms], real time.

    Attributes
    ----------
    perfect_ms, great_ms, good_ms : float
        A hit within ±perfect_ms of its note is Perfect, and so on; beyond ±good_ms it
        does not count for the note.
    name : str
    """

    perfect_ms: float
    great_ms: float
    good_ms: float
    name: str = "custom"

    def __post_init__(self) -> None:
        if not 0 < self.perfect_ms <= self.great_ms <= self.good_ms:
            raise ValueError(
                f"hit windows must grow: perfect {self.perfect_ms} ≤ great {self.great_ms} "
                f"≤ good {self.good_ms} ms"
            )

    def grade(self, offset_ms: float) -> Grade:
        """The grade of a hit ``offset_ms`` from its note (MISS beyond the Good window)."""
        a = abs(offset_ms)
        if a <= self.perfect_ms:
            return Grade.PERFECT
        if a <= self.great_ms:
            return Grade.GREAT
        if a <= self.good_ms:
            return Grade.GOOD
        return Grade.MISS


PRESETS: dict[str, HitWindows] = {
    "strict": HitWindows(34.0, 67.0, 84.0, "strict"),
    "default": HitWindows(40.0, 75.0, 110.0, "default"),
    "beginner": HitWindows(40.0, 90.0, 150.0, "beginner"),
}
