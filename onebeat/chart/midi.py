"""General MIDI drum files from charts (channel 10, standard notes, the song's tempo map).

The song's beat grid becomes the MIDI tempo map: one quarter note per beat, a tempo
event on every beat, so that MIDI time equals song time wherever the tempo drifts. The
time before the first beat becomes a lead-in of whole beats, and a short first bar (a
time-signature change) takes up the lead-in and any pickup, so that bars in a DAW line up
with the song's bars.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import mido
import numpy as np

from onebeat._io import atomic_write_bytes
from onebeat.chart.model import Chart
from onebeat.kit import GM_NOTES

__all__ = [
    "PPQ",
    "beats_before_first_downbeat",
    "chart_to_midi",
    "lead_in_beats",
    "midi_tick_times",
    "note_track",
    "write_midi",
]

PPQ = 480
DRUM_CHANNEL = 9  # "channel 10" counted from one


def lead_in_beats(chart: Chart) -> int:
    """Whole beats written before the chart's first grid beat, to reach song time 0 at
    about the song's first tempo (0 when the first beat is at 0)."""
    ibi = float(chart.beats[1] - chart.beats[0])
    first = float(chart.beats[0])
    return int(np.ceil(first / ibi - 1e-6)) if first > 1e-6 else 0


def beats_before_first_downbeat(chart: Chart) -> int:
    """Beats of the MIDI file before the chart's first downbeat (lead-in + pickup)."""
    first_down = np.flatnonzero(chart.beat_positions == 1)
    pickup = int(first_down[0]) if len(first_down) else 0
    return lead_in_beats(chart) + pickup


def note_track(name: str, notes: list[tuple[int, int, int, int]]) -> mido.MidiTrack:
    """A named drum track (channel 10) from ``(tick, on, note, velocity)`` events, where
    ``on`` is 1 for note-on and 0 for note-off (offs sort first at equal ticks)."""
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, on, note, vel in sorted(notes):
        kind = "note_on" if on else "note_off"
        track.append(
            mido.Message(kind, channel=DRUM_CHANNEL, note=note, velocity=vel, time=tick - now)
        )
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def chart_to_midi(chart: Chart) -> mido.MidiFile:
    """A type-1 MIDI file: a tempo/meter track and a drum track on channel 10."""
    lead = lead_in_beats(chart)
    ibi = np.diff(chart.beats)
    first = float(chart.beats[0])
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("track_name", name=chart.title or "onebeat", time=0))
    # Bar lines: a short first bar takes up the lead-in and pickup beats, so that the
    # song's first downbeat starts a bar of the MIDI file.
    m = chart.beats_per_bar
    events: list[tuple[int, mido.MetaMessage]] = []
    partial = beats_before_first_downbeat(chart) % m
    if partial:
        events.append((0, mido.MetaMessage("time_signature", numerator=partial, denominator=4)))
    events.append((partial * PPQ, mido.MetaMessage("time_signature", numerator=m, denominator=4)))
    # lead-in: from song time 0 to the first beat, in `lead` beats
    if lead > 0:
        lead_tempo = first / lead
        events.append((0, mido.MetaMessage("set_tempo", tempo=round(lead_tempo * 1e6))))
    for k, d in enumerate(ibi):
        events.append(((lead + k) * PPQ, mido.MetaMessage("set_tempo", tempo=round(d * 1e6))))
    events.sort(key=lambda e: e[0])
    now = 0
    for tick, msg in events:
        meta.append(msg.copy(time=tick - now))
        now = tick
    meta.append(mido.MetaMessage("end_of_track", time=0))

    notes: list[tuple[int, int, int, int]] = []
    for n in chart.notes:
        tick = round((lead + n.beat) * PPQ)
        note = GM_NOTES[n.piece]
        notes.append((tick, 1, note, max(1, min(127, n.velocity))))
        notes.append((tick + PPQ // 8, 0, note, 0))
    drums = note_track("drums", notes)
    mid = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    mid.tracks.extend([meta, drums])
    return mid


def midi_tick_times(mid: mido.MidiFile) -> list[tuple[float, int, int]]:
    """(song time [s], note, velocity) of every note-on in a MIDI file, via its tempo map."""
    out: list[tuple[float, int, int]] = []
    t = 0.0
    for msg in mid:  # iterating a MidiFile yields messages with time in seconds
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            out.append((t, msg.note, msg.velocity))
    return out


def write_midi(chart: Chart, path: str | os.PathLike[str]) -> None:
    """Write the chart as a General MIDI drum file, atomically."""
    buf = io.BytesIO()
    chart_to_midi(chart).save(file=buf)
    atomic_write_bytes(Path(path), buf.getvalue())
