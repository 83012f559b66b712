"""``onebeat drumless``: a song without its drums (or with them down), to play them yourself."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from onebeat.errors import OnebeatError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``drumless`` command's arguments."""
    from onebeat.analysis.drumless import DRUM_LEVELS

    p = sub.add_parser(
        "drumless",
        help="write a song without its drums (or with them down), to play them yourself",
        description="Take a song's drums out, guided by where its drums were heard, so that "
        "you play the drum part over the rest of the band. Made once per song and cached.",
    )
    p.add_argument(
        "song",
        type=Path,
        help="audio file, or a Clone Hero / YARG song folder (its drum stems are left out, "
        "no separation needed)",
    )
    p.add_argument(
        "-o", "--out", type=Path, required=True, help="the song without its drums (.wav/.flac/.ogg)"
    )
    p.add_argument("--drums-only", type=Path, metavar="OUT", help="also the drums alone here")
    p.add_argument(
        "--level",
        choices=list(DRUM_LEVELS),
        default="off",
        help="the song's drums in --out: off (default), a quiet guide, or full",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="separate again even if this song was before"
    )
    p.set_defaults(func=run)


def _split(song: Path, *, use_cache: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """(rest, drums, sr) of an audio file (separated) or a song folder (its stems)."""
    from onebeat.analysis.drumless import SEP_SR, separate

    if not song.is_dir():
        return separate(song, use_cache=use_cache)
    from onebeat.audio.decode import load_audio
    from onebeat.chart.clonehero import (
        DRUM_STEMS,
        folder_audio,
        folder_stems,
        has_drum_stems,
        mix_stems,
    )

    if has_drum_stems(song):  # the game's own stems: nothing to separate
        stems = folder_stems(song)
        parts = [
            np.atleast_2d(load_audio(mix_stems(paths), sr=SEP_SR, mono=False).y)
            for paths in (
                [p for n, p in stems.items() if n not in DRUM_STEMS],
                [p for n, p in stems.items() if n in DRUM_STEMS],
            )
        ]
        n = max(x.shape[1] for x in parts)
        rest, drums = (np.pad(x, ((0, 0), (0, n - x.shape[1]))) for x in parts)
        return rest, drums, SEP_SR
    audio = folder_audio(song)
    if audio is None:
        raise OnebeatError(f"{song}: no song audio in this folder")
    return separate(audio, use_cache=use_cache)


def run(args: argparse.Namespace) -> int:
    from onebeat.analysis.drumless import drum_level
    from onebeat.audio.encode import AUDIO_FORMATS, write_audio

    for out in (args.out, args.drums_only):
        if out is not None and out.suffix.lower() not in AUDIO_FORMATS:
            raise OnebeatError(f"{out}: drumless writes {', '.join(AUDIO_FORMATS)}")
    gain = drum_level(args.level)
    t0 = time.perf_counter()
    rest, drums, sr = _split(args.song, use_cache=not args.no_cache)
    took = time.perf_counter() - t0
    write_audio(args.out, np.clip(rest + gain * drums, -1.0, 1.0), sr)
    what = "without its drums" if gain == 0 else f"with its drums at {args.level}"
    length = rest.shape[-1] / sr
    print(f"  saved    {args.out} ({args.song.name} {what}, {length:.0f} s)", file=sys.stdout)
    if args.drums_only:
        write_audio(args.drums_only, np.clip(drums, -1.0, 1.0), sr)
        print(f"  saved    {args.drums_only} (its drums alone)")
    print(f"  took     {took:.1f} s ({took / max(length, 1e-9):.2f} s per second of audio)")
    return 0
