"""``onebeat export``: write a saved session as JSON, MIDI, audio or video."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from onebeat.cli.common import SESSION_HELP, db_option, session_store
from onebeat.errors import OnebeatError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``export`` command's arguments."""
    p = sub.add_parser(
        "export", help="write a saved session as JSON, MIDI, audio (the jam) or video"
    )
    p.add_argument("session", help=SESSION_HELP)
    p.add_argument("--json", type=Path, metavar="FILE", help="the whole session as JSON")
    p.add_argument(
        "--midi", type=Path, metavar="FILE", help="the chart and one track per player, MIDI"
    )
    p.add_argument(
        "--audio",
        type=Path,
        metavar="FILE",
        help="the song with each player's hits as drums, player 1 left, 2 right (.wav/.flac/.ogg)",
    )
    p.add_argument(
        "--video", type=Path, metavar="FILE", help="the note highway with both players' hits (.mp4)"
    )
    p.add_argument(
        "--song", type=Path, metavar="AUDIO", help="the song's audio, if it has moved since"
    )
    from onebeat.analysis.drumless import DRUM_LEVELS

    p.add_argument(
        "--song-drums",
        choices=list(DRUM_LEVELS),
        default="full",
        help="the song's own drums in --audio and --video: all (default), a quiet guide, or "
        "none, so the jam sounds like the players (onebeat drumless)",
    )
    db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from onebeat.session import write_session_json, write_session_midi

    if not (args.json or args.midi or args.audio or args.video):
        raise OnebeatError(
            "export: say what to write (--json FILE, --midi FILE, --audio FILE, --video FILE)"
        )
    with session_store(args) as store:
        session = store.load(args.session)
    if args.json:
        write_session_json(session, args.json)
        print(f"  saved    {args.json} (the whole session, JSON)")
    if args.midi:
        write_session_midi(session, args.midi)
        print(f"  saved    {args.midi} (the chart and one track per player, MIDI)")
    if args.audio or args.video:
        from tqdm import tqdm

        from onebeat.insight.media import write_take_audio, write_take_video

        if args.audio:
            t0 = time.perf_counter()
            length = write_take_audio(
                session, args.audio, song=args.song, song_drums=args.song_drums
            )
            took = time.perf_counter() - t0
            print(
                f"  saved    {args.audio} (the song and the hits, {length:.0f} s; "
                f"{length / took:.0f}x real time)"
            )
        if args.video:
            bar = tqdm(total=100, desc="video", unit="%", disable=None, leave=False)

            def step(done: float) -> None:
                bar.update(round(100 * done) - bar.n)

            length = write_take_video(
                session, args.video, song=args.song, song_drums=args.song_drums, progress=step
            )
            bar.close()
            print(f"  saved    {args.video} (the note highway with the hits, {length:.0f} s, MP4)")
    return 0
