"""How long the play-along app's song library takes to open with many songs (issue 30).

A data folder whose song list holds ``--songs`` songs (short WAV files of distinct
content, written here): the list opened once before the songs' hashes are kept (every
file read and hashed, as a list written by an older onebeat is), then again as it is
kept (each song's hash with its file's size and modification time: nothing is read).
Reference in the same run: listing the folder's files (``os.scandir`` + ``stat``), the
least any library must do.

Target: 2,000 songs open in <= 1 s.

Usage: .venv/bin/python bench/library_open.py [--songs 2000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.library import Library  # noqa: E402


def opened(root: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    library = Library(root)
    wall = time.perf_counter() - t0
    n = len(library.songs())
    library.close(wait=True)
    return wall, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--songs", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each song file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, music = Path(tmp) / "data", Path(tmp) / "music"
        music.mkdir()
        os.environ["ONEBEAT_CACHE_DIR"] = str(Path(tmp) / "cache")
        rng = np.random.default_rng(0)
        noise = (0.01 * rng.standard_normal(int(args.seconds * 8000))).astype(np.float32)
        for i in range(args.songs):
            noise[0] = i / args.songs  # distinct content, distinct hash
            sf.write(music / f"song{i:05d}.wav", noise, 8000)
        size = sum(f.stat().st_size for f in music.iterdir()) / 2**20
        print(f"{args.songs} songs of {args.seconds:.0f} s ({size:.0f} MiB)")

        root.mkdir()
        items = [{"path": str(p), "title": p.stem} for p in sorted(music.iterdir())]
        (root / "library.json").write_text(json.dumps({"songs": items}))
        first, n = opened(root)  # hashes every file, then keeps size/mtime/hash
        print(f"opened, every song hashed (an old list): {first:7.2f} s  ({n} songs)")
        again, n = opened(root)
        t0 = time.perf_counter()
        listed = [e.stat().st_size for e in os.scandir(music)]
        ref = time.perf_counter() - t0
        print(f"opened again (hashes kept):             {again:7.2f} s  ({n} songs)")
        print(
            f"reference, listing the folder:          {ref:7.3f} s  ({len(listed)} files); "
            f"target: {args.songs} songs open in <= 1 s"
        )


if __name__ == "__main__":
    main()
