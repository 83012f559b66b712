"""Charts generated from a SongMap, by level.

Levels 1–3 need only the beat grid and meter:

1. *tap the beat*: one note per beat, any pad counts (a first-timer);
2. *backbeat*: kick on 1 and 3, snare on 2 and 4 (in 3/4: kick on 1, snare on 2 and 3);
3. *basic rock groove*: level 2 with closed hi-hat eighths over it.

Each level is a subset in spirit of the next: the beats of level 1 are the kick and
snare notes of level 2, which stay unchanged in level 3. Eighths sit halfway between the
song's own beats, so they follow its tempo where it drifts.
"""

from __future__ import annotations

import numpy as np

from onebeat.analysis.songmap import SongMap
from onebeat.chart.model import Chart, Dynamic, Note
from onebeat.errors import ChartError
from onebeat.kit import DrumPiece

__all__ = ["GRID_LEVELS", "LEVEL_NAMES", "generate_chart"]

LEVEL_NAMES = {
    1: "tap the beat",
    2: "backbeat",
    3: "basic rock groove",
}
#: Levels made from the beat grid alone.
GRID_LEVELS = (1, 2, 3)


def _backbeat_piece(position: int, beats_per_bar: int) -> DrumPiece:
    if beats_per_bar == 4:
        return DrumPiece.KICK if position in (1, 3) else DrumPiece.SNARE
    return DrumPiece.KICK if position == 1 else DrumPiece.SNARE


def generate_chart(songmap: SongMap, *, level: int, title: str = "") -> Chart:
    """Write the chart of a level from a SongMap.

    Parameters
    ----------
    songmap : SongMap
    level : int
        1, 2 or 3 (see the module docstring).
    title : str
        Shown by players and written to exported files.

    Raises
    ------
    ChartError
        For a level this function does not make.
    """
    if level not in GRID_LEVELS:
        raise ChartError(
            f"level {level}: charts from the beat grid are levels "
            f"{', '.join(map(str, GRID_LEVELS))}"
        )
    beats = songmap.beats
    positions = songmap.beat_positions
    m = songmap.beats_per_bar
    notes: list[Note] = []
    for k, (t, pos) in enumerate(zip(beats, positions, strict=True)):
        accent = Dynamic.ACCENT if pos == 1 else Dynamic.NORMAL
        if level == 1:
            notes.append(Note(float(t), float(k), DrumPiece.SNARE, 100, accent))
            continue
        piece = _backbeat_piece(int(pos), m)
        notes.append(Note(float(t), float(k), piece, 110 if pos == 1 else 100, accent))
        if level >= 3:
            notes.append(Note(float(t), float(k), DrumPiece.HIHAT_CLOSED, 90))
            if k + 1 < len(beats):
                half = 0.5 * (float(t) + float(beats[k + 1]))
                notes.append(Note(half, k + 0.5, DrumPiece.HIHAT_CLOSED, 70, Dynamic.NORMAL))
    return Chart(
        notes=tuple(notes),
        beats=np.asarray(beats, dtype=float),
        beat_positions=np.asarray(positions, dtype=int),
        beats_per_bar=m,
        level=level,
        any_pad=level == 1,
        title=title or str(songmap.audio.get("file", "")),
    )
