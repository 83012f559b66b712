"""``onebeat transcribe``: write what the drums play in a recording."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from onebeat.cli.common import (
    LICENCE_NOTE,
    analysis_options,
    analyze_song,
    piece_counts,
    song_drums,
    write_midi_file,
    write_tab_file,
)

if TYPE_CHECKING:
    from onebeat.chart.model import Chart

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``transcribe`` command's arguments."""
    p = sub.add_parser(
        "transcribe",
        epilog=LICENCE_NOTE,
        help="write what the drums play in a recording (a song, or your own take)",
        description="Transcribe the drums of a recording (a full song, or a drummer's own "
        "take) onto its beat grid: every stroke heard, nothing filled in.",
    )
    p.add_argument("song", type=Path, help="audio file")
    p.add_argument("--midi", type=Path, help="write a General MIDI drum file here")
    p.add_argument("--tab", type=Path, help="write a text drum tab here ('-': print it)")
    analysis_options(p)
    p.set_defaults(func=run)


def _grid_word(chart: Chart) -> str:
    """ "sixteenths" or "triplets": the grid a chart's notes sit on."""
    fracs = {round(n.beat % 1.0, 3) for n in chart.notes}
    return "triplets" if fracs & {0.333, 0.667} else "sixteenths"


def run(args: argparse.Namespace) -> int:
    from onebeat.chart.transcribed import transcribed_chart

    sm = analyze_song(args, args.song)
    drums = song_drums(args)
    chart = transcribed_chart(sm, drums, level=5, title=args.song.stem, as_heard=True)
    print(
        f"{args.song.name}: {len(chart.notes)} strokes heard on a {sm.tempo_bpm:.0f} BPM grid "
        f"({_grid_word(chart)}): {piece_counts(chart)}"
    )
    if args.midi:
        write_midi_file(chart, args.midi)
    if args.tab:
        write_tab_file(chart, args.tab)
    return 0
