"""Drums down: the song without its drums, or with them turned down as a guide.

A drummer playing along wants to *be* the drummer. :func:`split_drums` takes the drums out
of a mixed song with a time-frequency mask informed by what the drum transcription heard
(:mod:`onebeat.analysis.drums`): librosa's harmonic/percussive split says which bins are
percussive, and the transcription says *when* the kit sounds, per piece, with each
piece's ring (a hi-hat's 80 ms, a crash's 800 ms). A percussive bin where no drum is
sounding (a strummed guitar, a plucked bass, a consonant) stays in the band.

Why by hand: no registry package ships separation weights that run offline (demucs,
open-unmix and audio-separator download theirs at run time); score-informed masking is
the known way to use a transcription for separation. It is no Demucs:
``bench/separation.py`` measures it on real multitracks beside librosa's plain split. A
mask network trained on rendered songs (``scripts/train_separator.py``) did worse on them
and is not shipped.

The drums are the mix minus the drumless song, so the two always add back up to the
song: a level between "off" and "full" (:data:`DRUM_LEVELS`) is ``rest + level · drums``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from onebeat import __version__
from onebeat.errors import InputError, OnebeatError

__all__ = [
    "DRUM_LEVELS",
    "SEPARATION_VERSION",
    "drum_envelope",
    "drum_level",
    "separate",
    "song_at_level",
    "split_drums",
]

#: Bumped whenever the separation changes, so cached drumless songs are made again.
SEPARATION_VERSION = 1

#: The song's drums as a player picks them: all of it, a quiet guide (-9 dB: heard as a
#: reference, under the player's own drums), or none.
DRUM_LEVELS: dict[str, float] = {"full": 1.0, "guide": 0.35, "off": 0.0}

#: How long each transcribed piece rings after its stroke [s], by class
#: (:data:`onebeat.analysis.drums.DRUM_CLASSES`): what the mask keeps as drums after it.
RING_S: dict[str, float] = {
    "kick": 0.15,
    "snare": 0.2,
    "hihat": 0.08,
    "hihat_open": 0.3,
    "tom": 0.25,
    "crash": 0.8,
    "ride": 0.5,
}

N_FFT = 2048
HOP = 512
#: The rate songs are separated at (the drumless song is written at it).
SEP_SR = 44100
#: Audio is masked in blocks of this length [s] with :data:`PAD_S` of context either side,
#: so memory does not grow with the song (the percussive split looks 31 frames, 0.36 s,
#: around each bin: the context covers it).
BLOCK_S = 60.0
PAD_S = 2.0


def drum_level(name: str) -> float:
    """The gain of a :data:`DRUM_LEVELS` name, with a one-line error naming the field."""
    try:
        return DRUM_LEVELS[name]
    except KeyError:
        raise InputError(f"song drums: {name!r} is not one of {', '.join(DRUM_LEVELS)}") from None


def drum_envelope(activations: np.ndarray, fps: float, times: np.ndarray) -> np.ndarray:
    """How much the kit is sounding at ``times`` [s], 0–1: each class's activation held
    at its peak and let ring for :data:`RING_S`, the loudest class at each time."""
    from onebeat.analysis.drums import DRUM_CLASSES

    act = np.asarray(activations, dtype=np.float64)
    env = np.zeros(len(act))
    for k, name in enumerate(DRUM_CLASSES):
        decay = float(np.exp(-1.0 / (RING_S[name] * fps)))
        held = np.empty(len(act))
        level = 0.0
        # a peak hold with exponential release: a recursion numpy has no vector form of
        for i, a in enumerate(act[:, k]):
            level = max(float(a), level * decay)
            held[i] = level
        env = np.maximum(env, held)
    frame_times = np.arange(len(act)) / fps
    out: np.ndarray = np.clip(np.interp(times, frame_times, env, right=0.0), 0.0, 1.0)
    return out


def _mask_block(
    mono: np.ndarray, sr: int, activations: np.ndarray, fps: float, t0: float
) -> np.ndarray:
    """The drums' share of each STFT bin of ``mono`` (which starts at song time t0): its
    percussive share, gated by when the transcription hears the kit."""
    import librosa

    mag = np.abs(librosa.stft(mono, n_fft=N_FFT, hop_length=HOP))
    _, share = librosa.decompose.hpss(mag, margin=1.0, mask=True)
    times = t0 + np.arange(mag.shape[1]) * HOP / sr
    sounding = drum_envelope(activations, fps, times)
    mask: np.ndarray = share * (sounding**SOUNDING_POWER)[None, :]
    return mask.astype(np.float32)


#: How sharply the transcription's "the kit is sounding" gates the mask (its square:
#: a weak activation lets little through).
SOUNDING_POWER = 2.0


def split_drums(
    y: np.ndarray,
    sr: int,
    activations: np.ndarray,
    fps: float,
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The song without its drums, and its drums: ``(rest, drums)``, each shaped as ``y``
    (``(n,)`` or ``(channels, n)``), ``rest + drums == y``.

    ``activations`` are the drum transcription's (frames × classes at ``fps``).
    """
    import librosa

    data = np.atleast_2d(np.asarray(y, dtype=np.float32))
    n = data.shape[1]
    rest = np.zeros_like(data)
    # blocks and their context on the STFT's hop grid: each block's frames are the whole
    # song's frames, so the blocks join without a seam
    block, pad = (max(1, round(s * sr / HOP)) * HOP for s in (BLOCK_S, PAD_S))
    starts = list(range(0, max(n, 1), block))
    for i, a in enumerate(starts):
        lo, hi = max(0, a - pad), min(n, a + block + pad)
        chunk = data[:, lo:hi]
        if chunk.shape[1] < N_FFT:  # too short to mask: a sliver at the end stays as is
            rest[:, a : min(n, a + block)] = data[:, a : min(n, a + block)]
            continue
        mask = _mask_block(chunk.mean(axis=0), sr, activations, fps, lo / sr)
        for c in range(data.shape[0]):
            spec = librosa.stft(chunk[c], n_fft=N_FFT, hop_length=HOP)
            kept = librosa.istft(spec * (1.0 - mask), hop_length=HOP, length=chunk.shape[1])
            rest[c, a : min(n, a + block)] = kept[a - lo : a - lo + min(block, n - a)]
        if progress is not None:
            progress((i + 1) / len(starts))
    drums = data - rest
    if np.asarray(y).ndim == 1:
        return rest[0], drums[0]
    return rest, drums


