"""A readable text drum tab for a terminal: one line per piece, one bar per block.

Hand-written: there is no maintained library for drum tab text. Each bar has
``4 * beats_per_bar`` sixteenth-note cells; ``x``/``o``/``X`` mark a hit (closed, open,
accent), ``g`` a ghost note, ``-`` a rest.
"""

from __future__ import annotations

import numpy as np

from onebeat.chart.model import Chart, Dynamic
from onebeat.kit import DrumPiece

__all__ = ["chart_to_tab"]

# (row label, pieces on that row), top to bottom as drummers write them
ROWS: tuple[tuple[str, tuple[DrumPiece, ...]], ...] = (
    ("CC", (DrumPiece.CRASH,)),
    ("RD", (DrumPiece.RIDE,)),
    ("HH", (DrumPiece.HIHAT_CLOSED, DrumPiece.HIHAT_OPEN)),
    ("T1", (DrumPiece.TOM_HIGH,)),
    ("SN", (DrumPiece.SNARE,)),
    ("T2", (DrumPiece.TOM_MID,)),
    ("FT", (DrumPiece.TOM_FLOOR,)),
    ("BD", (DrumPiece.KICK,)),
    ("HF", (DrumPiece.HIHAT_PEDAL,)),
)


def _mark(piece: DrumPiece, dynamic: Dynamic) -> str:
    if dynamic is Dynamic.GHOST:
        return "g"
    if piece is DrumPiece.HIHAT_OPEN:
        return "o"
    return "X" if dynamic is Dynamic.ACCENT else "x"


def chart_to_tab(chart: Chart, *, bars_per_line: int = 4) -> str:
    """The chart as drum tab text, bars numbered from the song's first downbeat.

    Bars follow the chart's own bar lines, so a pickup or a short bar keeps its length.
    """
    m = chart.beats_per_bar
    downs = np.flatnonzero(chart.beat_positions == 1)
    if len(downs) == 0:
        downs = np.array([0])
    # bar b (1-based) starts at grid beat downs[b - 1]; bar 0 is a pickup before downs[0]
    starts = np.concatenate([[0], downs]).astype(float)
    lengths = np.diff(np.concatenate([starts, [starts[-1] + m]]))
    grid: dict[tuple[str, int, int], str] = {}
    for n in chart.notes:
        bar = int(np.searchsorted(starts[1:], n.beat + 1e-9, side="right"))
        if downs[0] == 0:
            bar = max(bar, 1)
        cell = round((n.beat - starts[bar]) * 4)
        if cell >= round(lengths[bar] * 4) and bar + 1 < len(starts):
            bar, cell = bar + 1, 0
        for label, pieces in ROWS:
            if n.piece in pieces:
                grid[(label, bar, cell)] = _mark(n.piece, n.dynamic)
    used = [r for r in ROWS if any(k[0] == r[0] for k in grid)]
    first_bar = 0 if any(k[1] == 0 for k in grid) else 1
    last_bar = max(k[1] for k in grid)
    cells = {
        b: round(lengths[b] * 4) if b < len(lengths) else 4 * m
        for b in range(first_bar, last_bar + 1)
    }
    lines = [f"{chart.title}  —  level {chart.level}, {m}/4" if chart.title else f"{m}/4"]
    for start in range(first_bar, last_bar + 1, bars_per_line):
        bars = range(start, min(start + bars_per_line, last_bar + 1))
        lines.append("    " + "".join(f"{b:<{cells[b] + 1}d}" for b in bars))
        for label, _ in used:
            row = "|".join(
                "".join(grid.get((label, b, c), "-") for c in range(cells[b])) for b in bars
            )
            lines.append(f"{label}  |{row}|")
        lines.append("")
    return "\n".join(lines)
