"""``onebeat learn``: a lesson on a song, in the browser or this terminal."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from onebeat.cli.common import LICENCE_NOTE, db_option, kit_profile, session_store, web_options
from onebeat.cli.play import run as run_play
from onebeat.errors import OnebeatError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``learn`` command's arguments."""
    p = sub.add_parser(
        "learn",
        epilog=LICENCE_NOTE,
        help="a lesson on a song: the groove in layers, coached pass by pass",
        description="Learn to play a song's groove: the pulse, the hi-hat, the kick, the "
        "snare backbeat, the whole groove, then the song's own. Each step loops a few bars, "
        "slower at first and at the same pitch; after each pass the coach speeds up, slows "
        "down, goes back a layer or moves on, and says what to fix. Where each player is "
        "is kept for the next lesson on the song. Opens in the browser; --keyboard plays it "
        "in this terminal.",
    )
    p.add_argument("song", type=Path, help="the song (wav, flac, ogg, opus, mp3, m4a)")
    p.add_argument("--keyboard", action="store_true", help="in this terminal, with a text highway")
    p.add_argument("--player", default="you", help="your name (default 'you')")
    p.add_argument(
        "--with", dest="partner", metavar="NAME", help="a second player, on the other half"
    )
    p.add_argument(
        "--played",
        action="append",
        metavar="NAME",
        help="this player has played drums before: start with a pass of the whole groove",
    )
    p.add_argument("--restart", action="store_true", help="start the lesson from the first step")
    p.add_argument(
        "--windows",
        choices=["beginner", "default", "strict"],
        default="default",
        help="hit windows (default: default)",
    )
    p.add_argument(
        "--offset-ms",
        type=float,
        default=0.0,
        help="this keyboard's latency [ms] (a calibration in the web app measures it)",
    )
    p.add_argument("--passes", type=int, help="stop after this many passes")
    p.add_argument("--silent", action="store_true", help="no sound, even with a sound card")
    p.add_argument(
        "--click", action="store_true", help="a click on every beat, not only the count-in"
    )
    web_options(p)
    db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.keyboard:  # the web app, opened on the lesson
        args.learn = True
        return run_play(args)
    from onebeat.cli.terminal import TerminalKeys, open_playback, run_lesson
    from onebeat.library import Library
    from onebeat.play.lesson import LessonRoom
    from onebeat.play.protocol import LearnMsg, PlayerSpec
    from onebeat.session import data_dir

    if not args.song.is_file():
        raise OnebeatError(f"{args.song}: no such file")
    if not sys.stdin.isatty():
        raise OnebeatError(
            "learn --keyboard: reads keys from a terminal, and stdin is not one "
            "(without --keyboard the lesson opens in the browser)"
        )
    names = [args.player, *([args.partner] if args.partner else [])]
    if len(set(names)) != len(names):
        raise OnebeatError(f"learn: the two players need two names, not {names[0]!r} twice")
    library = Library(data_dir(), backend=args.backend, kit_profile=kit_profile(args.kit_profile))
    try:
        entry = library.add_path(args.song)
        while entry.status not in ("ready", "failed"):
            print(
                f"\r{entry.title}: {entry.step or 'analysing'} {100 * entry.progress:3.0f} %",
                end="",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(0.2)
        print(file=sys.stderr)
        if entry.status == "failed":
            raise OnebeatError(entry.error)
        learn = LearnMsg(
            type="learn",
            song=entry.id,
            players=[
                PlayerSpec(name=n, offset_ms=args.offset_ms, experienced=n in (args.played or ()))
                for n in names
            ],
            windows=args.windows,
            restart=args.restart,
        )
        playback = open_playback(silent=args.silent)
        with session_store(args) as store:
            room = LessonRoom(library, store)
            keys = TerminalKeys()
            with keys.raw():
                coached = run_lesson(
                    room,
                    learn,
                    title=entry.title,
                    audio=lambda speed: str(library.audio(entry.id, speed)),
                    playback=playback,
                    keys=keys,
                    out=sys.stdout,
                    max_passes=args.passes,
                    click=args.click,
                )
    finally:
        library.close()
    played = [c for c in coached if not c.get("stopped")]
    print(
        f"{len(played)} pass{'' if len(played) == 1 else 'es'} played; the next lesson on "
        "this song starts where you are."
    )
    return 0
