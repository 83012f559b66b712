"""``onebeat score``: score a recorded take against a song's chart."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from onebeat.cli.common import (
    LICENCE_NOTE,
    analysis_options,
    chart_options,
    db_option,
    format_stats,
    kit_profile,
    load_chart,
    session_store,
)

if TYPE_CHECKING:
    from onebeat.engine import Hit
    from onebeat.kit import DrumPiece

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``score`` command's arguments."""
    from onebeat.engine import PRESETS
    from onebeat.inputs import KIT_MAPS

    p = sub.add_parser(
        "score",
        epilog=LICENCE_NOTE,
        help="score a recorded take (e-kit MIDI, tapped times, or a recording of the kit) "
        "against a song's chart",
        description="Judge a recorded performance against the chart of a song and save "
        "the session. A MIDI or CSV take's time 0 is the start of the song; a recording "
        "is placed by hearing the song in it (or by --take-start).",
    )
    p.add_argument(
        "song",
        type=Path,
        metavar="SONG_OR_CHART",
        help="audio file (charted at --level), Clone Hero / YARG song folder, or "
        "General MIDI drum file",
    )
    p.add_argument(
        "--take",
        type=Path,
        required=True,
        help="the performance: a MIDI file recorded from an e-kit (one track per player), "
        "a CSV of 'time[,pad[,velocity[,player]]]' lines, or a recording of the kit "
        "(wav, mp3, m4a, ...; the song may be heard in it: it is found and taken out)",
    )
    p.add_argument(
        "--take-start",
        type=float,
        metavar="S",
        help="a recorded take: song time of its first sample [s] (default: found by "
        "hearing the song in it, else 0)",
    )
    p.add_argument(
        "--kit-profile",
        type=Path,
        metavar="FILE",
        help="a recorded take: the kit's profile from 'onebeat kit' (default: onebeat's own)",
    )
    chart_options(p)
    p.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    p.add_argument(
        "--player",
        action="append",
        metavar="NAME",
        help="the player's name (repeat: one per MIDI track)",
    )
    p.add_argument(
        "--kit",
        default="gm",
        choices=list(KIT_MAPS),
        help="how the e-kit's notes map to pads (default: gm)",
    )
    p.add_argument(
        "--windows",
        default="default",
        choices=list(PRESETS),
        help="hit windows: strict ±34/67/84 ms, default ±40/75/110, beginner ±40/90/150",
    )
    p.add_argument(
        "--offset-ms",
        type=float,
        default=0.0,
        help="latency of the recording: how late its hits are [ms] (from a calibration)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-save", action="store_true", help="do not save the session")
    db_option(p)
    analysis_options(p)
    p.set_defaults(func=run)


def _hear_take(
    args: argparse.Namespace, song_path: Path | None, part: Iterable[DrumPiece]
) -> tuple[list[Hit], str]:
    """The hits of a recorded take's audio (its strokes named among the pieces of the
    ``part`` and the kick, snare and hi-hats), and a line on where the song was heard."""
    from onebeat.audio.decode import load_audio
    from onebeat.errors import InputError
    from onebeat.inputs.microphone import hear_recording

    sr = 44100
    take = load_audio(args.take, sr=sr).y
    song = load_audio(song_path, sr=sr).y if song_path is not None else None
    player = (args.player or ["player 1"])[0]
    hits, start, heard = hear_recording(
        y=take,
        sr=sr,
        player=player,
        song=song,
        start_s=args.take_start,
        profile=kit_profile(args.kit_profile),
        part=part,
    )
    if not hits:
        raise InputError(f"{args.take}: no drum strokes heard in the recording")
    strokes = len({h.time for h in hits})
    if heard and args.take_start is None:
        where = f"the song found in the recording (it starts {-start:+.3f} s into it)"
    elif heard:
        where = "the song taken out, placed by --take-start"
    else:
        where = "the song not heard in it: its time 0 taken as the song's start"
    return hits, f"{strokes} strokes; {where}"


def run(args: argparse.Namespace) -> int:
    import json

    from onebeat.audio.decode import file_sha256
    from onebeat.engine import PRESETS, JudgeSettings
    from onebeat.inputs import read_take
    from onebeat.inputs.takes import TAKE_SUFFIXES
    from onebeat.session import PlayerInfo, Recorder, Session, SongRef

    heard_note = ""
    if args.take.suffix.lower() in TAKE_SUFFIXES:  # read first: a bad take is said at once
        hits = read_take(args.take, players=args.player or (), kit=args.kit)
        kind = "midi" if args.take.suffix.lower() in (".mid", ".midi") else "file"
    chart, audio_path, what = load_chart(args)
    if args.take.suffix.lower() not in TAKE_SUFFIXES:
        # a recording of the kit (a phone video's sound): heard as a microphone would
        hits, heard_note = _hear_take(args, audio_path, chart.pieces)
        kind = "microphone"
    taps = all(h.piece is None for h in hits)
    settings = JudgeSettings(windows=PRESETS[args.windows], any_pad=True if taps else None)
    names = list(dict.fromkeys(h.player for h in hits))
    session = Session(
        chart=chart,
        settings=settings,
        players=[PlayerInfo(n, kind, args.offset_ms, args.take.name) for n in names],
        song=SongRef(
            chart.title or args.song.stem,
            str(args.song.resolve()),
            file_sha256(args.song) if args.song.is_file() else "",
        ),
    )
    store = None if args.no_save else session_store(args)
    try:
        recorder = Recorder(session, store)
        recorder.hits(hits)
        recorder.finish()
    finally:
        if store is not None:
            store.close()
    if args.json:
        out = {
            "session": None if store is None else session.id,
            "song": session.song.title,
            "chart": {"level": chart.level, "notes": len(chart.notes), "any_pad": taps},
            "players": session.summary,
        }
        print(json.dumps(out, indent=2))
        return 0
    print(f"{args.take.name} on {args.song.name}: {what}, {len(chart.notes)} notes")
    if heard_note:
        print(f"  heard    {heard_note}")
    if taps:
        print("  taps without pads: any pad counts for every note")
    for name, st in session.summary.items():
        print(format_stats(name, st))
    if store is not None:
        print(f"  saved    session {session.id[:8]} ({store.path})")
    return 0
