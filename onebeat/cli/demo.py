"""``onebeat demo``: analyse the bundled demo song and compare with its truth."""

from __future__ import annotations

import argparse

import numpy as np

from onebeat.cli.common import LICENCE_NOTE, analysis_options, analyze_song, format_summary

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``demo`` command's arguments."""
    p = sub.add_parser(
        "demo", epilog=LICENCE_NOTE, help="analyse the bundled demo song and compare with its truth"
    )
    analysis_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from onebeat.analysis import evaluate
    from onebeat.demo import demo_song_path, demo_truth

    song = demo_song_path()
    sm = analyze_song(args, song)
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
