"""General MIDI drum files from charts (channel 10, standard notes, the song's tempo map).

The song's beat grid becomes the MIDI tempo map: one quarter note per beat, a tempo
event on every beat, so that MIDI time equals song time wherever the tempo drifts. The
time before the first beat becomes a lead-in of whole beats, and a short first bar (a
time-signature change) takes up the lead-in and any pickup, so that bars in a DAW line up
with the song's bars.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import mido
import numpy as np

from onebeat._io import atomic_write_bytes
from onebeat.audio.decode import MAX_DURATION_S
from onebeat.chart.model import Chart, Dynamic, Note, beat_to_time
from onebeat.errors import ChartError
from onebeat.kit import GM_NOTES, gm_note_to_piece

__all__ = [
    "PPQ",
    "beats_before_first_downbeat",
    "chart_to_midi",
    "check_tempo_map",
    "grid_from_tempo_map",
    "lead_in_beats",
    "main_meter",
    "midi_tick_times",
    "note_track",
    "open_midi",
    "read_midi",
    "second_ticks",
    "tempo_map",
    "tick_seconds",
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


def _tempo_segments(
    tempos: list[tuple[int, float]], resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start tick, seconds per tick and start second of each tempo segment."""
    tempos = sorted(tempos) or [(0, 120.0)]
    if tempos[0][0] != 0:
        tempos.insert(0, (0, 120.0))
    starts = np.array([t for t, _ in tempos], dtype=float)
    sec_per_tick = np.array([60.0 / bpm / resolution for _, bpm in tempos])
    seg_sec = np.concatenate([[0.0], np.cumsum(np.diff(starts) * sec_per_tick[:-1])])
    return starts, sec_per_tick, seg_sec


def tick_seconds(tempos: list[tuple[int, float]], resolution: int, ticks: np.ndarray) -> np.ndarray:
    """Seconds from the start of a MIDI file at ``ticks``, through its tempo changes
    ``(tick, bpm)`` (120 BPM until the first)."""
    starts, sec_per_tick, seg_sec = _tempo_segments(tempos, resolution)
    tk = np.asarray(ticks, dtype=float)
    i = np.searchsorted(starts, tk, side="right") - 1
    return np.asarray(seg_sec[i] + (tk - starts[i]) * sec_per_tick[i], dtype=float)


def second_ticks(
    tempos: list[tuple[int, float]], resolution: int, seconds: np.ndarray
) -> np.ndarray:
    """The inverse of :func:`tick_seconds`: fractional ticks at times [s]."""
    starts, sec_per_tick, seg_sec = _tempo_segments(tempos, resolution)
    sec = np.asarray(seconds, dtype=float)
    i = np.clip(np.searchsorted(seg_sec, sec, side="right") - 1, 0, len(starts) - 1)
    return np.asarray(starts[i] + (sec - seg_sec[i]) / sec_per_tick[i], dtype=float)


#: Bounds of a tempo map onebeat reads (a damaged or hostile file must not make it
#: allocate a year of beats): ticks per beat, tempo [BPM], beats per bar, and the length
#: of a chart [s] (as long as the longest song onebeat analyses).
MAX_RESOLUTION = 32767
TEMPO_RANGE_BPM = (1.0, 1000.0)
MAX_BEATS_PER_BAR = 64
MAX_CHART_S = MAX_DURATION_S


def check_tempo_map(
    source: str,
    tempos: list[tuple[int, float]],
    sigs: list[tuple[int, int]],
    resolution: int,
    end_tick: int,
) -> None:
    """Raise a one-line :class:`ChartError` naming ``source`` and the field when a tempo
    map is out of bounds: its resolution (0, or SMPTE time), a tempo, a time signature,
    or notes that run longer than :data:`MAX_CHART_S`."""
    if not 1 <= resolution <= MAX_RESOLUTION:
        raise ChartError(
            f"{source}: resolution of {resolution} ticks per beat is not supported "
            f"(1 to {MAX_RESOLUTION}; SMPTE time is not read)"
        )
    lo, hi = TEMPO_RANGE_BPM
    for tick, bpm in tempos:
        if not (math.isfinite(bpm) and lo <= bpm <= hi):
            what = f"{bpm:g} BPM" if math.isfinite(bpm) else "of 0 µs a beat"
            raise ChartError(f"{source}: tempo {what} at tick {tick} is not {lo:g}–{hi:g} BPM")
    for tick, num in sigs:
        if not 1 <= num <= MAX_BEATS_PER_BAR:
            raise ChartError(
                f"{source}: time signature of {num} beats a bar at tick {tick} "
                f"is not 1–{MAX_BEATS_PER_BAR}"
            )
    if end_tick < 0:
        raise ChartError(f"{source}: a note at tick {end_tick}, before the start")
    end_s = float(tick_seconds(tempos, resolution, np.array([end_tick]))[0])
    if end_s > MAX_CHART_S:
        raise ChartError(
            f"{source}: its notes run {end_s / 60:.0f} minutes, more than the "
            f"{MAX_CHART_S / 60:.0f} a song may last"
        )


