""" "Bar 1 is here": a user's correction of where a song's bars start, kept with the song.

Bar inference places bar 1 wrong on some songs (a reggae one-drop's beat 3 is the
loudest; bench/analysis_accuracy.py lists the clips). A drummer hears it at once: the
count-in counts wrong and the backbeat lands on 1 and 3. As in rhythm-game chart
editors, the fix is one click: move the downbeats by a beat. The shift is stored per
song (keyed by the audio's SHA-256, so it follows the file wherever it lies) in the data
folder, and applied to the song's analysis wherever it is used, so every chart, loop
and count-in follows.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from pathlib import Path

import numpy as np

from onebeat._io import atomic_write_text
from onebeat.analysis.songmap import SongMap

__all__ = ["BAR_FIX_FILE", "BarFixes", "shift_bars"]

log = logging.getLogger("onebeat.analysis")

#: The file in the data folder that keeps every song's bar shift.
BAR_FIX_FILE = "bar_one.json"


def shift_bars(songmap: SongMap, beats: int) -> SongMap:
    """The SongMap with its downbeats moved ``beats`` beats later (earlier when negative).

    The beat that was at position ``1 + beats`` of its bar becomes bar 1; the beats
    themselves do not move. The total shift from the analysis is kept in
    ``analysis["bar_shift"]`` (0 to ``beats_per_bar - 1``).
    """
    m = songmap.beats_per_bar
    k = int(beats) % m
    if k == 0:
        return songmap
    positions = (np.asarray(songmap.beat_positions, dtype=int) - 1 - k) % m + 1
    total = (int(songmap.analysis.get("bar_shift", 0)) + k) % m
    analysis = {**songmap.analysis, "bar_shift": total}
    if total == 0:
        del analysis["bar_shift"]
    # the analysis' per-bar confidence was for its own bars, not the ones the player chose
    return dataclasses.replace(
        songmap, beat_positions=positions, analysis=analysis, bar_confidence=None
    )


class BarFixes:
    """The bar shifts users chose, per song (``bar_one.json`` in a data folder).

    A file that no longer reads is set aside as ``bar_one.json.bad`` (never overwritten)
    the first time a shift is saved, so a damaged file loses nothing of what it held.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / BAR_FIX_FILE
        self._lock = threading.Lock()

    def _read(self) -> dict[str, int] | None:
        """Every stored shift; None when the file is there but does not read."""
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            songs = data["songs"]
            return {str(k): int(v) for k, v in songs.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("%s unreadable (%s): no bar shifts applied", self.path, exc)
            return None

    def get(self, sha256: str) -> int:
        """The song's stored shift [beats later than the analysis put bar 1]."""
        with self._lock:
            return (self._read() or {}).get(sha256, 0)

    def apply(self, songmap: SongMap) -> SongMap:
        """The SongMap with the shift stored for its audio (as analysed when none)."""
        return shift_bars(songmap, self.get(str(songmap.audio.get("sha256", ""))))

    def move(self, songmap: SongMap, beats: int) -> SongMap:
        """Move a song's downbeats ``beats`` beats on from where they are now, and keep
        the total shift for its audio."""
        moved = shift_bars(songmap, beats)
        self.set(str(songmap.audio["sha256"]), int(moved.analysis.get("bar_shift", 0)))
        return moved

    def set(self, sha256: str, beats: int) -> None:
        """Keep a song's shift (0 forgets it), written atomically."""
        with self._lock:
            songs = self._read()
            if songs is None:  # set the damaged file aside rather than write over it
                bad = self.path.with_name(self.path.name + ".bad")
                if not bad.exists():
                    self.path.replace(bad)
                songs = {}
            if beats:
                songs[sha256] = int(beats)
            else:
                songs.pop(sha256, None)
            text = json.dumps({"version": 1, "songs": songs}, indent=1, sort_keys=True)
            atomic_write_text(self.path, text + "\n")
