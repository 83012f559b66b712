"""``onebeat``: the command line.

Each subcommand is a thin front end over the library; every :class:`OnebeatError`
ends the program with its one-line message and exit code 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from onebeat import __version__
from onebeat.errors import OnebeatError

if TYPE_CHECKING:
    from onebeat.analysis.drums import DrumAnalysis
    from onebeat.analysis.songmap import SongMap
    from onebeat.chart.clonehero import Difficulty
    from onebeat.chart.model import Chart

__all__ = ["format_summary", "main"]

LICENCE_NOTE = (
    "The default backend, madmom, uses neural-network weights licensed CC BY-NC-SA 4.0 "
    "(non-commercial use only); --backend librosa uses no model (ISC)."
)
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
        f"  meter    {sm.time_signature}  (confidence {sm.meter_confidence:.2f})",
        f"  beats    {len(sm.beats)} in {n_bars} bars, first {sm.first_beat:.2f} s, "
        f"last {sm.last_beat:.2f} s",
        f"  clarity  mean beat confidence {conf:.2f}" + (f"; {weak} weak beats" if weak else ""),
        f"  backend  {a['backend']} ({a.get('licence', '')}), {a.get('seconds', 0):.1f} s",
    ]
    return "\n".join(lines)


def _analyze(args: argparse.Namespace, song: Path) -> SongMap:
    """Analyse with the shared options; the progress bar shows on a terminal."""
    from onebeat.analysis import analyze

    return analyze(
        song,
        backend=args.backend,
        use_cache=not args.no_cache,
        progress=sys.stderr.isatty() or args.progress,
    )


def _cmd_analyze(args: argparse.Namespace) -> int:
    from onebeat._io import atomic_write_text

    sm = _analyze(args, args.song)
    if args.output:
        sm.save(args.output)
    if args.json:
        sys.stdout.write(sm.to_json())
    else:
        print(format_summary(sm))
        if args.output:
            print(f"  saved    {args.output}")
    if args.beats:
        atomic_write_text(
            args.beats,
            "".join(f"{t:.4f}\t{p}\n" for t, p in zip(sm.beats, sm.beat_positions, strict=True)),
        )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from onebeat.analysis import evaluate
    from onebeat.demo import demo_song_path, demo_truth

    song = demo_song_path()
    sm = _analyze(args, song)
    print(format_summary(sm))
    truth = demo_truth()
    scores = evaluate(
        reference_beats=np.asarray(truth["beats"]),
        estimated_beats=sm.beats,
        reference_downbeats=np.asarray(truth["downbeats"]),
        estimated_downbeats=sm.downbeats,
        estimated_tempo_bpm=sm.tempo_bpm,
    )
    print(
        f"  vs truth beat F {scores['beat_f']:.3f}, downbeat F {scores['downbeat_f']:.3f}, "
        f"tempo {truth['tempo_bpm']:.1f} BPM (Acc1 {scores['acc1']:.0f})"
    )
    print(f"  song     {song}")
    return 0


def _song_folder_charts(
    sm: SongMap, drums: DrumAnalysis | None, title: str
) -> dict[Difficulty, Chart]:
    """The four difficulties of a song folder. From the song's drums: Expert is level 5,
    Hard level 4, and Medium and Easy are level 4 reduced by the Rock Band rules. From
    the beat grid alone (levels 1–3): Easy is level 2 (no gem with a kick), the rest 3."""
    from onebeat.chart import generate_chart, reduce_chart
    from onebeat.chart.clonehero import Difficulty

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


def _cmd_chart(args: argparse.Namespace) -> int:
    from onebeat._io import atomic_write_text
    from onebeat.analysis import analyze_drums
    from onebeat.chart import (
        LEVEL_NAMES,
        chart_to_tab,
        generate_chart,
        lint_chart,
        reduce_chart,
        write_midi,
    )
    from onebeat.chart.clonehero import Difficulty, read_song_folder, write_song_folder
    from onebeat.chart.midi import read_midi
    from onebeat.errors import ChartError

    duration: float | None = None
    if args.song.is_dir():  # a Clone Hero / YARG / Rock Band song folder
        chart, audio_path = read_song_folder(
            args.song, difficulty=Difficulty[args.difficulty.upper()]
        )
        what = f"{args.difficulty} chart from the song folder"
        difficulty = args.difficulty
    elif args.song.suffix.lower() in (".mid", ".midi"):  # a General MIDI drum part
        chart = read_midi(args.song)
        audio_path = args.audio
        what = "chart from the MIDI file"
        difficulty = None
        if args.clonehero:
            if audio_path is None:
                raise ChartError(f"{args.song}: a song folder needs the song's audio (--audio)")
            folder = {d: reduce_chart(chart, d.name.lower()) for d in Difficulty}
            write_song_folder(folder, audio_path, args.clonehero, title=chart.title)
    else:
        sm = _analyze(args, args.song)
        audio_path = args.song
        drums = None
        if args.level >= 4 or (args.clonehero and not args.grid_only):
            drums = analyze_drums(
                args.song,
                use_cache=not args.no_cache,
                progress=sys.stderr.isatty() or args.progress,
            )
            duration = drums.duration_s
        chart = generate_chart(sm, level=args.level, title=args.song.stem, drums=drums)
        what = f"level {args.level} ({LEVEL_NAMES[args.level]})"
        difficulty = None
        if args.clonehero:
            charts = _song_folder_charts(sm, drums, args.song.stem)
            write_song_folder(charts, args.song, args.clonehero, title=args.song.stem)
    counts: dict[str, int] = {}
    for n in chart.notes:
        counts[n.piece.value] = counts.get(n.piece.value, 0) + 1
    print(
        f"{args.song.name}: {what}, {len(chart.notes)} notes: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    if args.clonehero and not args.song.is_dir():
        print(f"  saved    {args.clonehero}/ (Clone Hero / YARG song folder)")
    findings = lint_chart(chart, difficulty=difficulty, duration_s=duration)
    errors = sum(1 for f in findings if f.error)
    print(f"  lint     {errors} errors, {len(findings) - errors} warnings")
    if args.lint:
        for f in findings:
            print(f"    {f}")
    if args.midi:
        write_midi(chart, args.midi)
        print(f"  saved    {args.midi} (General MIDI drums, channel 10, the song's tempo map)")
    if args.render:
        _render(chart, audio_path, args.render)
    if args.tab:
        text = chart_to_tab(chart)
        if str(args.tab) == "-":
            print(text)
        else:
            atomic_write_text(args.tab, text + "\n")
            print(f"  saved    {args.tab}")
    return 0


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


def _cmd_backends(args: argparse.Namespace) -> int:
    from onebeat.analysis import BACKENDS, DEFAULT_BACKEND

    for name, info in BACKENDS.items():
        mark = " (default)" if name == DEFAULT_BACKEND else ""
        print(
            f"{name}{mark}: {info.description}\n    licence: {info.licence}; "
            f"package: {info.requires}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    from onebeat.analysis import BACKENDS, DEFAULT_BACKEND

    parser = argparse.ArgumentParser(
        prog="onebeat",
        description="Play drums along to real songs, alone or as a pair.",
        epilog=LICENCE_NOTE,
    )
    parser.add_argument("--version", action="version", version=f"onebeat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = sub.add_parser(
        "analyze",
        aliases=["analyse"],
        epilog=LICENCE_NOTE,
        help="find beats, downbeats, meter and tempo curve of a song",
        description="Analyse a song (wav, flac, ogg, opus, mp3, m4a) and "
        "print its SongMap summary.",
    )
    p.add_argument("song", type=Path, help="audio file")
    p.add_argument("-o", "--output", type=Path, help="write the SongMap JSON here")
    p.add_argument("--json", action="store_true", help="print the SongMap JSON to stdout")
    p.add_argument(
        "--beats", type=Path, help="also write beats as 'time<TAB>position' lines (madmom .beats)"
    )
    analysis_options(p)
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser(
        "demo", epilog=LICENCE_NOTE, help="analyse the bundled demo song and compare with its truth"
    )
    analysis_options(p)
    p.set_defaults(func=_cmd_demo)

    from onebeat.chart import LEVEL_NAMES, LEVELS

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
    p.add_argument(
        "--level", type=int, choices=LEVELS, default=2, help="difficulty level (default: 2)"
    )
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
    p.add_argument(
        "--difficulty",
        choices=["easy", "medium", "hard", "expert"],
        default="expert",
        help="difficulty to read from a song folder",
    )
    analysis_options(p)
    p.set_defaults(func=_cmd_chart)

    p = sub.add_parser("backends", help="list the beat-tracking backends and their licences")
    p.set_defaults(func=_cmd_backends)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``onebeat`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except OnebeatError as exc:
        print(f"onebeat: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("onebeat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `onebeat ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
