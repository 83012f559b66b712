"""Clone Hero / YARG song folders: write onebeat's charts, read the community's.

A song folder holds ``notes.mid`` (or ``notes.chart``), ``song.ini`` and the audio
(``song.ogg``). Drums are four lanes plus kick — red (snare), yellow, blue, green — where
yellow/blue/green are cymbals or toms ("pro drums"):

- ``notes.mid`` (Rock Band convention): track ``PART DRUMS``; Easy 60–64, Medium 72–76,
  Hard 84–88, Expert 96–100 (kick, red, yellow, blue, green); yellow/blue/green are
  cymbals unless notes 110/111/112 mark them as toms.
- ``notes.chart`` (text): ``[Song]`` ``Resolution``, ``[SyncTrack]`` tempo ``B`` (BPM × 1000)
  and ``TS``, ``[ExpertDrums]`` etc. with ``N lane length``; 4-lane notes are toms unless
  66/67/68 mark a cymbal; 32 is the Expert+ double kick.

Hand-written because no maintained Python package reads or writes these formats; mido
does the MIDI bytes.
"""

from __future__ import annotations

import configparser
import io
import os
import re
from dataclasses import replace
from enum import IntEnum
from pathlib import Path

import mido
import numpy as np

from onebeat._io import atomic_write_bytes, atomic_write_text
from onebeat.analysis.drums import DrumAnalysis
from onebeat.analysis.songmap import SongMap
from onebeat.audio.decode import file_sha256, load_audio
from onebeat.audio.encode import write_ogg_vorbis
from onebeat.chart.generate import generate_chart
from onebeat.chart.midi import (
    PPQ,
    chart_to_midi,
    check_tempo_map,
    grid_from_tempo_map,
    lead_in_beats,
    main_meter,
    note_track,
    open_midi,
    tempo_map,
)
from onebeat.chart.model import Chart, Dynamic, Note, beat_to_time
from onebeat.chart.reduce import reduce_chart
from onebeat.errors import ChartError
from onebeat.kit import DrumPiece

__all__ = [
    "Difficulty",
    "folder_audio",
    "folder_stems",
    "has_drum_stems",
    "mix_stems",
    "read_song_folder",
    "song_folder_charts",
    "write_song_folder",
]


class Difficulty(IntEnum):
    """Rock Band / Clone Hero difficulties, valued by their first MIDI note."""

    EASY = 60
    MEDIUM = 72
    HARD = 84
    EXPERT = 96


KICK, RED, YELLOW, BLUE, GREEN = range(5)
TOM_MARKERS = {YELLOW: 110, BLUE: 111, GREEN: 112}
CHART_CYMBAL_MARKERS = {YELLOW: 66, BLUE: 67, GREEN: 68}
CHART_DOUBLE_KICK = 32

# piece -> (lane, is_cymbal)
PIECE_TO_LANE: dict[DrumPiece, tuple[int, bool]] = {
    DrumPiece.KICK: (KICK, False),
    DrumPiece.SNARE: (RED, False),
    DrumPiece.HIHAT_CLOSED: (YELLOW, True),
    DrumPiece.HIHAT_OPEN: (YELLOW, True),
    DrumPiece.TOM_HIGH: (YELLOW, False),
    DrumPiece.RIDE: (BLUE, True),
    DrumPiece.TOM_MID: (BLUE, False),
    DrumPiece.CRASH: (GREEN, True),
    DrumPiece.TOM_FLOOR: (GREEN, False),
}
LANE_TO_PIECE: dict[tuple[int, bool], DrumPiece] = {
    (KICK, False): DrumPiece.KICK,
    (RED, False): DrumPiece.SNARE,
    (YELLOW, True): DrumPiece.HIHAT_CLOSED,
    (YELLOW, False): DrumPiece.TOM_HIGH,
    (BLUE, True): DrumPiece.RIDE,
    (BLUE, False): DrumPiece.TOM_MID,
    (GREEN, True): DrumPiece.CRASH,
    (GREEN, False): DrumPiece.TOM_FLOOR,
}


