"""Spectra made in blocks are the whole song's (bounded memory, issue 30)."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from onebeat.audio.frames import centred_frames, n_centred_frames


@pytest.mark.parametrize(
    ("n", "n_fft", "hop", "block"),
    [(44100, 2048, 441, 7), (10_000, 4096, 4410, 1), (5000, 1024, 441, 3), (3000, 2048, 441, 2)],
)
def test_centred_frames_in_blocks_equal_librosas_whole_stft(
    n: int, n_fft: int, hop: int, block: int
) -> None:
    y = np.random.default_rng(n).normal(0, 0.1, n).astype(np.float32)
    whole = np.abs(librosa.stft(y * np.float32(1.7), n_fft=n_fft, hop_length=hop, center=True))
    blocks = centred_frames(y, n_fft=n_fft, hop=hop, gain=1.7, block=block, reduce=lambda s: s)
    assert blocks.shape == whole.shape
    assert whole.shape[1] == n_centred_frames(n, hop)
    np.testing.assert_allclose(blocks, whole, rtol=0, atol=1e-6)


def test_the_tuning_from_blocks_is_librosas() -> None:
    from onebeat.analysis.sections import _tuning

    sr = 22050
    t = np.arange(3 * sr) / sr
    y = np.sum([np.sin(2 * np.pi * f * 2 ** (0.3 / 12) * t) for f in (220.0, 330.0, 440.0)], axis=0)
    power = np.abs(librosa.stft(y.astype(np.float32), n_fft=4096, hop_length=2205)) ** 2
    tuning = _tuning(y.astype(np.float32), sr=sr, hop=2205, n_fft=4096)
    assert tuning == librosa.estimate_tuning(S=power, sr=sr, n_fft=4096, bins_per_octave=12)
    assert tuning == pytest.approx(0.3, abs=0.02)


def test_the_texture_made_in_blocks_is_librosas_of_the_whole_song() -> None:
    from onebeat.analysis.sections import TEXTURE_FPS, texture_features

    sr = 22050
    rng = np.random.default_rng(7)
    t = np.arange(20 * sr) / sr
    y = (0.3 * np.sin(2 * np.pi * 196.0 * t) * (1 + np.sin(2 * np.pi * 0.3 * t))).astype(
        np.float32
    ) + rng.normal(0, 0.02, len(t)).astype(np.float32)
    ours = texture_features(y=y, sr=sr, block=13)  # 16 blocks, the last one short
    hop = round(sr / TEXTURE_FPS)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_fft=4096, hop_length=hop, n_mfcc=13)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr, n_fft=4096, hop_length=hop)
    assert ours.shape == (mfcc.shape[1], 25)
    np.testing.assert_allclose(ours[:, :13], mfcc.T, rtol=0, atol=2e-3)
    np.testing.assert_allclose(ours[:, 13:], chroma.T, rtol=0, atol=1e-5)
    # any block size: the same up to float32 rounding (BLAS sums a short block's
    # products in another order: 3.4e-6 seen on an MFCC whose terms reach 100)
    np.testing.assert_allclose(ours, texture_features(y=y, sr=sr), rtol=1e-5, atol=1e-5)
