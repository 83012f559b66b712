"""``analyze()``: audio file in, SongMap out, cached by the audio's content hash."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from onebeat import __version__
from onebeat._io import atomic_path, give_back_memory, user_dir
from onebeat.analysis.backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    BeatTrack,
    Progress,
    get_backend,
)
from onebeat.analysis.drums import SR as DRUMS_SR
from onebeat.analysis.drums import (
    DrumAnalysis,
    drum_activations,
    model_fingerprint,
    onsets_from_activations,
)
from onebeat.analysis.meter import infer_bars
from onebeat.analysis.sections import texture_features
from onebeat.analysis.songmap import SongMap
from onebeat.analysis.tempo import tempo_curve
from onebeat.audio.decode import file_sha256, load_audio
from onebeat.errors import (
    AnalysisError,
    BackendUnavailableError,
    SilentAudioError,
    SongMapError,
    TooShortError,
)

__all__ = [
    "ANALYSIS_VERSION",
    "MIN_BEATS",
    "MIN_DURATION_S",
    "analyze",
    "analyze_drums",
    "cache_dir",
    "cache_files",
    "is_cached",
    "trim_edges",
]

#: Bumped whenever analysis results change, so that old cache entries are not reused
#: (the package version is part of the cache key too).
ANALYSIS_VERSION = 4
#: Shortest audio analysed [s].
MIN_DURATION_S = 5.0
#: Fewest beats that make a song (two bars of 4/4).
MIN_BEATS = 8
#: Peak level under which audio counts as silent (-60 dBFS).
SILENCE_PEAK = 1e-3
#: Beats at the start or end of a song weaker than this are dropped: trackers carry the
#: beat on into a silent lead-in or a final chord's ring, where no one plays.
EDGE_CONFIDENCE = 0.1


def trim_edges(track: BeatTrack, *, threshold: float = EDGE_CONFIDENCE) -> BeatTrack:
    """Drop the runs of weak beats at both ends of a track (all of them if all are weak)."""
    strong = np.flatnonzero(track.confidence >= threshold)
    if len(strong) == 0:
        return BeatTrack(
            beats=track.beats[:0],
            confidence=track.confidence[:0],
            downbeat_salience=track.downbeat_salience[:0],
        )
    keep = slice(int(strong[0]), int(strong[-1]) + 1)
    return BeatTrack(
        beats=track.beats[keep],
        confidence=track.confidence[keep],
        downbeat_salience=track.downbeat_salience[keep],
    )


def cache_dir() -> Path:
    """Where analysis results are cached: ``$ONEBEAT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/onebeat``, else ``~/.cache/onebeat``."""
    return user_dir("ONEBEAT_CACHE_DIR", "XDG_CACHE_HOME", ".cache")


def _cache_path(sha256: str, backend: str) -> Path:
    name = f"{sha256}.{backend}.v{ANALYSIS_VERSION}-{__version__}.json"
    return cache_dir() / "songmaps" / name


#: A listener for progress: called with the fraction done (0–1) and the step's name.
ProgressListener = Callable[[float, str], None]


@contextmanager
def _progress_bar(total: int, label: str, enabled: bool | ProgressListener) -> Iterator[Progress]:
    if callable(enabled):  # a listener (the web app's progress bar), not a terminal bar
        listener = enabled
        done = [0]

        def report(name: str) -> None:
            done[0] += 1
            listener(min(1.0, done[0] / total), name)

        yield report
        return
    # tqdm's delay: the bar appears only when the work takes longer than a second.
    bar = tqdm(
        total=total,
        desc=label,
        unit="step",
        delay=1.0,
        leave=False,
        disable=not enabled,
        file=sys.stderr,
        bar_format="{desc}: {bar} {n_fmt}/{total_fmt} {postfix} [{elapsed}]",
    )
    try:

        def step(name: str) -> None:
            bar.set_postfix_str(name, refresh=False)
            bar.update(1)

        yield step
    finally:
        bar.close()


def analyze(
    path: str | os.PathLike[str],
    *,
    backend: str = DEFAULT_BACKEND,
    use_cache: bool = True,
    progress: bool | ProgressListener = False,
) -> SongMap:
    """Find the beats, bars, meter and tempo curve of a song.

    Parameters
    ----------
    path : str or PathLike
        An audio file (wav, flac, ogg, opus, mp3, m4a/aac, ...), 5 s to 20 min.
    backend : str
        Beat tracker by name (see :data:`onebeat.analysis.BACKENDS`).
    use_cache : bool
        Reuse and store results keyed by the file's SHA-256 (see :func:`cache_dir`).
    progress : bool or callable
        Show a progress bar on stderr when the analysis takes more than a second; or a
        listener called with the fraction done and the step's name.

    Returns
    -------
    SongMap

    Raises
    ------
    onebeat.errors.AudioError
        For a missing, non-audio, corrupt, silent, too short or too long file.
    onebeat.errors.AnalysisError
        When no steady beat is found, or the backend is unavailable.
    """
    p = Path(path)
    if backend not in BACKENDS:
        raise BackendUnavailableError(
            f"unknown backend {backend!r} (choose from: {', '.join(BACKENDS)})"
        )
    # load_audio raises the file errors; hashing first would give a raw OSError.
    if not p.is_file():
        load_audio(p)
    sha = file_sha256(p)
    cached = _cache_path(sha, backend)
    if use_cache and cached.exists():
        try:
            return SongMap.load(cached)
        except SongMapError:
            cached.unlink(missing_ok=True)  # a damaged cache entry is recomputed

    start = time.perf_counter()
    tracker = get_backend(backend)
    with _progress_bar(tracker.steps + 1, f"analysing {p.name}", progress) as step:
        audio = load_audio(p, sr=tracker.sample_rate, mono=True)
        step("decoded")
        if audio.duration < MIN_DURATION_S:
            raise TooShortError(
                f"{p}: too short to have a beat ({audio.duration:.1f} s; "
                f"needs at least {MIN_DURATION_S:.0f} s)"
            )
        peak = float(np.max(np.abs(audio.y)))
        if peak < SILENCE_PEAK:
            db = 20 * np.log10(peak + 1e-12)
            raise SilentAudioError(f"{p}: the audio is silent (peak {db:.0f} dBFS)")
        # a backend that hears the drums gets their transcription (cached: the charts
        # take it too), made from the song at its own rate
        drums = None
        if tracker.hears_drums:
            drums = analyze_drums(p, use_cache=use_cache).onsets.activations
        track = trim_edges(tracker.track(y=audio.y, sr=audio.sr, progress=step, drums=drums))
    duration, source_sr, source_channels, codec = (
        audio.duration,
        audio.source_sr,
        audio.source_channels,
        audio.codec,
    )
    del audio
    give_back_memory()  # the song and the networks' buffers, before the next step grows

    beats = track.beats
    if len(beats) < MIN_BEATS or np.any(np.diff(beats) <= 0):
        raise AnalysisError(
            f"{p}: no steady beat found ({len(beats)} beats in {duration:.1f} s); "
            "onebeat plays along to music with a beat to keep, and this song seems free in "
            "time (rubato, classical, ambient)"
        )
    bars = infer_bars(salience=track.downbeat_salience)
    curve = tempo_curve(beats=beats)
    songmap = SongMap(
        audio={
            "file": p.name,
            "sha256": sha,
            "duration_s": round(duration, 6),
            "sample_rate": source_sr,
            "channels": source_channels,
            "codec": codec,
        },
        analysis={
            "backend": backend,
            "licence": BACKENDS[backend].licence,
            "onebeat_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - start, 3),
        },
        tempo_bpm=curve.tempo_bpm,
        beats_per_bar=bars.beats_per_bar,
        meter_confidence=bars.confidence,
        beats=beats,
        beat_positions=bars.positions,
        beat_confidence=track.confidence,
        tempo_times=curve.times,
        tempo_curve_bpm=curve.bpm,
        bar_confidence=bars.bar_confidence,
    )
    if use_cache:
        with contextlib.suppress(OSError):  # a read-only cache must not stop an analysis
            songmap.save(cached)
    return songmap


def _drums_cache_path(sha256: str) -> Path:
    name = f"{sha256}.drums.{model_fingerprint()}-{__version__}.npz"
    return cache_dir() / "drums" / name


def cache_files(path: str | os.PathLike[str], backend: str = DEFAULT_BACKEND) -> list[Path]:
    """The cache files that hold a song's analysis and drums (those that exist)."""
    sha = file_sha256(Path(path))
    return [f for f in (_cache_path(sha, backend), _drums_cache_path(sha)) if f.is_file()]