#: The text event without which Clone Hero and YARG read no ghost (velocity 1) or accent
#: (127) note in ``notes.mid``.
DYNAMICS_EVENT = "[ENABLE_CHART_DYNAMICS]"
#: The BEAT track's notes: the first beat of a bar, and the others.
BEAT_DOWN, BEAT_OTHER = 12, 13


# --- writing ---------------------------------------------------------------------------
def _part_drums(charts: dict[Difficulty, Chart], lead: int) -> mido.MidiTrack:
    events: list[tuple[int, int, int, int]] = []  # tick, on(1)/off(0), note, velocity
    toms: dict[int, set[int]] = {lane: set() for lane in TOM_MARKERS}
    for diff, chart in charts.items():
        for n in chart.notes:
            if n.piece not in PIECE_TO_LANE:
                continue  # the hi-hat pedal has no lane
            lane, cymbal = PIECE_TO_LANE[n.piece]
            tick = round((lead + n.beat) * PPQ)
            vel = 127 if n.dynamic is Dynamic.ACCENT else (1 if n.dynamic is Dynamic.GHOST else 100)
            events.append((tick, 1, int(diff) + lane, vel))
            events.append((tick + PPQ // 16, 0, int(diff) + lane, 0))
            if lane in TOM_MARKERS and not cymbal:
                toms[lane].add(tick)
    for lane, ticks in toms.items():  # one marker note over each tom gem (all difficulties)
        for tick in ticks:
            events.append((tick, 1, TOM_MARKERS[lane], 100))
            events.append((tick + PPQ // 16, 0, TOM_MARKERS[lane], 0))
    track = note_track("PART DRUMS", events)
    if any(on and vel in (1, 127) for _, on, _, vel in events):
        track.insert(1, mido.MetaMessage("text", text=DYNAMICS_EVENT, time=0))
    return track


def _events_track(grid: Chart, lead: int) -> mido.MidiTrack:
    """The EVENTS track: a ``[section …]`` text event at each section start (the games
    show them and practice mode loops them)."""
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name="EVENTS", time=0))
    now = 0
    for k, beat in enumerate(sorted(grid.sections), start=1):
        tick = round((lead + beat) * PPQ)
        track.append(mido.MetaMessage("text", text=f"[section Section {k}]", time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _beat_track(grid: Chart, lead: int) -> mido.MidiTrack:
    """The BEAT track: a note on every beat of the song's grid, 12 on a bar's first beat
    and 13 on the others (the games draw the bar lines from it)."""
    events = []
    for k, pos in enumerate(np.asarray(grid.beat_positions)):
        tick = (lead + k) * PPQ
        note = BEAT_DOWN if int(pos) == 1 else BEAT_OTHER
        events += [(tick, 1, note, 100), (tick + PPQ // 4, 0, note, 0)]
    return note_track("BEAT", events)


#: Notes a second of the hardest chart at the top of each ``diff_drums`` tier (0–6).
TIER_NOTES_PER_S = (1.0, 2.0, 3.0, 4.5, 6.0, 8.0)


def drum_tier(chart: Chart) -> int:
    """The ``diff_drums`` rating (0–6) of a chart, from how many notes a second it has
    over its span (the community rates by feel; the density is onebeat's estimate)."""
    if len(chart.notes) < 2:
        return 0
    span = max(1.0, chart.notes[-1].time - chart.notes[0].time)
    rate = len(chart.notes) / span
    return int(np.searchsorted(TIER_NOTES_PER_S, rate, side="right"))


def write_song_folder(
    charts: dict[Difficulty, Chart],
    audio: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    title: str,
    artist: str = "Unknown",
    charter: str = "onebeat",
) -> Path:
    """Write a Clone Hero / YARG song folder: ``notes.mid``, ``song.ini``, ``song.ogg``.

    All charts must share one beat grid (they are levels of one song). The tempo map is
    the grid's; ``song.ogg`` is the audio re-encoded to Ogg Vorbis (copied if it is one).
    """
    if not charts:
        raise ChartError(f"{folder}: no charts to write")
    grid = next(iter(charts.values()))
    for c in charts.values():
        if len(c.beats) != len(grid.beats) or not np.allclose(c.beats, grid.beats):
            raise ChartError(f"{folder}: charts of one song folder must share a beat grid")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)

    mid = chart_to_midi(grid)  # tempo map and bar lines, drum track replaced
    tempo = mid.tracks[0]
    tempo[0] = mido.MetaMessage("track_name", name=title, time=0)
    lead = lead_in_beats(grid)
    mid.tracks = [
        tempo,
        _part_drums(charts, lead),
        _events_track(grid, lead),
        _beat_track(grid, lead),
    ]
    buf = io.BytesIO()
    mid.save(file=buf)
    atomic_write_bytes(out / "notes.mid", buf.getvalue())

    src = Path(audio)
    decoded = load_audio(src, mono=False)
    if decoded.codec == "vorbis" and src.suffix.lower() == ".ogg":
        atomic_write_bytes(out / "song.ogg", src.read_bytes())
    else:
        write_ogg_vorbis(out / "song.ogg", decoded.y, decoded.sr)

    ini = configparser.ConfigParser()
    ini["song"] = {
        "name": title,
        "artist": artist,
        "charter": charter,
        "song_length": str(round(decoded.duration * 1000)),
        "diff_drums": str(drum_tier(charts[max(charts)])),
        "pro_drums": "True",
        "delay": "0",
        "preview_start_time": str(round(float(grid.beats[len(grid.beats) // 3]) * 1000)),
    }
    text = io.StringIO()
    ini.write(text)
    atomic_write_text(out / "song.ini", text.getvalue())
    return out


# --- reading ---------------------------------------------------------------------------
def _time_at(beats: np.ndarray, position: float) -> float:
    return float(beat_to_time(beats, position)[0])


def _read_mid(path: Path, difficulty: Difficulty, pro: bool | None) -> Chart:
    mid = open_midi(path)
    res = mid.ticks_per_beat
    tempos, sigs = tempo_map(mid)
    drums = next(
        (
            t
            for t in mid.tracks
            if any(m.type == "track_name" and m.name.strip().upper() == "PART DRUMS" for m in t)
        ),
        None,
    )
    if drums is None:
        raise ChartError(f"{path}: no 'PART DRUMS' track")
    dynamics = any(m.type in ("text", "lyrics") and m.text.strip() == DYNAMICS_EVENT for m in drums)
    gems: list[tuple[int, int, int]] = []  # tick, lane, velocity
    tom_ticks: dict[int, list[tuple[int, int]]] = {lane: [] for lane in TOM_MARKERS}
    open_markers: dict[int, int] = {}
    tick = 0
    lo = int(difficulty)
    for msg in drums:
        tick += msg.time
        if msg.type not in ("note_on", "note_off"):
            continue
        on = msg.type == "note_on" and msg.velocity > 0
        if lo <= msg.note <= lo + 4 and on:
            gems.append((tick, msg.note - lo, msg.velocity))
        for lane, marker in TOM_MARKERS.items():
            if msg.note == marker:
                if on:
                    open_markers[marker] = tick
                elif marker in open_markers:
                    tom_ticks[lane].append((open_markers.pop(marker), tick))
    if not gems:
        raise ChartError(f"{path}: PART DRUMS has no {difficulty.name.lower()} notes")
    check_tempo_map(str(path), tempos, sigs, res, max(t for t, _, _ in gems))
    beats, positions = grid_from_tempo_map(tempos, sigs, res, max(t for t, _, _ in gems))
    notes = []
    for t, lane, vel in gems:
        tom = any(a <= t < max(b, a + 1) for a, b in tom_ticks.get(lane, []))
        cymbal = lane in TOM_MARKERS and not tom and pro is not False
        dyn = Dynamic.NORMAL
        if dynamics:  # velocities 1 and 127 mean ghost and accent only with the flag
            dyn = Dynamic.ACCENT if vel == 127 else Dynamic.GHOST if vel == 1 else Dynamic.NORMAL
        notes.append(
            Note(_time_at(beats, t / res), t / res, LANE_TO_PIECE[(lane, cymbal)], vel, dyn)
        )
    return Chart(
        notes=tuple(notes),
        beats=beats,
        beat_positions=positions,
        beats_per_bar=main_meter(sigs, max(t for t, _, _ in gems)),
        title=path.parent.name,
    )


_CHART_LINE = re.compile(r"^\s*(\d+)\s*=\s*([A-Z]+)\s+(.*?)\s*$")


def _whole(path: Path, field: str, text: str) -> int:
    """A .chart field that must be a whole number ≥ 0 (at most 12 digits), else a
    one-line ChartError naming the file and the field."""
    value = text.strip()
    if not (value.isdigit() and len(value) <= 12):
        shown = value if len(value) <= 16 else value[:16] + "…"
        raise ChartError(f"{path}: {field}: {shown!r} is not a whole number (up to 12 digits)")
    return int(value)


def _read_chart(path: Path, difficulty: Difficulty) -> Chart:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChartError(f"{path}: cannot read ({exc})") from None
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            current = s[1:-1]
            sections[current] = []
        elif current is not None and s not in ("{", "}", ""):
            sections[current].append(s)
    song = {
        k.strip(): v.strip().strip('"')
        for k, _, v in (ln.partition("=") for ln in sections.get("Song", []))
    }
    res = _whole(path, "[Song] Resolution", song.get("Resolution", "192"))
    tempos: list[tuple[int, float]] = []
    sigs: list[tuple[int, int]] = []
    for ln in sections.get("SyncTrack", []):
        m = _CHART_LINE.match(ln)
        if not m or m[2] not in ("B", "TS"):
            continue
        where = f"[SyncTrack] {m[1][:16]} = {m[2]}"
        tick = _whole(path, where + " (its tick)", m[1])
        value = _whole(path, where, (m[3].split() or [""])[0])
        if m[2] == "B":
            tempos.append((tick, value / 1000.0))
        else:
            sigs.append((tick, value))
    name = f"{difficulty.name.capitalize()}Drums"
    if name not in sections:
        raise ChartError(f"{path}: no [{name}] section")
    lanes: dict[int, set[int]] = {}
    cymbals: set[tuple[int, int]] = set()
    for ln in sections[name]:
        m = _CHART_LINE.match(ln)
        if not m or m[2] != "N":
            continue
        where = f"[{name}] {m[1][:16]} = N"
        tick = _whole(path, where + " (its tick)", m[1])
        note = _whole(path, where, (m[3].split() or [""])[0])
        if note <= GREEN or note == CHART_DOUBLE_KICK:
            lanes.setdefault(tick, set()).add(KICK if note == CHART_DOUBLE_KICK else note)
        for lane, marker in CHART_CYMBAL_MARKERS.items():
            if note == marker:
                cymbals.add((tick, lane))
    if not lanes:
        raise ChartError(f"{path}: [{name}] has no notes")
    check_tempo_map(str(path), tempos, sigs, res, max(lanes))
    beats, positions = grid_from_tempo_map(tempos, sigs, res, max(lanes))
    notes = [
        Note(_time_at(beats, t / res), t / res, LANE_TO_PIECE[(lane, (t, lane) in cymbals)])
        for t, ls in sorted(lanes.items())
        for lane in sorted(ls)
    ]
    return Chart(
        notes=tuple(notes),
        beats=beats,
        beat_positions=positions,
        beats_per_bar=main_meter(sigs, max(lanes)),
        title=song.get("Name", path.parent.name),
    )


#: The largest song.ini ``delay`` onebeat takes [ms].
MAX_DELAY_MS = 60_000


def _delay_s(path: Path, text: str) -> float:
    """song.ini's ``delay``: how much later than the audio the chart starts [ms → s]."""
    value = text.strip()
    try:
        ms = float(value) if len(value) <= 16 else float("nan")
    except ValueError:
        ms = float("nan")
    if not abs(ms) <= MAX_DELAY_MS:  # (also NaN)
        raise ChartError(
            f"{path}: delay {value[:16]!r} is not a number of milliseconds "
            f"(±{MAX_DELAY_MS:,} at most)"
        )
    return ms / 1000.0


def read_song_folder(
    folder: str | os.PathLike[str], *, difficulty: Difficulty = Difficulty.EXPERT
) -> tuple[Chart, Path | None]:
    """Read the drum chart of a Clone Hero / YARG / Rock Band song folder.

    Returns
    -------
    (Chart, Path or None)
        The chart at ``difficulty`` and the folder's song audio, if there is one (its
        stems mixed into one file: :func:`folder_audio`).

    Raises
    ------
    ChartError
        For a folder without a readable chart or without drums at that difficulty.
    """
    d = Path(folder)
    if not d.is_dir():
        raise ChartError(f"{d}: not a song folder")
    pro: bool | None = None
    delay_s = 0.0
    ini_path = d / "song.ini"
    if ini_path.exists():
        ini = configparser.ConfigParser(strict=False, interpolation=None)
        try:
            ini.read_string(ini_path.read_text(encoding="utf-8-sig", errors="replace").lower())
            if ini.has_option("song", "pro_drums"):
                pro = ini.get("song", "pro_drums").strip() in ("true", "1")
            if ini.has_option("song", "delay"):
                delay_s = _delay_s(ini_path, ini.get("song", "delay"))
        except configparser.Error as exc:
            why = " ".join(str(exc).split())  # configparser's messages span lines
            raise ChartError(f"{ini_path}: malformed song.ini ({why[:160]})") from None
    if (d / "notes.mid").exists():
        chart = _read_mid(d / "notes.mid", difficulty, pro)
    elif (d / "notes.chart").exists():
        chart = _read_chart(d / "notes.chart", difficulty)
    else:
        raise ChartError(f"{d}: no notes.mid or notes.chart")
    if delay_s:  # the chart starts later than the audio (or earlier) by song.ini's delay
        chart = replace(
            chart,
            notes=tuple(replace(n, time=n.time + delay_s) for n in chart.notes),
            beats=np.asarray(chart.beats, dtype=float) + delay_s,
        )
    return chart, folder_audio(d)


#: The audio files a song folder may split its song into (Clone Hero / YARG / Rock Band
#: stems), the drum stems first. ``crowd`` (the audience) and ``preview`` are not the song.
DRUM_STEMS = ("drums", "drums_1", "drums_2", "drums_3", "drums_4")
BAND_STEMS = ("song", "guitar", "rhythm", "bass", "keys", "vocals", "vocals_1", "vocals_2")
_AUDIO_EXTS = (".ogg", ".opus", ".mp3", ".wav", ".flac")


def folder_stems(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """The song's audio files in a song folder, by stem name (``drums``, ``song``, ...)."""
    d = Path(folder)
    found: dict[str, Path] = {}
    for stem in DRUM_STEMS + BAND_STEMS:
        for ext in _AUDIO_EXTS:
            if (d / f"{stem}{ext}").is_file():
                found[stem] = d / f"{stem}{ext}"
                break
    return found


def folder_audio(folder: str | os.PathLike[str], *, drums: float = 1.0) -> Path | None:
    """The song of a song folder as one audio file (None: the folder has none).

    A folder with one audio file (``song.ogg``) gives it; a folder whose song is split into
    stems (``drums.ogg``, ``drums_1..4.ogg``, ``bass.ogg``, ``vocals.ogg``, ``song.ogg``,
    ...) gives their sum, mixed once into onebeat's cache (keyed by the stems' bytes) and
    reused: the games play the stems together, and so does onebeat. ``drums`` is the gain
    of the drum stems in that sum (0: the song without its drums, no separation needed).
    """
    stems = folder_stems(folder)
    if len(stems) <= 1 and (drums == 1.0 or not set(stems) & set(DRUM_STEMS)):
        return next(iter(stems.values()), None)
    gains = [drums if name in DRUM_STEMS else 1.0 for name in stems]
    return mix_stems(list(stems.values()), gains)


def has_drum_stems(folder: str | os.PathLike[str]) -> bool:
    """Whether a song folder keeps its drums in stems of their own (and the band in others)."""
    stems = folder_stems(folder)
    return bool(set(stems) & set(DRUM_STEMS)) and bool(set(stems) - set(DRUM_STEMS))


def mix_stems(paths: list[Path], gains: list[float] | None = None) -> Path:
    """Sum audio files (stems of one song, each at its gain) into one Ogg Vorbis file in
    the cache.

    Raises
    ------
    OneBeatError
        A stem that cannot be decoded (one line naming it).
    """
    import hashlib

    from onebeat.analysis.pipeline import cache_dir

    gains = [1.0] * len(paths) if gains is None else gains
    key = hashlib.sha256()
    for p, g in zip(paths, gains, strict=True):
        key.update(p.name.encode() + b"\0" + file_sha256(p).encode())
        if g != 1.0:
            key.update(f"*{g:.3f}".encode())
    out = cache_dir() / "stems"
    target = out / f"{key.hexdigest()[:24]}.ogg"
    if target.is_file():
        return target
    sr = 44100
    tracks = [load_audio(p, sr=sr, mono=False).y for p in paths]
    channels = max(1 if t.ndim == 1 else t.shape[0] for t in tracks)
    length = max(t.shape[-1] for t in tracks)
    mix = np.zeros((channels, length), np.float32)
    for t, g in zip(tracks, gains, strict=True):
        t2 = t[None, :] if t.ndim == 1 else t
        mix[:, : t2.shape[-1]] += np.float32(g) * (
            t2 if t2.shape[0] == channels else t2.mean(axis=0)
        )
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    if peak > 0.99:  # stems that add up past full scale: the whole mix turned down
        mix *= np.float32(0.99 / peak)
    out.mkdir(parents=True, exist_ok=True)
    write_ogg_vorbis(target, mix, sr)
    return target


def song_folder_charts(
    sm: SongMap, drums: DrumAnalysis | None, title: str
) -> dict[Difficulty, Chart]:
    """The four difficulties of a song folder. From the song's drums: Expert is level 5,
    Hard level 4, and Medium and Easy are level 4 reduced by the Rock Band rules. From
    the beat grid alone (levels 1–3): Easy is level 2 (no gem with a kick), the rest 3."""
    if drums is None:
        easy = generate_chart(sm, level=2, title=title)
        rest = generate_chart(sm, level=3, title=title)
        return {
            Difficulty.EASY: easy,
            Difficulty.MEDIUM: rest,
            Difficulty.HARD: rest,
            Difficulty.EXPERT: rest,
        }
    groove = generate_chart(sm, level=4, title=title, drums=drums)
    return {
        Difficulty.EASY: reduce_chart(groove, "easy"),
        Difficulty.MEDIUM: reduce_chart(groove, "medium"),
        Difficulty.HARD: reduce_chart(groove, "hard"),
        Difficulty.EXPERT: generate_chart(sm, level=5, title=title, drums=drums),
    }
