"""How fast a folder of songs is analysed: one worker, two, and Ray tasks (issue 30).

The songs are the real clips of ``../shared/eval/real`` (30 s each; ``--songs N`` of
them), each configuration analysing all of them from an empty cache, in the same run:
one process, ``--jobs`` processes, and Ray started here with as many CPUs (when Ray is
installed; its start timed apart, as a cluster is started once for many batches). Prints
wall time, songs a minute and the ratios.

Targets: >= 1.8x faster with 2 workers than with 1; Ray within 10 % of the process pool.

Usage: .venv/bin/python bench/batch_speed.py [--songs 50] [--jobs 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.batch import analyze_batch, audio_files  # noqa: E402


def timed(songs: list[Path], **kw: object) -> float:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["ONEBEAT_CACHE_DIR"] = cache
        t0 = time.perf_counter()
        results = analyze_batch(songs, backend="madmom", **kw)  # type: ignore[arg-type]
        wall = time.perf_counter() - t0
    bad = [r for r in results if not r.ok]
    if bad:
        print(f"  ({len(bad)} could not be analysed, e.g. {bad[0].said})")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--songs", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    songs = audio_files([args.eval / "real"])[: args.songs]
    if not songs:
        sys.exit(f"batch_speed: no songs under {args.eval / 'real'} (see ../shared/eval)")
    print(f"{len(songs)} songs of {args.eval / 'real'}, from an empty cache each time")
    one = timed(songs, jobs=1)
    print(f"1 process:       {one:7.1f} s  {len(songs) / one * 60:6.1f} songs/min")
    pool = timed(songs, jobs=args.jobs)
    print(
        f"{args.jobs} processes:     {pool:7.1f} s  {len(songs) / pool * 60:6.1f} songs/min"
        f"  ({one / pool:.2f}x one; target >= 1.8x)"
    )
    if importlib.util.find_spec("ray") is None:
        print("Ray: not installed (pip install 'onebeat[ray]'); skipped")
        return
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=args.jobs, include_dashboard=False, log_to_driver=False)
    start = time.perf_counter() - t0
    try:
        on_ray = timed(songs, jobs=args.jobs, engine="ray")
    finally:
        ray.shutdown()
    print(
        f"Ray, {args.jobs} CPUs:     {on_ray:7.1f} s  {len(songs) / on_ray * 60:6.1f} songs/min"
        f"  ({on_ray / pool:.2f}x the pool's time; target <= 1.10x), and Ray's own start "
        f"{start:.1f} s ({(on_ray + start) / pool:.2f}x with it)"
    )


if __name__ == "__main__":
    main()
