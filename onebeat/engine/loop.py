"""Looping bars: the same few bars played over and over, each pass judged on its own.

A loop of bars ``first``–``last`` runs from the first bar's downbeat ``start`` to the
downbeat after the last bar, ``end``. The player's clock keeps running across passes
(unwrapped time ``u``: pass ``p`` plays song time ``u - p·length``), so a hit needs a
pass before it can be judged. Near the seam a hit could be late for the loop's last note
or early for its first note; it belongs to the nearer one: the split between two passes
is halfway between the last note and the next pass's first note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from onebeat.chart import Chart
from onebeat.errors import ChartError

__all__ = ["LoopPlan"]


@dataclass(frozen=True)
class LoopPlan:
    """Bars ``first``–``last`` (1-based, inclusive) of a chart, looped.

    Attributes
    ----------
    chart : Chart
        The loop's notes at their song times, on the song's beat grid.
    first, last : int
    start, end : float
        Song times [s] of the loop's first downbeat and of the downbeat after it.
    split : float
        Unwrapped time [s] where pass 0 ends and pass 1 begins (between ``end`` - a little
        and ``end`` + a little).
    """

    chart: Chart
    first: int
    last: int
    start: float
    end: float
    split: float

    @property
    def length(self) -> float:
        return self.end - self.start

    @classmethod
    def from_chart(cls, chart: Chart, first: int, last: int) -> LoopPlan:
        """The loop of bars ``first``–``last``; a :class:`ChartError` when the chart has
        no such bars or no notes in them."""
        down = chart.downbeats
        bars = len(down)
        if not 1 <= first <= last <= bars:
            raise ChartError(
                f"loop: bars {first}–{last} are not in {chart.title!r} (bars 1–{bars})"
            )
        start = float(down[first - 1])
        if last < bars:
            end = float(down[last])
        else:  # the song's last bar: as long as the bar before it
            end = float(down[-1] + (down[-1] - down[-2]) if bars > 1 else chart.beats[-1])
        notes = tuple(n for n in chart.notes if start - 1e-6 <= n.time < end - 1e-6)
        if not notes:
            raise ChartError(f"loop: bars {first}–{last} of {chart.title!r} have no notes")
        title = f"{chart.title} · bars {first}–{last}"
        looped = replace(chart, notes=notes, title=title)
        split = (notes[-1].time + notes[0].time + (end - start)) / 2
        return cls(looped, first, last, start, end, split)

    def pass_of(self, u: float) -> int:
        """The pass a hit at unwrapped time ``u`` belongs to (0 before the first seam)."""
        return max(0, math.floor((u - self.split) / self.length) + 1)

    def local(self, u: float) -> tuple[int, float]:
        """(pass, song time) of unwrapped time ``u``."""
        p = self.pass_of(u)
        return p, u - p * self.length

    def pass_end(self, p: int) -> float:
        """Unwrapped time after which pass ``p`` takes no more hits."""
        return self.split + p * self.length
