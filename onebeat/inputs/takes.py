"""Recorded takes: a performance saved to a file, read back as hits in song time.

* **MIDI** (``.mid``): recorded from an e-kit while playing along, time 0 being the
  start of the song. Each track with notes is one player (named by ``players`` in
  order, else by the track's name); with a single player name, every track is theirs.
  Messages go through the same :class:`~onebeat.inputs.midi.MidiMapper` as a live kit,
  so the hi-hat pedal (CC4) decides open or closed the same way. onebeat's own session
  export (one track per player) reads back this way; its track named ``chart`` is skipped.
* **CSV** (``.csv``, ``.txt``): one hit per line, ``time[,pad[,velocity[,player]]]``,
  time in seconds of song time; ``pad`` is a piece name (``snare``) or a General MIDI
  note number, or empty for a plain tap (judged with "any pad counts"). A header line
  and ``#`` comments are skipped.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import mido
import numpy as np

from onebeat.chart.midi import open_midi, tempo_map, tick_seconds
from onebeat.engine import Hit
from onebeat.errors import ChartError, InputError
from onebeat.inputs.midi import KIT_MAPS, MidiMapper, kit_map
from onebeat.kit import DrumPiece

__all__ = ["MAX_TAKE_HITS", "read_take"]

#: A take longer than this many hits is not a drum performance (an hour at 25 hits/s).
MAX_TAKE_HITS = 100_000
TAKE_SUFFIXES = (".mid", ".midi", ".csv", ".txt")


def read_take(
    path: str | os.PathLike[str], *, players: Sequence[str] = (), kit: str = "gm"
) -> list[Hit]:
    """The hits of a recorded take, in time order.

    Raises
    ------
    InputError
        For a missing, unreadable or empty take, or players that do not fit its tracks;
        the message names the file (and the line of a CSV).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such take file")
    suffix = p.suffix.lower()
    if suffix in (".mid", ".midi"):
        hits = _read_midi_take(p, players, kit)
    elif suffix in (".csv", ".txt"):
        hits = _read_csv_take(p, players)
    else:
        raise InputError(f"{p}: a take is a MIDI file (.mid) or a list of hit times (.csv)")
    if not hits:
        raise InputError(f"{p}: the take has no hits")
    if len(hits) > MAX_TAKE_HITS:
        raise InputError(f"{p}: {len(hits)} hits is more than a take holds ({MAX_TAKE_HITS})")
    return sorted(hits, key=lambda h: (h.time, h.player))


def _read_midi_take(p: Path, players: Sequence[str], kit: str) -> list[Hit]:
    try:
        mid = open_midi(p)
    except ChartError as exc:
        raise InputError(str(exc)) from None
    tempos, _ = tempo_map(mid)
    tracks: list[tuple[str, list[tuple[int, mido.Message]]]] = []
    for k, track in enumerate(mid.tracks):
        tick = 0
        name = ""
        msgs: list[tuple[int, mido.Message]] = []
        for msg in track:
            tick += msg.time
            if msg.type == "track_name":
                name = name or msg.name.strip()
            elif not msg.is_meta and msg.type in ("note_on", "control_change"):
                msgs.append((tick, msg))
        if name == "chart":  # onebeat's session export: the chart, not a player
            continue
        if any(m.type == "note_on" and m.velocity > 0 for _, m in msgs):
            tracks.append((name or f"player {k + 1}", msgs))
    if not tracks:
        raise InputError(f"{p}: the take has no notes")
    if len(players) == 1:
        names = [players[0]] * len(tracks)
    elif players:
        if len(players) != len(tracks):
            raise InputError(
                f"{p}: {len(players)} players named but the take has {len(tracks)} tracks "
                "with notes (name one player, or one per track)"
            )
        names = list(players)
    else:
        names = [name for name, _ in tracks]
        if len(set(names)) != len(names):  # two tracks with one name: number them
            names = [f"{n} {i + 1}" for i, n in enumerate(names)]
    kmap = kit_map(kit)
    hits: list[Hit] = []
    for player, (_, msgs) in zip(names, tracks, strict=True):
        mapper = MidiMapper(player, kmap)
        times = tick_seconds(tempos, mid.ticks_per_beat, np.array([t for t, _ in msgs]))
        for t, (_, msg) in zip(times, msgs, strict=True):
            hit = mapper.feed(msg, float(t))
            if hit is not None:
                hits.append(hit)
    return hits


#: The longest player name a take may give.
MAX_NAME = 64


def _show(value: str, most: int = 24) -> str:
    """A field as an error message quotes it: its start only (a field may be huge)."""
    value = value.strip()
    return repr(value if len(value) <= most else value[:most] + "…")


def _pad(value: str, where: str) -> DrumPiece | None:
    value = value.strip().lower()
    if not value:
        return None
    if value.isdigit():
        piece = KIT_MAPS["gm"].notes.get(int(value)) if len(value) <= 3 else None
        if piece is None:
            shown = value if len(value) <= 8 else value[:8] + "…"
            raise InputError(f"{where}: MIDI note {shown} is not a drum-kit piece")
        return piece
    try:
        return DrumPiece(value)
    except ValueError:
        known = ", ".join(d.value for d in DrumPiece)
        raise InputError(f"{where}: pad {_show(value)} is not a piece ({known})") from None


def _velocity(value: str, where: str) -> int:
    v = value.strip()
    if not (v.isdigit() and len(v) <= 3 and int(v) <= 127):
        raise InputError(f"{where}: velocity {_show(v)} is not a whole number from 0 to 127")
    return int(v)


def _read_csv_take(p: Path, players: Sequence[str]) -> list[Hit]:
    if len(players) > 1:
        raise InputError(f"{p}: a CSV take names its players in its 4th column")
    default = players[0] if players else "player 1"
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a readable text file ({exc})") from None
    hits: list[Hit] = []
    rows = csv.reader(text.splitlines())
    lineno = 0
    while True:
        lineno += 1
        try:
            row = next(rows)
        except StopIteration:
            return hits
        except csv.Error as exc:
            raise InputError(f"{p}:{lineno}: not a CSV line ({exc})") from None
        if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        where = f"{p}:{lineno}"
        try:
            if len(row[0]) > 64:
                raise ValueError(row[0])
            t = float(row[0])
        except ValueError:
            if lineno == 1:  # a header
                continue
            raise InputError(f"{where}: time {_show(row[0])} is not a number of seconds") from None
        if not math.isfinite(t):
            raise InputError(f"{where}: time {_show(row[0])} is not a finite number")
        piece = _pad(row[1], where) if len(row) > 1 else None
        velocity = _velocity(row[2], where) if len(row) > 2 and row[2].strip() else 100
        player = row[3].strip() if len(row) > 3 and row[3].strip() else default
        if len(player) > MAX_NAME:
            raise InputError(f"{where}: player name {_show(player)} is over {MAX_NAME} characters")
        hits.append(Hit(player, t, piece, velocity))
