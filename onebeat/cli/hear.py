"""``onebeat hear``: the strokes in a recording of a kit, exactly as the live microphone
path hears them (streamed block by block, as in a take), so a drummer can check their
set-up and a bench can measure the live path."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from onebeat.cli.common import kit_profile

if TYPE_CHECKING:
    import mido

    from onebeat.hearing import HeardHit
    from onebeat.kit import DrumPiece

__all__ = ["add_parser", "hits_to_midi", "run"]

#: The rate the recording is heard at: a browser's microphone streams at 48 kHz.
HEAR_SR = 48000
#: Samples per block fed to the listener: a browser's AudioWorklet hands over 128.
HEAR_BLOCK = 128


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``hear`` command's arguments."""
    from onebeat.kit import DrumPiece

    p = sub.add_parser(
        "hear",
        help="the strokes in a recording of your kit, as the live microphone hears them",
        description="Hear a recording of an acoustic kit (no song in it, or the song in "
        "headphones) exactly as a take's microphone does: block by block, each stroke "
        "named among the kit's pieces. Prints what it heard; writes it as General MIDI "
        "drums or JSON.",
    )
    p.add_argument("recording", type=Path, help="audio file of the kit")
    p.add_argument(
        "--kit-profile",
        type=Path,
        metavar="FILE",
        help="your kit's profile from 'onebeat kit' (default: onebeat's own)",
    )
    p.add_argument(
        "--pieces",
        metavar="LIST",
        help="name strokes among these pieces only (and kick, snare, hi-hats), as a take "
        f"does for its chart; comma-separated from: {', '.join(p.value for p in DrumPiece)}",
    )
    p.add_argument("--midi", type=Path, help="write the strokes as General MIDI drums here")
    p.add_argument("--json", action="store_true", help="print the strokes as JSON")
    p.set_defaults(func=run)


def _pieces(text: str | None) -> list[DrumPiece] | None:
    from onebeat.errors import InputError
    from onebeat.kit import DrumPiece

    if text is None:
        return None
    out = []
    for name in (t.strip() for t in text.split(",") if t.strip()):
        try:
            out.append(DrumPiece(name))
        except ValueError:
            known = ", ".join(p.value for p in DrumPiece)
            raise InputError(f"--pieces: no piece {name[:32]!r}; known: {known}") from None
    if not out:
        raise InputError("--pieces: name at least one piece")
    return out


def hits_to_midi(heard: list[HeardHit]) -> mido.MidiFile:
    """The strokes as a General MIDI drum file at 120 BPM (so a beat is half a second)."""
    import mido

    from onebeat.chart.midi import PPQ, note_track
    from onebeat.kit import GM_NOTES

    events: list[tuple[int, int, int, int]] = []
    for h in heard:
        tick = max(0, round(h.time * 2 * PPQ))
        for piece in h.pieces:
            note = GM_NOTES[piece]
            events += [(tick, 1, note, max(1, min(127, h.velocity))), (tick + PPQ // 8, 0, note, 0)]
    meta = mido.MidiTrack(
        [
            mido.MetaMessage("set_tempo", tempo=500000, time=0),
            mido.MetaMessage("end_of_track", time=0),
        ]
    )
    mid = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    mid.tracks.extend([meta, note_track("heard", events)])
    return mid


def run(args: argparse.Namespace) -> int:
    import io
    from collections import Counter

    from onebeat._io import atomic_write_bytes
    from onebeat.audio import load_audio
    from onebeat.hearing import detect_hits
    from onebeat.inputs.microphone import for_part

    part = _pieces(args.pieces)
    profile = for_part(kit_profile(args.kit_profile), part)
    audio = load_audio(args.recording, sr=HEAR_SR)
    heard = detect_hits(y=audio.y, sr=audio.sr, profile=profile, block=HEAR_BLOCK)
    if args.json:
        strokes = [
            {
                "time": round(h.time, 4),
                "pieces": [p.value for p in h.pieces],
                "velocity": h.velocity,
            }
            for h in heard
        ]
        print(json.dumps({"recording": args.recording.name, "strokes": strokes}))
    else:
        counts = Counter(p.value for h in heard for p in h.pieces)
        said = ", ".join(f"{piece} {n}" for piece, n in counts.most_common()) or "nothing"
        print(
            f"{args.recording.name}: {len(heard)} strokes heard in {audio.duration:.1f} s: {said}"
        )
    if args.midi:
        buf = io.BytesIO()
        hits_to_midi(heard).save(file=buf)
        atomic_write_bytes(args.midi, buf.getvalue())
        if not args.json:
            print(f"  saved    {args.midi} (General MIDI drums, channel 10, 120 BPM)")
    return 0
