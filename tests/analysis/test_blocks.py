"""A long song's features made in blocks are the whole song's (bounded memory, issue 30)."""

from __future__ import annotations

import numpy as np
import pytest

from onebeat.analysis import _madmom

SR = 44100


def clicks(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise bursts on a wandering beat over a quiet hum: something for every feature."""
    rng = np.random.default_rng(seed)
    y = 0.02 * np.sin(2 * np.pi * 110 * np.arange(int(seconds * SR)) / SR)
    t = 0.3
    while t < seconds - 0.1:
        k = int(t * SR)
        y[k : k + 2000] += rng.normal(0, 0.3, 2000) * np.exp(-np.arange(2000) / 300)
        t += rng.uniform(0.4, 0.6)
    return y.astype(np.float32)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_madmom, "BLOCK_S", 4.0)  # a 17 s song in five blocks


def test_the_beat_networks_features_and_activations_in_blocks_are_the_whole_songs(
    small_blocks: None,
) -> None:
    import madmom.audio.signal as msig

    beat_rnn, down_rnn, bar_rnn = _madmom._processors()
    y = clicks(17.3)
    whole = msig.Signal(y, sample_rate=SR)
    features = beat_rnn.processors[0]
    blocks = _madmom._features_in_blocks(features, y, SR)
    assert blocks.shape == np.asarray(features(whole)).shape
    # the same numbers up to float32 rounding: bit for bit where scipy's FFT rounds every
    # row of a batch alike (not on every CPU: a frame's place in the 32 transformed at
    # once differs between a block and the whole song; 4.5e-7 at most seen)
    same = {"rtol": 0, "atol": 2e-6}
    np.testing.assert_allclose(blocks, np.asarray(features(whole)), **same)
    np.testing.assert_allclose(
        _madmom._activations(down_rnn, y, SR), np.asarray(down_rnn(whole)), **same
    )
    perc = _madmom._features_in_blocks(bar_rnn.perc_feat, y, SR)
    np.testing.assert_allclose(perc, np.asarray(bar_rnn.perc_feat(whole)), **same)


def test_a_song_that_fits_one_block_is_heard_whole() -> None:
    calls: list[int] = []

    def feature(signal: np.ndarray) -> np.ndarray:
        calls.append(len(signal))
        return np.zeros((len(signal) // 441 + 1, 3))

    y = np.zeros(int(_madmom.BLOCK_S * SR), np.float32)
    _madmom._features_in_blocks(feature, y, SR)
    assert calls == [len(y)]


def test_beats_decoded_in_overlapping_windows_are_the_whole_songs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tempo that drifts from 100 to 130 BPM with noisy activations: madmom's DBN over
    the whole song, and in 40 s windows overlapping by 15 s, find the same beats."""
    from madmom.features.beats import DBNBeatTrackingProcessor

    rng = np.random.default_rng(1)
    fps = _madmom.FPS
    n = 150 * fps
    act = rng.uniform(0.0, 0.15, n)
    t, k = 0.5, 0
    while t < n / fps - 0.5:
        f = round(t * fps)
        act[f - 1 : f + 2] += np.array([0.3, 0.8, 0.3]) * rng.uniform(0.5, 1.0)
        bpm = 100 + 30 * t / (n / fps)
        t += 60 / bpm
        k += 1
    act = np.clip(act, 0, 1).astype(np.float32)
    whole = np.asarray(DBNBeatTrackingProcessor(fps=fps)(act))
    monkeypatch.setattr(_madmom, "DBN_WINDOW_S", 40.0)
    monkeypatch.setattr(_madmom, "DBN_OVERLAP_S", 15.0)
    windows = _madmom._track_beats(act)
    assert len(windows) == len(whole) >= k - 2
    assert np.max(np.abs(windows - whole)) < 0.001


def test_the_chroma_bands_summed_at_once_are_madmoms_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import madmom.audio.signal as msig
    import madmom.audio.spectrogram as mspec

    assert mspec.SemitoneBandpassSpectrogram.__new__ is _madmom._semitone_bandpass_spectrogram
    _, _, bar_rnn = _madmom._processors()
    signal = msig.Signal(clicks(9.7, seed=3), sample_rate=SR)
    ours = np.asarray(bar_rnn.harm_feat(signal))
    monkeypatch.setattr(mspec.SemitoneBandpassSpectrogram, "__new__", _madmom._MADMOM_SEMITONE_NEW)
    theirs = np.asarray(bar_rnn.harm_feat(signal))
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("seconds", [0.05, 9.7])
def test_the_spectra_transformed_many_frames_at_once_are_madmoms_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, seconds: float
) -> None:
    """All three networks' features (frame sizes 1024-4096, frames reaching past both
    ends of the signal, a signal shorter than one frame) through both transforms."""
    import madmom.audio.signal as msig
    import madmom.audio.stft as mstft

    assert mstft.stft is _madmom._stft
    beat_rnn, down_rnn, bar_rnn = _madmom._processors()
    features = (beat_rnn.processors[0], down_rnn.processors[0], bar_rnn.perc_feat)
    signal = msig.Signal(clicks(seconds, seed=5), sample_rate=SR)
    ours = [np.asarray(f(signal)) for f in features]
    monkeypatch.setattr(mstft, "stft", _madmom._MADMOM_STFT)
    theirs = [np.asarray(f(signal)) for f in features]
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        assert np.array_equal(a, b)


def test_the_ensembles_run_their_networks_in_turn_and_average_them_alike() -> None:
    """The trimming map changes when memory is given back, never what is computed."""
    beat_rnn, _, _ = _madmom._processors()
    ensemble = beat_rnn.processors[1]
    assert ensemble.processors[0].map is _madmom._trimmed_map
    features = _madmom._features_in_blocks(beat_rnn.processors[0], clicks(6.0), SR)
    each = [np.asarray(net(features)) for net in ensemble.processors[0].processors]
    assert np.array_equal(np.asarray(ensemble(features)), np.mean(each, axis=0))
