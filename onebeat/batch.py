"""A whole folder of songs analysed at once (``onebeat analyze DIR``): every audio file
under it gets its beats and bars and its drums (the transcription the level-4/5 charts
are written from), on a pool of processes (every core by default), each cached exactly
as one song at a time is. A batch stopped half-way goes on where it stopped: what is
cached is not analysed again. A file that cannot be analysed is said in one line and the
batch goes on.

The pool is Python's own (``concurrent.futures``): a song is an independent task, and
no scheduler is written here.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from onebeat.audio import AUDIO_EXTENSIONS

__all__ = ["SongDone", "analyze_batch", "audio_files"]


@dataclass(frozen=True)
class SongDone:
    """One song of a batch.

    Attributes
    ----------
    path : Path
    ok : bool
        Analysed (or found in the cache).
    cached : bool
        Already analysed before this batch: nothing was done.
    seconds : float
        Wall time spent on it.
    said : str
        Its tempo and meter, or why it could not be analysed (one line).
    """

    path: Path
    ok: bool
    cached: bool
    seconds: float
    said: str


def audio_files(folders: Iterable[Path]) -> list[Path]:
    """Every audio file under the folders (or the files themselves), hidden ones left
    out, in a stable order."""
    out: set[Path] = set()
    for folder in folders:
        if folder.is_file():
            out.add(folder.resolve())
            continue
        for p in folder.rglob("*"):
            hidden = any(part.startswith(".") for part in p.relative_to(folder).parts)
            if p.is_file() and not hidden and p.suffix.lower() in AUDIO_EXTENSIONS:
                out.add(p.resolve())
    return sorted(out)


def _one(job: tuple[str, str]) -> SongDone:
    """Analyse one song in a worker process (top-level: the pool pickles it)."""
    from onebeat.analysis import analyze, analyze_drums
    from onebeat.analysis.pipeline import is_cached
    from onebeat.errors import OnebeatError

    path, backend = Path(job[0]), job[1]
    t0 = time.perf_counter()
    try:
        cached = is_cached(path, backend)
        sm = analyze(path, backend=backend)
        analyze_drums(path)
    except OnebeatError as exc:
        return SongDone(path, False, False, time.perf_counter() - t0, str(exc))
    said = f"{sm.tempo_bpm:.0f} BPM, {sm.time_signature}"
    return SongDone(path, True, cached, time.perf_counter() - t0, said)


def analyze_batch(
    paths: list[Path],
    *,
    backend: str,
    jobs: int | None = None,
    on_done: Callable[[SongDone], None] | None = None,
) -> list[SongDone]:
    """Analyse songs on ``jobs`` processes (None: every core), each result handed to
    ``on_done`` as it comes; the results in the order of ``paths``."""
    n = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
    results: dict[Path, SongDone] = {}
    tasks = [(str(p), backend) for p in paths]
    if n == 1:
        for task in tasks:
            done = _one(task)
            results[done.path] = done
            if on_done:
                on_done(done)
    else:
        # "spawn": each worker loads its own models (a fork would share onnxruntime's
        # threads half set up)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            for future in as_completed(pool.submit(_one, t) for t in tasks):
                done = future.result()
                results[done.path] = done
                if on_done:
                    on_done(done)
    return [results[p] for p in paths]
