"""Sessions out of the database: one JSON file, or MIDI with one track per player.

The JSON file is the whole session (chart, settings, players, raw hits, judgments,
summary) and reads back exactly (:func:`read_session_json`), so a take can be moved to
another machine and replayed. The MIDI file is for a DAW or for scoring again: the
song's tempo map, the chart as a track, and each player's hits (all of them, as
played) as a track of General MIDI drum notes where the judge heard them (after the
player's calibration), at 1920 ticks per beat (a quarter millisecond at 120 BPM).
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import mido
import numpy as np

from onebeat._io import atomic_write_bytes, atomic_write_text, read_json
from onebeat.chart.midi import chart_to_midi, note_track, second_ticks, tempo_map
from onebeat.errors import SessionError
from onebeat.kit import GM_NOTES, DrumPiece
from onebeat.session.model import Session

__all__ = ["read_session_json", "session_to_midi", "write_session_json", "write_session_midi"]

#: Ticks per beat of the session MIDI export (a multiple of the chart files' 480).
EXPORT_PPQ = 1920
#: Taps without a pad are written as this piece.
TAP_PIECE = DrumPiece.SNARE


def write_session_json(session: Session, path: str | os.PathLike[str]) -> None:
    atomic_write_text(path, json.dumps(session.to_dict(), indent=1) + "\n")


def read_session_json(path: str | os.PathLike[str]) -> Session:
    """A session from :func:`write_session_json`; a :class:`SessionError` names the file."""
    p = Path(path)
    return Session.from_dict(read_json(p, SessionError, "session file"), source=str(p))


def session_to_midi(session: Session) -> mido.MidiFile:
    """Tempo track, the chart's track, then one track per player (named after them)."""
    base = chart_to_midi(session.chart)
    scale = EXPORT_PPQ // base.ticks_per_beat
    mid = mido.MidiFile(type=1, ticks_per_beat=EXPORT_PPQ)
    for track in base.tracks:
        mid.tracks.append(mido.MidiTrack(m.copy(time=m.time * scale) for m in track))
    mid.tracks[1].name = "chart"
    tempos, _ = tempo_map(mid)
    speed = session.settings.speed
    for player in session.players:
        hits = [
            r.hit for r in session.hits if r.hit.player == player.name and math.isfinite(r.hit.time)
        ]
        times = np.array([h.time - player.offset_ms / 1000.0 * speed for h in hits])
        ticks = np.round(second_ticks(tempos, EXPORT_PPQ, np.maximum(times, 0.0))).astype(int)
        events: list[tuple[int, int, int, int]] = []
        for h, tick in zip(hits, ticks, strict=True):
            note = GM_NOTES[h.piece if h.piece is not None else TAP_PIECE]
            vel = max(1, min(127, h.velocity))
            events += [(int(tick), 1, note, vel), (int(tick) + EXPORT_PPQ // 8, 0, note, 0)]
        mid.tracks.append(note_track(player.name, events))
    return mid


def write_session_midi(session: Session, path: str | os.PathLike[str]) -> None:
    buf = io.BytesIO()
    session_to_midi(session).save(file=buf)
    atomic_write_bytes(path, buf.getvalue())
