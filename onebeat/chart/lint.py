"""The chart linter: what no two-handed drummer can play, and what else looks wrong.

Rules (a :class:`Finding` names the rule, the beat and the time):

- ``three-hands``: more than two hand notes at once (everything but kick and hi-hat pedal);
- ``hand-speed``: two hand strokes closer than two alternating hands manage
  (:data:`MIN_HAND_GAP_S`), or three within what one hand needs twice;
- ``kick-speed``: two kicks closer than one foot manages (:data:`MIN_KICK_GAP_S`);
- ``off-audio``: a note before the audio starts or after it ends;
- ``empty-bar``: a bar with no notes between bars with notes (a warning: songs do rest);
- Rock Band review rules by difficulty: ``easy-limbs`` (Easy: more than two limbs at
  once, or any gem paired with a kick), ``medium-limbs`` (Medium: three limbs at once),
  ``hard-fill-kick`` (Hard: a kick inside a drum fill).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from onebeat.chart.model import Chart, Note
from onebeat.kit import DrumPiece

__all__ = [
    "FEET",
    "HAND_PRIORITY",
    "MIN_HAND_GAP_S",
    "MIN_KICK_GAP_S",
    "TIMEKEEPERS",
    "TOMS",
    "Finding",
    "fill_beats",
    "lint_chart",
]

#: Closest two strokes of alternating hands [s] (32nd notes at ~190 BPM).
MIN_HAND_GAP_S = 0.04
#: Closest two kicks of one foot [s] (sixteenths at 200 BPM).
MIN_KICK_GAP_S = 0.075
FEET = frozenset({DrumPiece.KICK, DrumPiece.HIHAT_PEDAL})
TOMS = frozenset({DrumPiece.TOM_HIGH, DrumPiece.TOM_MID, DrumPiece.TOM_FLOOR})
TIMEKEEPERS = frozenset({DrumPiece.HIHAT_CLOSED, DrumPiece.HIHAT_OPEN, DrumPiece.RIDE})


@dataclass(frozen=True)
class Finding:
    """One problem in a chart.

    Attributes
    ----------
    rule : str
    beat : float
        Where, on the chart's beat grid.
    time : float
        Where, in song time [s].
    message : str
    error : bool
        True for something unplayable or broken, False for a warning.
    """

    rule: str
    beat: float
    time: float
    message: str
    error: bool = True

    def __str__(self) -> str:
        kind = "error" if self.error else "warning"
        return f"{self.time:8.3f} s  beat {self.beat:7.2f}  {kind}: {self.rule}: {self.message}"


#: Which hand notes stay when a moment asks for more than two hands (first stays).
HAND_PRIORITY = (
    DrumPiece.CRASH,
    DrumPiece.SNARE,
    DrumPiece.TOM_HIGH,
    DrumPiece.TOM_MID,
    DrumPiece.TOM_FLOOR,
    DrumPiece.HIHAT_OPEN,
    DrumPiece.HIHAT_CLOSED,
    DrumPiece.RIDE,
)


def fill_beats(notes: tuple[Note, ...]) -> set[int]:
    """Beats inside a drum fill: beats with two or more tom notes."""
    per_beat: dict[int, int] = defaultdict(int)
    for n in notes:
        if n.piece in TOMS:
            per_beat[int(np.floor(n.beat + 1e-9))] += 1
    return {b for b, k in per_beat.items() if k >= 2}


def lint_chart(
    chart: Chart, *, difficulty: str | None = None, duration_s: float | None = None
) -> list[Finding]:
    """Check a chart; returns the findings, errors first, then by time.

    Parameters
    ----------
    chart : Chart
    difficulty : {"easy", "medium", "hard", "expert"}, optional
        Also apply that difficulty's Rock Band review rules.
    duration_s : float, optional
        Length of the song's audio [s], to find notes off it.
    """
    found: list[Finding] = []
    groups: dict[float, list[Note]] = defaultdict(list)
    for n in chart.notes:
        groups[round(n.beat, 6)].append(n)
    fills = fill_beats(chart.notes) if difficulty == "hard" else set()

    hand_times: list[float] = []
    last_kick = -np.inf
    for beat in sorted(groups):
        notes = groups[beat]
        t = notes[0].time
        hands = [n for n in notes if n.piece not in FEET]
        kick = any(n.piece is DrumPiece.KICK for n in notes)
        limbs = len(hands) + sum(1 for n in notes if n.piece in FEET)
        if len(hands) > 2:
            names = ", ".join(n.piece.value for n in hands)
            found.append(
                Finding("three-hands", beat, t, f"{len(hands)} hand notes at once ({names})")
            )
        if hands:
            if hand_times and t - hand_times[-1] < MIN_HAND_GAP_S - 1e-9:
                gap = (t - hand_times[-1]) * 1000
                found.append(Finding("hand-speed", beat, t, f"hand strokes {gap:.0f} ms apart"))
            elif len(hand_times) >= 2 and t - hand_times[-2] < 2 * MIN_HAND_GAP_S - 1e-9:
                found.append(
                    Finding(
                        "hand-speed", beat, t, "three hand strokes faster than two hands alternate"
                    )
                )
            hand_times.append(t)
        if kick:
            if t - last_kick < MIN_KICK_GAP_S - 1e-9:
                gap = (t - last_kick) * 1000
                found.append(Finding("kick-speed", beat, t, f"kicks {gap:.0f} ms apart"))
            last_kick = t
        if difficulty == "easy" and (limbs > 2 or (kick and hands)):
            found.append(
                Finding("easy-limbs", beat, t, "Easy pairs no gem with a kick and uses two limbs")
            )
        if difficulty == "medium" and limbs > 2:
            found.append(Finding("medium-limbs", beat, t, "Medium has no three-limb moments"))
        if difficulty == "hard" and kick and int(np.floor(beat + 1e-9)) in fills:
            found.append(Finding("hard-fill-kick", beat, t, "Hard has no kicks in fills"))
        if t < -1e-6 or (duration_s is not None and t > duration_s + 1e-6):
            found.append(Finding("off-audio", beat, t, "note outside the audio"))

    # empty bars between bars with notes
    downs = np.flatnonzero(chart.beat_positions == 1)
    if len(downs) >= 2:
        edges = [int(d) for d in downs] + [len(chart.beats) - 1]
        counts = np.zeros(len(edges) - 1, dtype=int)
        beats = np.array([n.beat for n in chart.notes])
        for i in range(len(edges) - 1):
            counts[i] = int(np.sum((beats >= edges[i]) & (beats < edges[i + 1])))
        played = np.flatnonzero(counts > 0)
        if len(played):
            for i in range(int(played[0]), int(played[-1])):
                if counts[i] == 0:
                    b = float(edges[i])
                    found.append(
                        Finding(
                            "empty-bar",
                            b,
                            float(chart.beats[int(b)]),
                            f"bar {i + 1} has no notes",
                            error=False,
                        )
                    )
    return sorted(found, key=lambda f: (not f.error, f.time))
