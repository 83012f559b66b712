"""A whole folder of songs analysed at once (``onebeat analyze DIR``): every audio file
under it gets its beats and bars and its drums (the transcription the level-4/5 charts
are written from), on a pool of processes (every core by default), each cached exactly
as one song at a time is. A batch stopped half-way goes on where it stopped: what is
cached is not analysed again. A file that cannot be analysed is said in one line and the
batch goes on.

The pool is Python's own (``concurrent.futures``): a song is an independent task, and
no scheduler is written here. Beyond one machine the same songs run as Ray tasks
(``engine="ray"``, the optional ``onebeat[ray]``): each task sends back the cache files it
made, and they are written into this machine's cache, where the library and the charts
look for them. The workers must see the songs at the same paths (a shared folder).
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

__all__ = ["ENGINES", "SongDone", "analyze_batch", "audio_files"]

#: Where the songs of a batch run: this machine's processes, or a Ray cluster.
ENGINES = ("process", "ray")


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


def _share_cores(threads: int) -> None:
    """A worker's share of the cores: its networks (``$ONEBEAT_THREADS``, read when they
    load) and numpy's BLAS and OpenMP pools run on ``threads`` threads, so that workers
    side by side do not each spread over every core and fight for them. A worker with
    every core has nothing to share and is left as a single analysis runs."""
    if threads >= (os.cpu_count() or 1):
        return
    from threadpoolctl import threadpool_limits

    os.environ["ONEBEAT_THREADS"] = str(threads)
    global _LIMITS
    _LIMITS = threadpool_limits(limits=threads)


_LIMITS: object = None  # the worker's thread limits, kept for its life


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


def _one_on_ray(job: tuple[str, str]) -> tuple[SongDone, dict[str, bytes]]:
    """A Ray task: one song, and the cache files it made (by their path under the
    cache folder), for the machine that asked to write into its own cache."""
    from onebeat.analysis import cache_dir
    from onebeat.analysis.pipeline import cache_files

    _share_cores(1)  # a task has one CPU (Ray sets OMP_NUM_THREADS, not onnxruntime's)
    done = _one(job)
    files: dict[str, bytes] = {}
    if done.ok:
        root = cache_dir()
        for f in cache_files(done.path, job[1]):
            files[str(f.relative_to(root))] = f.read_bytes()
    return done, files


def _keep_cache_files(files: dict[str, bytes]) -> None:
    """Write what a Ray task made into this machine's cache (what is there is kept)."""
    from onebeat._io import atomic_write_bytes
    from onebeat.analysis import cache_dir

    root = cache_dir()
    for name, data in files.items():
        target = root / name
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, data)


def _on_ray(
    tasks: list[tuple[str, str]],
    *,
    jobs: int | None,
    address: str | None,
    on_done: Callable[[SongDone], None] | None,
) -> list[SongDone]:
    """Each song a Ray task, on the cluster at ``address`` or, without one, on a Ray
    started here with ``jobs`` CPUs (Ray's local mode); Ray is stopped again if started."""
    from onebeat.errors import OnebeatError

    try:
        import ray
    except ImportError:
        raise OnebeatError(
            "--engine ray: Ray is not installed (pip install 'onebeat[ray]')"
        ) from None
    started = not ray.is_initialized()
    if started:
        ray.init(
            address=address,
            num_cpus=None if address else (jobs or os.cpu_count() or 1),
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    try:
        task = ray.remote(num_cpus=1)(_one_on_ray)
        pending = [task.remote(t) for t in tasks]
        out = []
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done, files = ray.get(ready[0])
            _keep_cache_files(files)
            out.append(done)
            if on_done:
                on_done(done)
        return out
    finally:
        if started:
            ray.shutdown()


def analyze_batch(
    paths: list[Path],
    *,
    backend: str,
    jobs: int | None = None,
    on_done: Callable[[SongDone], None] | None = None,
    engine: str = "process",
    address: str | None = None,
) -> list[SongDone]:
    """Analyse songs on ``jobs`` processes (None: every core), or as Ray tasks
    (``engine="ray"``, on the cluster at ``address``, else a Ray started here), each
    result handed to ``on_done`` as it comes; the results in the order of ``paths``."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: one of {', '.join(ENGINES)}")
    n = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
    results: dict[Path, SongDone] = {}
    tasks = [(str(p), backend) for p in paths]
    if engine == "ray":
        for done in _on_ray(tasks, jobs=n, address=address, on_done=on_done):
            results[done.path] = done
    elif n == 1:
        for task in tasks:
            done = _one(task)
            results[done.path] = done
            if on_done:
                on_done(done)
    else:
        # "spawn": each worker loads its own models (a fork would share onnxruntime's
        # threads half set up)
        ctx = multiprocessing.get_context("spawn")
        share = max(1, (os.cpu_count() or 1) // n)
        with ProcessPoolExecutor(
            max_workers=n, mp_context=ctx, initializer=_share_cores, initargs=(share,)
        ) as pool:
            for future in as_completed(pool.submit(_one, t) for t in tasks):
                done = future.result()
                results[done.path] = done
                if on_done:
                    on_done(done)
    return [results[p] for p in paths]
