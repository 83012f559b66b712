"""``onebeat kit``: learn an acoustic kit from a recording of each drum struck 8 times."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``kit`` command's arguments."""
    p = sub.add_parser(
        "kit",
        help="learn an acoustic kit from a recording of each drum struck 8 times",
        description="Teach onebeat how your kit sounds to your microphone: record each "
        "drum struck 8 times, in the order of --pieces, with a pause between drums.",
    )
    p.add_argument("recording", type=Path, help="the recording (wav, m4a, mp3, ...)")
    p.add_argument("-o", "--out", type=Path, required=True, help="the profile to write (JSON)")
    p.add_argument(
        "--pieces",
        default="kick,snare,hihat_closed",
        help="the drums in the order struck (default: kick,snare,hihat_closed; also "
        "hihat_open, tom_high, tom_mid, tom_floor, crash, ride)",
    )
    p.add_argument("--per", type=int, default=8, help="strokes per drum (default 8)")
    p.add_argument("--name", default="my kit", help="the kit's name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from onebeat._io import atomic_write_text
    from onebeat.audio.decode import load_audio
    from onebeat.hearing import learn_kit
    from onebeat.kit import DrumPiece

    sr = 44100
    y = load_audio(args.recording, sr=sr).y
    pieces = [DrumPiece(p) for p in args.pieces.split(",")]
    profile = learn_kit(y=y, sr=sr, pieces=pieces, per_piece=args.per, name=args.name)
    atomic_write_text(args.out, json.dumps(profile.to_json(), separators=(",", ":")) + "\n")
    counts = {p: profile.labels.count(p) for p in pieces}
    print(f"{args.recording.name}: " + ", ".join(f"{p} {n}" for p, n in counts.items()))
    print(f"  saved    {args.out} (use it with --kit-profile)")
    return 0