def is_cached(path: str | os.PathLike[str], backend: str = DEFAULT_BACKEND) -> bool:
    """Whether a song's analysis and drums are both in the cache already (by its audio's
    SHA-256), so that :func:`analyze` and :func:`analyze_drums` only read them."""
    p = Path(path)
    if not p.is_file():
        return False
    sha = file_sha256(p)
    return _cache_path(sha, backend).is_file() and _drums_cache_path(sha).is_file()


def analyze_drums(
    path: str | os.PathLike[str],
    *,
    use_cache: bool = True,
    progress: bool | ProgressListener = False,
) -> DrumAnalysis:
    """Transcribe a song's drums and take the features its sections are found from.

    Parameters
    ----------
    path : str or PathLike
        An audio file, as for :func:`analyze`.
    use_cache : bool
        Reuse and store results keyed by the file's SHA-256 and the model's weights.
    progress : bool or callable
        As for :func:`analyze`.

    Raises
    ------
    onebeat.errors.AudioError
        For a missing, non-audio, corrupt or too long file.
    """
    p = Path(path)
    if not p.is_file():
        load_audio(p)
    cached = _drums_cache_path(file_sha256(p))
    if use_cache and cached.exists():
        try:
            with np.load(cached) as z:
                return DrumAnalysis(
                    onsets=onsets_from_activations(z["activations"].astype(np.float32)),
                    texture=z["texture"].astype(np.float32),
                    duration_s=float(z["duration_s"]),
                )
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            cached.unlink(missing_ok=True)  # a damaged cache entry is recomputed
    with _progress_bar(3, f"transcribing drums in {p.name}", progress) as step:
        audio = load_audio(p, sr=DRUMS_SR, mono=True)
        step("decoded")
        act = drum_activations(y=audio.y, sr=audio.sr)
        step("drums")
        texture = texture_features(y=audio.y, sr=audio.sr)
        step("texture")
    duration = audio.duration
    del audio
    give_back_memory()
    result = DrumAnalysis(onsets=onsets_from_activations(act), texture=texture, duration_s=duration)
    if use_cache:
        with contextlib.suppress(OSError):
            cached.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(cached) as tmp, tmp.open("wb") as fh:
                np.savez_compressed(
                    fh,
                    activations=act.astype(np.float16),
                    texture=texture.astype(np.float16),
                    duration_s=np.asarray(duration),
                )
    return result
