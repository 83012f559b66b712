"""A readable text drum tab for a terminal: one line per piece, one bar per block.

Hand-written: there is no maintained library for drum tab text. Each bar has
``4 * beats_per_bar`` sixteenth-note cells; ``x``/``o``/``X`` mark a hit (closed, open,
accent), ``g`` a ghost note, ``-`` a rest.
"""

from __future__ import annotations

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
    """The chart as drum tab text, bars numbered from the song's first downbeat."""
    m = chart.beats_per_bar
    cells = 4 * m
    first_down = int(next(k for k, p in enumerate(chart.beat_positions) if p == 1))
    # bar index of each note: beats before the first downbeat form bar 0 (a pickup)
    grid: dict[tuple[str, int, int], str] = {}
    last_bar = 0
    for n in chart.notes:
        rel = n.beat - first_down
        bar = int(rel // m) + 1
        cell = round((rel - (bar - 1) * m) * 4)
        if cell == cells:
            bar, cell = bar + 1, 0
        last_bar = max(last_bar, bar)
        for label, pieces in ROWS:
            if n.piece in pieces:
                grid[(label, bar, cell)] = _mark(n.piece, n.dynamic)
    used = [r for r in ROWS if any(k[0] == r[0] for k in grid)]
    first_bar = 0 if any(k[1] == 0 for k in grid) else 1
    lines = [f"{chart.title}  —  level {chart.level}, {m}/4" if chart.title else f"{m}/4"]
    for start in range(first_bar, last_bar + 1, bars_per_line):
        bars = range(start, min(start + bars_per_line, last_bar + 1))
        lines.append("    " + "".join(f"{b:<{cells + 1}d}" for b in bars))
        for label, _ in used:
            row = "|".join(
                "".join(grid.get((label, b, c), "-") for c in range(cells)) for b in bars
            )
            lines.append(f"{label}  |{row}|")
        lines.append("")
    return "\n".join(lines)
