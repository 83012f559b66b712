"""What the commands share: options, loading a song's map and chart, printing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from onebeat.analysis import BACKENDS, DEFAULT_BACKEND
from onebeat.analysis.meter import BAR_ONE_UNSURE
from onebeat.chart import LEVELS

if TYPE_CHECKING:
    from onebeat.analysis.drums import DrumAnalysis
    from onebeat.analysis.songmap import SongMap
    from onebeat.chart.model import Chart
    from onebeat.hearing import KitProfile
    from onebeat.session import SessionStore

__all__ = [
    "LICENCE_NOTE",
    "SESSION_HELP",
    "analysis_options",
    "analyze_song",
    "chart_options",
    "db_option",
    "format_stats",
    "format_summary",
    "kit_profile",
    "load_chart",
    "piece_counts",
    "read_chart",
    "session_store",
    "song_drums",
    "web_options",
    "write_midi_file",
    "write_tab_file",
]

LICENCE_NOTE = (
    "The default backend, madmom, uses neural-network weights licensed CC BY-NC-SA 4.0 "
    "(non-commercial use only); --backend librosa uses no model (ISC)."
)
SESSION_HELP = "session id (or its first characters, or 'latest')"
_SPARK = "▁▂▃▄▅▆▇█"


def _sparkline(values: np.ndarray, width: int = 48) -> str:
    if len(values) == 0:
        return ""
    chunks = np.array_split(np.asarray(values, dtype=float), min(width, len(values)))
    means = np.array([c.mean() for c in chunks])
    lo, hi = float(means.min()), float(means.max())
    if hi - lo < 0.01 * hi:  # flat within 1 %: quantisation, not drift
        return _SPARK[3] * len(means)
    idx = np.round((means - lo) / (hi - lo) * (len(_SPARK) - 1)).astype(int)
    return "".join(_SPARK[i] for i in idx)


def format_summary(sm: SongMap) -> str:
    """The short human summary of a SongMap printed by ``onebeat analyze``."""
    from onebeat.analysis.tempo import tempo_curve

    curve = tempo_curve(beats=sm.beats)
    lo, hi = (
        np.percentile(sm.tempo_curve_bpm, [5, 95])
        if len(sm.tempo_curve_bpm)
        else (sm.tempo_bpm, sm.tempo_bpm)
    )
    steadiness = "steady" if curve.steady else f"drifts {lo:.0f}–{hi:.0f}"
    n_bars = int(np.sum(sm.beat_positions == 1))
    conf = float(np.mean(sm.beat_confidence)) if len(sm.beat_confidence) else 0.0
    weak = int(np.sum(sm.beat_confidence < 0.2))
    a = sm.analysis
    lines = [
        f"{sm.audio['file']}  ({sm.duration:.1f} s, {sm.audio['codec']}, "
        f"{sm.audio['sample_rate']} Hz, {sm.audio['channels']} ch)",
        f"  tempo    {sm.tempo_bpm:6.1f} BPM  ({steadiness})",
        f"  curve    {_sparkline(sm.tempo_curve_bpm)}  {lo:.0f}–{hi:.0f} BPM",
        f"  meter    {sm.time_signature}  (confidence {sm.meter_confidence:.2f})"
        + (f"; bar 1 moved {a['bar_shift']} beat(s) later by you" if "bar_shift" in a else "")
        + (
            "; not sure where bar 1 is: check it (--bar-one)"
            if sm.bar_confidence is not None and sm.meter_confidence < BAR_ONE_UNSURE
            else ""
        ),
        f"  beats    {len(sm.beats)} in {n_bars} bars, first {sm.first_beat:.2f} s, "
        f"last {sm.last_beat:.2f} s",
        f"  clarity  mean beat confidence {conf:.2f}" + (f"; {weak} weak beats" if weak else ""),
        f"  backend  {a['backend']} ({a.get('licence', '')}), {a.get('seconds', 0):.1f} s",
    ]
    return "\n".join(lines)


def analyze_song(args: argparse.Namespace, song: Path) -> SongMap:
    """Analyse with the shared options; the progress bar shows on a terminal. Bar 1 is
    where the player put it, if they moved it (``onebeat analyze --bar-one``, or the
    page's "bar 1" buttons: the same store in the data folder)."""
    from onebeat.analysis import analyze
    from onebeat.analysis.barfix import BarFixes
    from onebeat.session.store import data_dir

    songmap = analyze(
        song,
        backend=args.backend,
        use_cache=not args.no_cache,
        progress=sys.stderr.isatty() or args.progress,
    )
    return BarFixes(data_dir()).apply(songmap)


def song_drums(args: argparse.Namespace) -> DrumAnalysis:
    from onebeat.analysis import analyze_drums

    return analyze_drums(
        args.song, use_cache=not args.no_cache, progress=sys.stderr.isatty() or args.progress
    )


def read_chart(args: argparse.Namespace) -> tuple[Chart, Path | None, str]:
    """The chart of a song folder (at ``--difficulty``) or of a General MIDI drum file,
    with the song's audio (if known) and a few words saying what it is."""
    from onebeat.chart.clonehero import Difficulty, read_song_folder
    from onebeat.chart.midi import read_midi

    if args.song.is_dir():  # a Clone Hero / YARG / Rock Band song folder
        chart, audio_path = read_song_folder(
            args.song, difficulty=Difficulty[args.difficulty.upper()]
        )
        return chart, audio_path, f"{args.difficulty} chart from the song folder"
    return read_midi(args.song), args.audio, "chart from the MIDI file"


def load_chart(args: argparse.Namespace) -> tuple[Chart, Path | None, str]:
    """The chart to play: read from a chart file, or written for an audio file at
    ``--level`` (its drums transcribed for levels 4-5)."""
    from onebeat.chart import LEVEL_NAMES, generate_chart

    if args.song.is_dir() or args.song.suffix.lower() in (".mid", ".midi"):
        return read_chart(args)
    sm = analyze_song(args, args.song)
    drums = song_drums(args) if args.level >= 4 else None
    chart = generate_chart(sm, level=args.level, title=args.song.stem, drums=drums)
    return chart, args.song, f"level {args.level} ({LEVEL_NAMES[args.level]})"


def piece_counts(chart: Chart) -> str:
    """ "kick 12, snare 8, …": how many notes each piece has."""
    counts: dict[str, int] = {}
    for n in chart.notes:
        counts[n.piece.value] = counts.get(n.piece.value, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def write_midi_file(chart: Chart, path: Path) -> None:
    from onebeat.chart import write_midi

    write_midi(chart, path)
    print(f"  saved    {path} (General MIDI drums, channel 10, the song's tempo map)")


def write_tab_file(chart: Chart, path: Path) -> None:
    """The chart's tab to a file, or printed for ``-``."""
    from onebeat._io import atomic_write_text
    from onebeat.chart import chart_to_tab

    text = chart_to_tab(chart)
    if str(path) == "-":
        print(text)
    else:
        atomic_write_text(path, text + "\n")
        print(f"  saved    {path}")


def session_store(args: argparse.Namespace) -> SessionStore:
    from onebeat.session import SessionStore

    return SessionStore(args.db)


def kit_profile(path: Path | None) -> KitProfile | None:
    from onebeat.hearing import KitProfile

    return None if path is None else KitProfile.read(path)


def format_stats(name: str, st: Mapping[str, float | int]) -> str:
    from onebeat.insight.stats import signed_ms
    from onebeat.kit import lean

    timing = float(st["mean_offset_ms"])
    hit = int(st["perfect"]) + int(st["great"]) + int(st["good"])
    said = (
        f"timing {signed_ms(timing, 1)} ms ({lean(timing)}), "
        f"spread ± {float(st['sd_offset_ms']):.1f} ms"
        if hit
        else "timing – (no notes hit)"
    )
    return (
        f"  {name}: accuracy {100 * float(st['accuracy']):.1f} %, "
        f"perfect {st['perfect']}, great {st['great']}, good {st['good']}, "
        f"miss {st['miss']} of {st['notes']} notes; extra {st['extra']}, "
        f"wrong pad {st['wrong_pad']}\n"
        f"    {said}; best streak {st['best_streak']}"
    )


def db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, help="session database (default: in the data folder)")


def web_options(p: argparse.ArgumentParser) -> None:
    """The web app's options, for ``play`` and for ``learn`` (which opens it)."""
    p.add_argument("--port", type=int, default=8765, help="the web app's port (default 8765)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--lan", action="store_true", help="let phones on the local network join")
    p.add_argument(
        "--backend", choices=sorted(BACKENDS), default=DEFAULT_BACKEND, help="beat tracker"
    )
    p.add_argument(
        "--kit-profile",
        type=Path,
        metavar="FILE",
        help="players on a microphone: their kit's profile from 'onebeat kit' "
        "(default: onebeat's own)",
    )


def analysis_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=sorted(BACKENDS),
        default=DEFAULT_BACKEND,
        help=f"beat tracker (default: {DEFAULT_BACKEND}; its model is "
        "CC BY-NC-SA 4.0, non-commercial; 'librosa' has no model)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="analyse again even if this audio was analysed before",
    )
    p.add_argument(
        "--progress",
        action="store_true",
        help="show the progress bar even when stderr is not a terminal",
    )


def chart_options(p: argparse.ArgumentParser) -> None:
    """Which chart of a song: the level written for audio, the difficulty read from
    a song folder."""
    p.add_argument(
        "--level",
        type=int,
        choices=LEVELS,
        default=2,
        help="level of the chart written for an audio file (default: 2)",
    )
    p.add_argument(
        "--difficulty",
        choices=["easy", "medium", "hard", "expert"],
        default="expert",
        help="difficulty to read from a song folder",
    )
