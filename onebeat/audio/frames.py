"""Spectra of a long song, made block by block in bounded memory.

``librosa.stft(y, center=True)`` of a whole 20-minute song holds every frame's complex
spectrum at once (1 GiB at a 2048-point FFT and 100 frames a second) and then its
magnitude and what is computed from it. Frame ``k`` of a centred STFT is the window
around sample ``k * hop`` of the song padded with zeros, so the same frames come from
slices of the song, a block of frames at a time, each reduced (to mel bands, say) before
the next is made: the same numbers, in the memory of one block.
"""

from __future__ import annotations

from collections.abc import Callable

import librosa
import numpy as np

__all__ = ["BLOCK_FRAMES", "centred_frames", "n_centred_frames"]

#: Frames made at once.
BLOCK_FRAMES = 2000


def n_centred_frames(n_samples: int, hop: int) -> int:
    """How many frames ``librosa.stft(center=True)`` makes of ``n_samples``."""
    return 1 + n_samples // hop


def centred_frames(
    y: np.ndarray,
    *,
    n_fft: int,
    hop: int,
    reduce: Callable[[np.ndarray], np.ndarray],
    gain: float = 1.0,
    block: int = BLOCK_FRAMES,
) -> np.ndarray:
    """``reduce`` of the magnitude spectra of ``y * gain``, frames as
    ``np.abs(librosa.stft(y * gain, n_fft=n_fft, hop_length=hop, center=True))`` gives
    them (zero padding), made ``block`` frames at a time.

    ``reduce`` takes magnitudes of shape ``(1 + n_fft // 2, frames)`` and returns an
    array whose last axis is those frames; the results are joined along it.
    """
    y = np.asarray(y, dtype=np.float32)
    n = n_centred_frames(len(y), hop)
    half = n_fft // 2
    out: np.ndarray | None = None  # filled in place: no list of parts and a second copy
    for f0 in range(0, n, block):
        f1 = min(n, f0 + block)
        s0, s1 = f0 * hop - half, (f1 - 1) * hop + half  # the windows of frames f0..f1-1
        seg = np.zeros(s1 - s0, dtype=np.float32)
        lo, hi = max(0, s0), min(len(y), s1)
        if hi > lo:
            seg[lo - s0 : hi - s0] = y[lo:hi]
        if gain != 1.0:
            seg *= np.float32(gain)
        spec = np.abs(librosa.stft(seg, n_fft=n_fft, hop_length=hop, center=False))
        part = reduce(spec)
        del spec
        if out is None:
            out = np.empty((*part.shape[:-1], n), dtype=part.dtype)
        out[..., f0:f1] = part
    assert out is not None  # n >= 1: a centred STFT has a frame even of no samples
    return out
