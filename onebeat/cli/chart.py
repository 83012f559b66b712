"""``onebeat chart``: write a drum chart at a level (or read a song folder's)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from onebeat.cli.common import (
    LICENCE_NOTE,
    analysis_options,
    analyze_song,
    chart_options,
    piece_counts,
    read_chart,
    song_drums,
    write_midi_file,
    write_tab_file,
)

if TYPE_CHECKING:
    from onebeat.chart.model import Chart

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``chart`` command's arguments."""
    from onebeat.chart import LEVEL_NAMES

    p = sub.add_parser(
        "chart",
        epilog=LICENCE_NOTE,
        help="write a drum chart at a level",
        description="Write a drum part for a song from its SongMap. Levels: "
        + "; ".join(f"{k} = {v}" for k, v in LEVEL_NAMES.items())
        + ".",
    )
    p.add_argument(
        "song",
        type=Path,
        help="audio file; or a Clone Hero / YARG song folder, or a General MIDI drum file, "
        "to read their chart",
    )
    p.add_argument(
        "--audio", type=Path, help="the song's audio, for a MIDI drum file (--render, --clonehero)"
    )
    chart_options(p)
    p.add_argument(
        "--render",
        type=Path,
        metavar="WAV",
        help="write the song with the chart played over it by a synthesised kit",
    )
    p.add_argument("--lint", action="store_true", help="list the linter's findings")
    p.add_argument(
        "--grid-only",
        action="store_true",
        help="with --clonehero and levels 1-3: skip the drum transcription "
        "(the song folder gets levels 2 and 3)",
    )
    p.add_argument("--midi", type=Path, help="write a General MIDI drum file here")
    p.add_argument("--tab", type=Path, help="write a text drum tab here ('-': print it)")
    p.add_argument(
        "--clonehero",
        type=Path,
        metavar="DIR",
        help="write a Clone Hero / YARG song folder (notes.mid, song.ini, song.ogg)",
    )
    analysis_options(p)
    p.set_defaults(func=run)


def _heard_line(chart: Chart) -> str | None:
    """How much of a chart from the song's drums was heard, in a line (None: not such)."""
    if chart.heard_share is None:
        return None
    counts = {s: chart.bar_sources.count(s) for s in ("heard", "pattern", "groove")}
    return (
        f"{chart.heard}; bars filled in: {counts['pattern']} from the song's own patterns, "
        f"{counts['groove']} with the level-3 groove"
    )


def _render(chart: Chart, audio_path: Path | None, out: Path) -> None:
    """Write the song with the chart played over it by a synthesised kit."""
    import soundfile as sf

    from onebeat._io import atomic_path
    from onebeat.audio import load_audio
    from onebeat.audio.drumsynth import mix_hits
    from onebeat.errors import ChartError

    if audio_path is None:
        raise ChartError(f"{out}: no song audio to render the chart over (give --audio)")
    audio = load_audio(audio_path, mono=False)
    hits = [(n.time, n.piece, n.velocity) for n in chart.notes]
    mixed = mix_hits(audio.y, audio.sr, hits)
    with atomic_path(out) as tmp:
        sf.write(tmp, mixed.T, audio.sr, format="WAV", subtype="PCM_16")
    print(f"  saved    {out} (the song with the chart played over it)")


def run(args: argparse.Namespace) -> int:
    from onebeat.chart import (
        LEVEL_NAMES,
        generate_chart,
        lint_chart,
        reduce_chart,
    )
    from onebeat.chart.clonehero import Difficulty, song_folder_charts, write_song_folder
    from onebeat.errors import ChartError

    duration: float | None = None
    if args.song.is_dir() or args.song.suffix.lower() in (".mid", ".midi"):
        chart, audio_path, what = read_chart(args)
        difficulty = args.difficulty if args.song.is_dir() else None
        if args.clonehero and not args.song.is_dir():
            if audio_path is None:
                raise ChartError(f"{args.song}: a song folder needs the song's audio (--audio)")
            folder = {d: reduce_chart(chart, d.name.lower()) for d in Difficulty}
            write_song_folder(folder, audio_path, args.clonehero, title=chart.title)
    else:
        sm = analyze_song(args, args.song)
        audio_path = args.song
        drums = None
        if args.level >= 4 or (args.clonehero and not args.grid_only):
            drums = song_drums(args)
            duration = drums.duration_s
        chart = generate_chart(sm, level=args.level, title=args.song.stem, drums=drums)
        what = f"level {args.level} ({LEVEL_NAMES[args.level]})"
        difficulty = None
        if args.clonehero:
            charts = song_folder_charts(sm, drums, args.song.stem)
            write_song_folder(charts, args.song, args.clonehero, title=args.song.stem)
    print(f"{args.song.name}: {what}, {len(chart.notes)} notes: {piece_counts(chart)}")
    heard = _heard_line(chart)
    if heard:
        print(f"  heard    {heard}")
    if args.clonehero and not args.song.is_dir():
        print(f"  saved    {args.clonehero}/ (Clone Hero / YARG song folder)")
    findings = lint_chart(chart, difficulty=difficulty, duration_s=duration)
    errors = sum(1 for f in findings if f.error)
    print(f"  lint     {errors} errors, {len(findings) - errors} warnings")
    if args.lint:
        for f in findings:
            print(f"    {f}")
    if args.midi:
        write_midi_file(chart, args.midi)
    if args.render:
        _render(chart, audio_path, args.render)
    if args.tab:
        write_tab_file(chart, args.tab)
    return 0