def grid_from_tempo_map(
    tempos: list[tuple[int, float]], sigs: list[tuple[int, int]], resolution: int, end_tick: int
) -> tuple[np.ndarray, np.ndarray]:
    """Beat times [s] and positions at every quarter note from tick 0 to ``end_tick``
    (a map that passed :func:`check_tempo_map`)."""
    n = end_tick // resolution + 2
    times = tick_seconds(tempos, resolution, np.arange(n) * resolution)
    sigs = sorted(sigs) or [(0, 4)]
    positions = np.zeros(n, dtype=int)
    bar_start, num, si = 0, sigs[0][1], 1
    for i in range(n):
        while si < len(sigs) and sigs[si][0] <= i * resolution:
            bar_start, num = sigs[si][0] // resolution, sigs[si][1]
            si += 1
        positions[i] = (i - bar_start) % num + 1
    return times, positions


def main_meter(sigs: list[tuple[int, int]], end_tick: int) -> int:
    """The beats per bar in force for the longest stretch (a pickup bar is not the meter)."""
    if not sigs:
        return 4
    ordered = sorted(sigs)
    spans: dict[int, int] = {}
    for (tick, num), nxt in zip(
        ordered, [*ordered[1:], (max(end_tick, ordered[-1][0] + 1), 0)], strict=True
    ):
        spans[num] = spans.get(num, 0) + max(0, nxt[0] - tick)
    return max(spans, key=lambda k: spans[k])


#: Velocities under this read as ghost notes, at or over ACCENT_VELOCITY as accents.
GHOST_VELOCITY = 40
ACCENT_VELOCITY = 120


def open_midi(path: Path) -> mido.MidiFile:
    """Parse a MIDI file; a damaged one is a ChartError naming it."""
    try:
        return mido.MidiFile(path)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise ChartError(f"{path}: not a readable MIDI file ({exc})") from None


def tempo_map(mid: mido.MidiFile) -> tuple[list[tuple[int, float]], list[tuple[int, int]]]:
    """The file's tempo changes ``(tick, bpm)`` and time signatures ``(tick, beats per bar)``."""
    tempos: list[tuple[int, float]] = []
    sigs: list[tuple[int, int]] = []
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":  # (a tempo of 0 µs a beat is refused later)
                tempos.append((tick, mido.tempo2bpm(msg.tempo) if msg.tempo > 0 else math.inf))
            elif msg.type == "time_signature":
                sigs.append((tick, msg.numerator))
    return tempos, sigs


def read_midi(path: str | os.PathLike[str]) -> Chart:
    """Read a General MIDI drum file (notes on channel 10) into a chart.

    Its tempo map and time signatures become the beat grid (one beat per quarter note);
    percussion notes that are no kit piece (a cowbell, a clap) are left out.

    Raises
    ------
    ChartError
        For an unreadable file or one without drum-kit notes on channel 10.
    """
    p = Path(path)
    mid = open_midi(p)
    tempos, sigs = tempo_map(mid)
    hits: list[tuple[int, int, int]] = []  # tick, note, velocity
    title = ""
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "track_name" and not title:
                title = msg.name.strip()
            elif msg.type == "note_on" and msg.velocity > 0 and msg.channel == DRUM_CHANNEL:
                hits.append((tick, msg.note, msg.velocity))
    res = mid.ticks_per_beat
    kit = []
    for tick, note, vel in hits:
        try:
            kit.append((tick, gm_note_to_piece(note), vel))
        except KeyError:
            continue
    if not kit:
        raise ChartError(f"{p}: no drum-kit notes on MIDI channel 10")
    end = max(t for t, _, _ in kit)
    check_tempo_map(str(p), tempos, sigs, res, end)
    beats, positions = grid_from_tempo_map(tempos, sigs, res, end)
    notes = []
    for tick, piece, vel in kit:
        dyn = (
            Dynamic.GHOST
            if vel < GHOST_VELOCITY
            else Dynamic.ACCENT
            if vel >= ACCENT_VELOCITY
            else Dynamic.NORMAL
        )
        pos = tick / res
        notes.append(Note(float(beat_to_time(beats, pos)[0]), pos, piece, vel, dyn))
    return Chart(
        notes=tuple(notes),
        beats=beats,
        beat_positions=positions,
        beats_per_bar=main_meter(sigs, end),
        title=title or p.stem,
    )
