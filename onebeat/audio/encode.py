"""Writing audio: Ogg Vorbis (the song format of Clone Hero / YARG folders) via soundfile."""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf

from onebeat._io import atomic_path

__all__ = ["AUDIO_FORMATS", "write_audio", "write_ogg_vorbis"]

#: The audio files onebeat writes, by suffix.
AUDIO_FORMATS = (".wav", ".flac", ".ogg")

_BLOCK = 16384


def write_ogg_vorbis(
    path: str | os.PathLike[str], y: np.ndarray, sr: int, *, quality: float | None = None
) -> None:
    """Encode ``y`` (``(n,)`` or ``(channels, n)``, float in [-1, 1]) to Ogg Vorbis, atomically.

    ``quality`` is libsndfile's compression level in [0, 1] (0 = best quality).
    """
    data = y[None, :] if y.ndim == 1 else y
    extra = {} if quality is None else {"compression_level": quality}
    with (
        atomic_path(path) as tmp,
        sf.SoundFile(tmp, "w", sr, data.shape[0], format="OGG", subtype="VORBIS", **extra) as f,
    ):
        # libsndfile's Vorbis encoder crashes on very large single writes: use blocks.
        for i in range(0, data.shape[1], _BLOCK):
            f.write(np.ascontiguousarray(data[:, i : i + _BLOCK].T))


def write_audio(path: str | os.PathLike[str], y: np.ndarray, sr: int) -> None:
    """Write ``y`` (``(n,)`` or ``(channels, n)``, float in [-1, 1]) atomically as the
    file's suffix says (:data:`AUDIO_FORMATS`): Ogg Vorbis, or 16-bit WAV or FLAC.
    The caller checks the suffix first, saying which command it is for."""
    p = os.fspath(path)
    ext = os.path.splitext(p)[1].lower()
    if ext == ".ogg":
        write_ogg_vorbis(p, y, sr)
        return
    data = y[None, :] if y.ndim == 1 else y
    with atomic_path(p) as tmp:
        sf.write(tmp, data.T, sr, format=ext[1:].upper(), subtype="PCM_16")
