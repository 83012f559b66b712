"""Getting better over days: each player's takes of a song at a level, and their bests.

Takes are grouped by player, song (its audio's hash, so a renamed file stays the same
song), level and the bars the chart covers: a loop of bars 17–20 is its own line, and
does not set a personal best for the whole song.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from onebeat.session.store import TakeInfo

__all__ = ["ProgressLine", "TakePoint", "progress"]

#: Fewest notes hit for a take's spread to count as a personal best.
MIN_NOTES_FOR_SPREAD = 16


@dataclass(frozen=True)
class TakePoint:
    """One take on a progress line."""

    session_id: str
    created: str
    accuracy: float
    mean_ms: float
    sd_ms: float
    notes: int
    hits: int
    best_streak: int

    @property
    def day(self) -> str:
        return self.created[:10]

    def to_dict(self) -> dict[str, Any]:
        return {
            "session": self.session_id,
            "created": self.created,
            "accuracy": self.accuracy,
            "mean_ms": self.mean_ms,
            "sd_ms": self.sd_ms,
            "notes": self.notes,
            "hits": self.hits,
            "best_streak": self.best_streak,
        }


@dataclass(frozen=True)
class ProgressLine:
    """A player's takes of one song at one level over the same bars, oldest first.

    Attributes
    ----------
    player, song, song_sha256 : str
    level : int
    first_bar, last_bar : int
    whole : bool
        Whether these takes cover the song's whole chart (the widest range of bars
        played at this level), not a loop.
    points : list of TakePoint
    """

    player: str
    song: str
    song_sha256: str
    level: int
    first_bar: int
    last_bar: int
    whole: bool
    points: list[TakePoint]

    @property
    def label(self) -> str:
        bars = "" if self.whole else f", bars {self.first_bar}–{self.last_bar}"
        return f"{self.song}, level {self.level}{bars}"

    def bests(self) -> dict[str, TakePoint]:
        """Personal bests: highest accuracy, tightest spread (takes with at least
        :data:`MIN_NOTES_FOR_SPREAD` notes), longest streak; the earliest take wins a tie."""
        out = {"accuracy": max(self.points, key=lambda p: p.accuracy)}
        spread = [p for p in self.points if p.hits >= MIN_NOTES_FOR_SPREAD and p.sd_ms > 0]
        if spread:
            out["spread"] = min(spread, key=lambda p: p.sd_ms)
        out["streak"] = max(self.points, key=lambda p: p.best_streak)
        return out

    def new_bests(self, session_id: str) -> list[str]:
        """The bests a take set (none for the first take of a line: nothing to beat)."""
        if len(self.points) < 2 or self.points[0].session_id == session_id:
            return []
        return [k for k, p in self.bests().items() if p.session_id == session_id]

    def daily(self) -> list[tuple[str, float, float]]:
        """Per day: (date, best accuracy, median spread of that day's takes)."""
        days: dict[str, list[TakePoint]] = {}
        for p in self.points:
            days.setdefault(p.day, []).append(p)
        out = []
        for day, ps in days.items():
            sds = sorted(p.sd_ms for p in ps)
            out.append((day, max(p.accuracy for p in ps), sds[len(sds) // 2]))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "player": self.player,
            "song": self.song,
            "level": self.level,
            "first_bar": self.first_bar,
            "last_bar": self.last_bar,
            "whole": self.whole,
            "label": self.label,
            "points": [p.to_dict() for p in self.points],
            "bests": {k: p.session_id for k, p in self.bests().items()},
            "daily": [list(d) for d in self.daily()],
        }


def progress(takes: Iterable[TakeInfo]) -> list[ProgressLine]:
    """Progress lines from :meth:`~onebeat.session.SessionStore.takes`, most played first."""
    groups: dict[tuple[str, str, int, int, int], list[TakeInfo]] = {}
    widest: dict[tuple[str, int], int] = {}
    for t in takes:
        groups.setdefault((t.player, t.song_sha256, t.level, t.first_bar, t.last_bar), []).append(t)
        key = (t.song_sha256, t.level)
        widest[key] = max(widest.get(key, 0), t.last_bar - t.first_bar)
    lines = []
    for (player, sha, level, a, b), ts in groups.items():
        points = [
            TakePoint(
                t.session_id,
                t.created,
                float(t.summary.get("accuracy", 0.0)),
                float(t.summary.get("mean_offset_ms", 0.0)),
                float(t.summary.get("sd_offset_ms", 0.0)),
                int(t.summary.get("notes", 0)),
                sum(int(t.summary.get(g, 0)) for g in ("perfect", "great", "good")),
                int(t.summary.get("best_streak", 0)),
            )
            for t in sorted(ts, key=lambda t: t.created)
        ]
        whole = b - a == widest[(sha, level)]
        lines.append(ProgressLine(player, ts[0].title, sha, level, a, b, whole, points))
    lines.sort(key=lambda ln: (-len(ln.points), ln.player, ln.song, ln.level, ln.first_bar))
    return lines
