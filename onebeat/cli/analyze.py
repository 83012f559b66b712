"""``onebeat analyze``: find beats, downbeats, meter and tempo curve of a song."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from onebeat.cli.common import LICENCE_NOTE, analysis_options, analyze_song, format_summary

if TYPE_CHECKING:
    from onebeat.analysis.songmap import SongMap
    from onebeat.batch import SongDone

__all__ = ["add_parser", "analyze_folders", "batch_options", "move_bar_one", "run", "run_folder"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``analyze`` command's arguments."""
    p = sub.add_parser(
        "analyze",
        aliases=["analyse"],
        epilog=LICENCE_NOTE,
        help="find beats, downbeats, meter and tempo curve of a song",
        description="Analyse a song (wav, flac, ogg, opus, mp3, m4a) and "
        "print its SongMap summary.",
    )
    p.add_argument(
        "song",
        type=Path,
        help="audio file; or a folder: every song under it analysed (beats, bars and "
        "drums, cached for the charts and the web app), on all cores (--jobs)",
    )
    batch_options(p)
    p.add_argument("-o", "--output", type=Path, help="write the SongMap JSON here")
    p.add_argument("--json", action="store_true", help="print the SongMap JSON to stdout")
    p.add_argument(
        "--beats", type=Path, help="also write beats as 'time<TAB>position' lines (madmom .beats)"
    )
    p.add_argument(
        "--bar-one",
        type=int,
        metavar="BEATS",
        help="bar 1 is in the wrong place: move the downbeats BEATS beats later than the "
        "analysis put them (negative: earlier), kept for this song (its charts, the page "
        "and lessons follow); --bar-one 0 puts them back",
    )
    analysis_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from onebeat._io import atomic_write_text

    if args.song.is_dir():
        return run_folder(args)
    sm = analyze_song(args, args.song)
    if args.bar_one is not None:
        sm = move_bar_one(sm, args.bar_one)
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


def run_folder(args: argparse.Namespace) -> int:
    """Every song under a folder, on a pool of processes: one progress bar, one line per
    song that cannot be analysed, a summary. Exit status 1 if any could not be."""
    results = analyze_folders([args.song], args)
    return 1 if not results or any(not r.ok for r in results) else 0


def analyze_folders(folders: list[Path], args: argparse.Namespace) -> list[SongDone]:
    """Every song under the folders analysed (``--jobs``, ``--engine``, ``--address``,
    ``--backend`` from ``args``) with one progress bar, one line per song that cannot be
    analysed and a summary; the results (none when there is no song file)."""
    import os
    import time

    from tqdm import tqdm

    from onebeat.batch import analyze_batch, audio_files

    where_from = ", ".join(str(f) for f in folders)
    songs = audio_files(folders)
    if not songs:
        print(f"{where_from}: no song files under it")
        return []
    jobs = args.jobs or os.cpu_count() or 1
    where = f"{min(jobs, len(songs))} at a time"
    if args.engine == "ray":
        where = f"on the Ray cluster at {args.address}" if args.address else where + " on Ray"
    print(f"{where_from}: {len(songs)} songs, {where}")
    t0 = time.perf_counter()
    bar = tqdm(total=len(songs), unit="song", file=sys.stderr, disable=not sys.stderr.isatty())

    def done(d: SongDone) -> None:
        bar.update(1)
        if not d.ok:
            bar.write(f"  could not analyse {d.said}")

    results = analyze_batch(
        songs,
        backend=args.backend,
        jobs=jobs,
        on_done=done,
        engine=args.engine,
        address=args.address,
    )
    bar.close()
    failed = [r for r in results if not r.ok]
    cached = sum(1 for r in results if r.cached)
    print(
        f"{len(results) - len(failed) - cached} analysed, {cached} already analysed, "
        f"{len(failed)} could not be, in {time.perf_counter() - t0:.1f} s"
    )
    return results


def batch_options(p: argparse.ArgumentParser) -> None:
    """``--jobs``, ``--engine`` and ``--address``: where a folder's songs are analysed."""
    from onebeat.batch import ENGINES

    p.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="songs analysed at once when SONG is a folder (default: one per core)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=ENGINES[0],
        help="where a folder's songs run: this machine's processes (default), or Ray tasks "
        "(pip install 'onebeat[ray]'); the results go into this machine's cache either way",
    )
    p.add_argument(
        "--address",
        metavar="ADDR",
        help="with --engine ray: the Ray cluster to run on (default: a Ray started here; "
        "the songs must be at the same paths on its machines)",
    )


def move_bar_one(sm: SongMap, beats: int) -> SongMap:
    """Move the song's downbeats by ``beats`` from where the analysis put them (0: back
    there) and keep that for the song."""
    from onebeat.analysis.barfix import BarFixes
    from onebeat.session.store import data_dir

    return BarFixes(data_dir()).move(sm, beats - int(sm.analysis.get("bar_shift", 0)))
