"""Drum sounds made from code, to hear a chart over its song.

Synthesised rather than sampled: no package on the registries ships drum samples under
a licence that lets onebeat redistribute them, and a chart check needs each piece to be
recognisable and well timed, not beautiful. Every sound starts at its first sample, so
a note is heard exactly at its time. (Classic analogue-drum recipes: a pitch-swept sine
for kick and toms, tuned noise for snare and cymbals.)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
from scipy.signal import butter, sosfilt

from onebeat.kit import DrumPiece

__all__ = ["drum_sound", "mix_hits", "render_hits"]

#: A drum hit to render: (time [s], piece, MIDI velocity).
Hit = tuple[float, DrumPiece, int]


def _env(n: int, sr: int, decay_s: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (decay_s * sr))


def _sweep(sr: int, f0: float, f1: float, dur: float, decay: float) -> np.ndarray:
    n = round(dur * sr)
    t = np.arange(n) / sr
    freq = f1 + (f0 - f1) * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    return np.asarray(np.sin(phase) * _env(n, sr, decay))


def _noise(sr: int, dur: float, decay: float, lo: float, hi: float, seed: int) -> np.ndarray:
    n = round(dur * sr)
    x = np.random.default_rng(seed).standard_normal(n)
    sos = butter(2, [lo, min(hi, 0.45 * sr)], btype="band", fs=sr, output="sos")
    return np.asarray(sosfilt(sos, x) * _env(n, sr, decay), dtype=float)


@functools.cache
def drum_sound(piece: DrumPiece, sr: int) -> np.ndarray:
    """One hit of a piece at full velocity, peak 1 (float32)."""
    match piece:
        case DrumPiece.KICK:
            y = _sweep(sr, 160, 50, 0.35, 0.12)
            click = _noise(sr, 0.01, 0.003, 1000, 5000, 1)
            y[: len(click)] += 0.3 * click
        case DrumPiece.SNARE:
            y = _noise(sr, 0.25, 0.06, 1500, 9000, 2)
            body = _sweep(sr, 260, 180, 0.2, 0.05)
            y[: len(body)] += 0.5 * body
        case DrumPiece.HIHAT_CLOSED:
            y = _noise(sr, 0.08, 0.015, 7000, 16000, 3)
        case DrumPiece.HIHAT_PEDAL:
            y = 0.6 * _noise(sr, 0.06, 0.01, 6000, 14000, 4)
        case DrumPiece.HIHAT_OPEN:
            y = _noise(sr, 0.45, 0.15, 6000, 16000, 5)
        case DrumPiece.TOM_HIGH:
            y = _sweep(sr, 300, 200, 0.35, 0.12)
        case DrumPiece.TOM_MID:
            y = _sweep(sr, 220, 145, 0.4, 0.14)
        case DrumPiece.TOM_FLOOR:
            y = _sweep(sr, 150, 95, 0.5, 0.18)
        case DrumPiece.CRASH:
            y = _noise(sr, 1.6, 0.5, 4000, 15000, 6)
        case DrumPiece.RIDE:
            n = round(0.8 * sr)
            t = np.arange(n) / sr
            bell = sum(np.sin(2 * np.pi * f * t) for f in (3100, 4600, 5400)) / 3
            y = 0.5 * _noise(sr, 0.8, 0.3, 5000, 15000, 7) + 0.3 * bell * _env(n, sr, 0.25)
    y = np.asarray(y, dtype=np.float64)
    return np.asarray(y / (np.max(np.abs(y)) + 1e-12), dtype=np.float32)


def render_hits(hits: Iterable[Hit], *, sr: int, n_samples: int) -> np.ndarray:
    """Hits (e.g. a chart's notes) played by the synthesised kit: mono, ``n_samples`` long."""
    out = np.zeros(n_samples, dtype=np.float32)
    for time, piece, velocity in hits:
        start = round(time * sr)
        if start < 0 or start >= n_samples:
            continue
        hit = drum_sound(piece, sr) * (velocity / 127.0)
        end = min(n_samples, start + len(hit))
        out[start:end] += hit[: end - start]
    return out


def mix_hits(y: np.ndarray, sr: int, hits: Iterable[Hit], *, drums_db: float = -3.0) -> np.ndarray:
    """The song (mono or ``(channels, n)``) with the hits over it, peak -1 dBFS.

    Parameters
    ----------
    drums_db : float
        Level of the drums against the song's RMS [dB].
    """
    song = np.asarray(y, dtype=np.float32)
    drums = render_hits(hits, sr=sr, n_samples=song.shape[-1])
    song_rms = float(np.sqrt(np.mean(song.astype(np.float64) ** 2))) + 1e-9
    drum_rms = float(np.sqrt(np.mean(drums.astype(np.float64) ** 2))) + 1e-9
    mixed = song + drums * (song_rms / drum_rms * 10 ** (drums_db / 20))
    peak = float(np.max(np.abs(mixed))) + 1e-12
    return (mixed * (0.89 / peak)).astype(np.float32)