def _cache(kind: str, sha256: str) -> Path:
    from onebeat.analysis.drums import model_fingerprint
    from onebeat.analysis.pipeline import cache_dir

    name = f"{sha256}.{kind}.v{SEPARATION_VERSION}.{model_fingerprint()}-{__version__}.ogg"
    return cache_dir() / "drumless" / name


def separate(
    path: str | os.PathLike[str],
    *,
    use_cache: bool = True,
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """The song at ``path`` as ``(rest, drums, sr)``: without its drums, and its drums
    (each ``(channels, n)``). The drumless song is kept in onebeat's cache by the audio's
    SHA-256 (with ``use_cache``) and read from there next time; the drums are transcribed
    first, or read from the analysis cache.

    Raises
    ------
    onebeat.errors.AudioError
        For a missing, non-audio or corrupt file.
    """
    from onebeat.analysis.drums import FPS
    from onebeat.analysis.pipeline import analyze_drums
    from onebeat.audio.decode import file_sha256, load_audio
    from onebeat.audio.encode import write_ogg_vorbis

    p = Path(path)
    song = load_audio(p, sr=SEP_SR, mono=False)  # a bad file fails here, naming it
    y = np.atleast_2d(song.y)
    cached = _cache("rest", file_sha256(p))
    rest: np.ndarray | None = None
    if use_cache and cached.is_file():
        try:
            rest = _fit(np.atleast_2d(load_audio(cached, sr=song.sr, mono=False).y), y)
        except OnebeatError:  # a damaged cache entry is made again
            cached.unlink(missing_ok=True)
    if rest is None:
        drums = analyze_drums(p, use_cache=use_cache)
        rest, _ = split_drums(y, song.sr, drums.onsets.activations, FPS, progress)
        if use_cache:
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_ogg_vorbis(cached, np.clip(rest, -1.0, 1.0), song.sr)
    return rest, y - rest, song.sr


def _fit(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``x`` cut or padded to ``like``'s shape (an encoded file may differ by a frame)."""
    x = x[: like.shape[0], : like.shape[1]]
    if x.shape[0] < like.shape[0]:
        x = np.repeat(x[:1], like.shape[0], axis=0)
    return np.pad(x, ((0, 0), (0, like.shape[1] - x.shape[1])))


def song_at_level(
    path: str | os.PathLike[str],
    level: str,
    *,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """The song with its drums at a :data:`DRUM_LEVELS` level, as a file: the song itself
    at "full", the cached drumless song at "off", else ``rest + level · drums`` in
    onebeat's cache (made once)."""
    from onebeat.audio.decode import file_sha256
    from onebeat.audio.encode import write_ogg_vorbis

    gain = drum_level(level)
    p = Path(path)
    if gain == 1.0:
        return p
    sha = file_sha256(p)
    if gain == 0.0:  # the drumless song as separate() keeps it: no second copy
        kept = _cache("rest", sha)
        if not kept.is_file():
            separate(p, progress=progress)
        return kept
    out = _cache(f"drums{round(gain * 100)}", sha)
    if not out.is_file():
        rest, drums, sr = separate(p, progress=progress)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_ogg_vorbis(out, np.clip(rest + gain * drums, -1.0, 1.0), sr)
    return out
