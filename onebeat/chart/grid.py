"""Charts of levels 1–3, from the beat grid and meter alone:

1. *tap the beat*: one note per beat, any pad counts (a first-timer);
2. *backbeat*: kick on 1 and 3, snare on 2 and 4 (in 3/4: kick on 1, snare on 2 and 3;
   in 6/8, 9/8, 12/8: kick and snare take turns on the dotted quarters);
3. *basic rock groove*: level 2 with closed hi-hat eighths over it.

Each level is a subset in spirit of the next: the beats of level 1 are the kick and
snare notes of level 2, which stay unchanged in level 3. Eighths sit halfway between the
song's own beats, so they follow its tempo where it drifts.
"""

from __future__ import annotations

import numpy as np

from onebeat.analysis.songmap import SongMap
from onebeat.chart.model import Chart, Dynamic, Note
from onebeat.kit import DrumPiece

__all__ = ["COMPOUND", "GRID_LEVELS", "grid_chart", "grid_notes"]

#: Levels made from the beat grid alone.
GRID_LEVELS = (1, 2, 3)
#: Compound meters, counted in eighth-note beats: hats on every beat, the backbeat on
#: every third.
COMPOUND = (6, 9, 12)


def _backbeat_piece(position: int, beats_per_bar: int) -> DrumPiece | None:
    """Kick or snare on a beat of levels 2–3; None where the backbeat rests."""
    if beats_per_bar in COMPOUND:  # 6/8, 9/8, 12/8: the groove moves in dotted quarters
        group, within = divmod(position - 1, 3)
        if within:
            return None
        return DrumPiece.KICK if group % 2 == 0 else DrumPiece.SNARE
    if beats_per_bar == 4:
        return DrumPiece.KICK if position in (1, 3) else DrumPiece.SNARE
    return DrumPiece.KICK if position == 1 else DrumPiece.SNARE


def grid_notes(
    beats: np.ndarray, positions: np.ndarray, beats_per_bar: int, k: int, level: int
) -> list[Note]:
    """The notes of grid level 1, 2 or 3 that start on beat ``k`` (up to the next beat)."""
    t, pos = float(beats[k]), int(positions[k])
    accent = Dynamic.ACCENT if pos == 1 else Dynamic.NORMAL
    if level == 1:
        return [Note(t, float(k), DrumPiece.SNARE, 100, accent)]
    piece = _backbeat_piece(pos, beats_per_bar)
    notes = [] if piece is None else [Note(t, float(k), piece, 110 if pos == 1 else 100, accent)]
    if level >= 3:
        notes.append(Note(t, float(k), DrumPiece.HIHAT_CLOSED, 90))
        if k + 1 < len(beats) and beats_per_bar not in COMPOUND:
            half = 0.5 * (t + float(beats[k + 1]))
            notes.append(Note(half, k + 0.5, DrumPiece.HIHAT_CLOSED, 70, Dynamic.NORMAL))
    return notes


def grid_chart(songmap: SongMap, *, level: int, title: str = "") -> Chart:
    """The chart of grid level 1, 2 or 3."""
    beats = songmap.beats
    positions = songmap.beat_positions
    m = songmap.beats_per_bar
    notes: list[Note] = []
    for k in range(len(beats)):
        notes.extend(grid_notes(beats, positions, m, k, level))
    return Chart(
        notes=tuple(notes),
        beats=np.asarray(beats, dtype=float),
        beat_positions=np.asarray(positions, dtype=int),
        beats_per_bar=m,
        level=level,
        any_pad=level == 1,
        title=title or str(songmap.audio.get("file", "")),
    )
