"""The chart model: the notes a drummer plays, on the song's own beat grid.

A :class:`Chart` holds its notes and the beat grid they sit on (from the SongMap), so
every note has both a song time [s] and a beat position (beat index + fraction), and the
tempo map and bar lines follow the song even where its tempo drifts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from onebeat.errors import ChartError
from onebeat.kit import DrumPiece

__all__ = ["BAR_SOURCES", "Chart", "Dynamic", "Note", "beat_to_time"]


class Dynamic(StrEnum):
    """How hard a note is meant: judged by velocity on a kit that sends it."""

    NORMAL = "normal"
    GHOST = "ghost"
    ACCENT = "accent"


@dataclass(frozen=True, order=True)
class Note:
    """One drum note.

    Attributes
    ----------
    time : float
        Song time [s].
    beat : float
        Position on the chart's beat grid: index of the beat plus the fraction to the next.
    piece : DrumPiece
    velocity : int
        MIDI velocity 1–127 written to MIDI files.
    dynamic : Dynamic
    """

    time: float
    beat: float
    piece: DrumPiece
    velocity: int = 100
    dynamic: Dynamic = Dynamic.NORMAL


def beat_to_time(beats: np.ndarray, position: float | np.ndarray) -> np.ndarray:
    """Song time [s] of fractional beat positions on a beat grid, linear between beats
    and extrapolated with the first/last interval outside it."""
    b = np.asarray(beats, dtype=float)
    pos = np.atleast_1d(np.asarray(position, dtype=float))
    idx = np.arange(len(b), dtype=float)
    out = np.interp(pos, idx, b)
    before = pos < 0
    after = pos > len(b) - 1
    out[before] = b[0] + pos[before] * (b[1] - b[0])
    out[after] = b[-1] + (pos[after] - (len(b) - 1)) * (b[-1] - b[-2])
    return np.asarray(out, dtype=float)


#: Where a bar of a chart written from the song's drums came from (:attr:`Chart.bar_sources`).
BAR_SOURCES = ("heard", "pattern", "groove", "rest")
#: A chart with fewer of its bars heard than this calls itself approximate.
APPROXIMATE_BELOW = 0.8


def _bar_source(value: Any) -> str:
    if value not in BAR_SOURCES:
        raise ValueError(f"bar_sources: {value!r} is not one of {', '.join(BAR_SOURCES)}")
    return str(value)


@dataclass(frozen=True)
class Chart:
    """A playable drum part.

    Attributes
    ----------
    notes : tuple of Note
        Sorted by time, then piece.
    beats : np.ndarray
        The beat grid [s] (the SongMap's beats).
    beat_positions : np.ndarray
        Position in the bar of each grid beat (1 = downbeat).
    beats_per_bar : int
    level : int
        1 (tap the beat) … 5 (full), or 0 for an imported chart.
    any_pad : bool
        Any pad counts for every note (level 1).
    title : str
    sections : tuple of float
        Beat positions where the song's sections start (empty when not known).
    bar_sources : tuple of str
        For a chart written from the song's drums (levels 4–5), where each bar of the
        grid (:func:`onebeat.chart.transcribed.bar_spans`) came from: ``heard`` (the
        song's drums in that bar), ``pattern`` (the bar was unsure: the song's own most
        confident bar of its section, or of the song), ``groove`` (the generic level-3
        groove) or ``rest`` (the drums rest). Empty for other charts.
    """

    notes: tuple[Note, ...]
    beats: np.ndarray
    beat_positions: np.ndarray
    beats_per_bar: int
    level: int = 0
    any_pad: bool = False
    title: str = ""
    sections: tuple[float, ...] = ()
    bar_sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.beats) < 2:
            raise ChartError(f"chart {self.title!r}: needs a beat grid of at least two beats")
        if len(self.beat_positions) != len(self.beats):
            raise ChartError(f"chart {self.title!r}: beats and beat_positions differ in length")
        if not self.notes:
            raise ChartError(f"chart {self.title!r}: has no notes")
        object.__setattr__(
            self, "notes", tuple(sorted(self.notes, key=lambda n: (n.time, n.piece.value)))
        )

    @property
    def pieces(self) -> frozenset[DrumPiece]:
        """The pieces its notes play."""
        return frozenset(n.piece for n in self.notes)

    @property
    def heard_share(self) -> float | None:
        """Share of the bars with drums that were heard in the song (the rest filled
        in); None for a chart not written from the song's drums."""
        playing = [s for s in self.bar_sources if s != "rest"]
        if not playing:
            return None
        return sum(1 for s in playing if s == "heard") / len(playing)

    @property
    def heard(self) -> str:
        """How much of the part was heard, in words for the player ("" for a chart not
        written from the song's drums): below :data:`APPROXIMATE_BELOW` of the bars, the
        chart says it is approximate."""
        share = self.heard_share
        if share is None:
            return ""
        if share < APPROXIMATE_BELOW:
            return f"approximate chart: {100 * share:.0f} % of bars from the song"
        return f"{100 * share:.0f} % of bars from the song's drums"

    @property
    def downbeats(self) -> np.ndarray:
        return np.asarray(self.beats[self.beat_positions == 1])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form that :meth:`from_dict` reads back exactly (floats keep all
        their digits in JSON)."""
        return {
            "title": self.title,
            "level": self.level,
            "any_pad": self.any_pad,
            "beats_per_bar": self.beats_per_bar,
            "beats": [float(b) for b in self.beats],
            "beat_positions": [int(p) for p in self.beat_positions],
            "sections": list(self.sections),
            "bar_sources": list(self.bar_sources),
            "heard_share": self.heard_share,
            "heard": self.heard,
            "notes": [
                [n.time, n.beat, n.piece.value, n.velocity, n.dynamic.value] for n in self.notes
            ],
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "chart") -> Chart:
        """The chart of :meth:`to_dict`; a :class:`ChartError` names the bad field."""
        try:
            notes = tuple(
                Note(float(t), float(b), DrumPiece(p), int(v), Dynamic(d))
                for t, b, p, v, d in data["notes"]
            )
            return cls(
                notes=notes,
                beats=np.asarray(data["beats"], dtype=float),
                beat_positions=np.asarray(data["beat_positions"], dtype=int),
                beats_per_bar=int(data["beats_per_bar"]),
                level=int(data.get("level", 0)),
                any_pad=bool(data.get("any_pad", False)),
                title=str(data.get("title", "")),
                sections=tuple(float(s) for s in data.get("sections", ())),
                bar_sources=tuple(_bar_source(s) for s in data.get("bar_sources", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ChartError(f"{source}: not a chart ({type(exc).__name__}: {exc})") from None
