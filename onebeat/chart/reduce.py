"""Rock Band difficulty reduction: Easy, Medium and Hard parts from a fuller chart.

The review rules of the rhythm-game community (Rock Band's, kept by Clone Hero and YARG
charters) say what each difficulty may ask of a player:

- **Hard**: no kicks inside fills;
- **Medium**: no three-limb moments (a kick under two hand notes loses the time-keeper),
  and the time-keeper thinned to eighths;
- **Easy**: two limbs at most and no gem paired with a kick (the kick keeps its note,
  the hands give way, except on a crash), the time-keeper on the beats only.

Each is a subset of the chart it comes from, so the levels stay nested.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np

from onebeat.chart.lint import FEET, HAND_PRIORITY, TIMEKEEPERS, fill_beats
from onebeat.chart.model import Chart, Note
from onebeat.kit import DrumPiece

__all__ = ["reduce_chart"]


def _on(beat: float, step: float) -> bool:
    return abs(beat / step - round(beat / step)) < 1e-6


def reduce_chart(chart: Chart, difficulty: str) -> Chart:
    """The part for a Rock Band difficulty ("easy", "medium", "hard" or "expert")."""
    if difficulty == "expert":
        return chart
    if difficulty not in ("easy", "medium", "hard"):
        raise ValueError(f"difficulty {difficulty!r}: choose easy, medium, hard or expert")
    groups: dict[float, list[Note]] = defaultdict(list)
    for n in chart.notes:
        groups[n.beat].append(n)
    fills = fill_beats(chart.notes)
    out: list[Note] = []
    for beat in sorted(groups):
        notes = [n for n in groups[beat] if n.piece is not DrumPiece.HIHAT_PEDAL]
        in_fill = int(np.floor(beat + 1e-9)) in fills
        if difficulty == "hard":
            out += [n for n in notes if not (in_fill and n.piece is DrumPiece.KICK)]
            continue
        # Medium and Easy: time-keeping thinned, kicks in fills dropped
        step = 0.5 if difficulty == "medium" else 1.0
        notes = [
            n
            for n in notes
            if not (n.piece in TIMEKEEPERS and not _on(beat, step))
            and not (in_fill and n.piece is DrumPiece.KICK)
        ]
        if difficulty == "easy" and in_fill:
            notes = [n for n in notes if _on(beat, 0.5)]  # fills in eighths at most
        hands = sorted(
            (n for n in notes if n.piece not in FEET), key=lambda n: HAND_PRIORITY.index(n.piece)
        )
        kick = [n for n in notes if n.piece is DrumPiece.KICK]
        if difficulty == "medium":
            hands = hands[: 1 if kick else 2]
        else:
            crash = [n for n in hands if n.piece is DrumPiece.CRASH]
            if kick and crash:  # a crash on a downbeat outranks its kick
                kick, hands = [], crash[:1]
            elif kick:
                hands = []
            else:
                hands = hands[:1]
        out += hands + kick
    if not out:
        out = [chart.notes[0]]
    return dataclasses.replace(chart, notes=tuple(out))
