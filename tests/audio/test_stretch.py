"""Practice speeds: the song slower, its pitch and its beat where they belong."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from onebeat.audio.stretch import time_stretch
from tests.conftest import click_track

SR = 44100


def _onsets(x: np.ndarray) -> np.ndarray:
    env = np.abs(sosfilt(butter(4, 3000, "hp", fs=SR, output="sos"), x))
    above = np.flatnonzero((env[1:] > 0.3 * env.max()) & (env[:-1] <= 0.3 * env.max()))
    out: list[int] = []
    for i in above:
        if not out or i - out[-1] > 0.2 * SR:
            out.append(int(i))
    return np.array(out) / SR


@pytest.mark.parametrize("speed", [0.5, 0.75, 0.9])
def test_slower_at_the_same_pitch_with_the_beat_in_place(speed: float) -> None:
    y, clicks = click_track(sr=SR, duration=12.0, bpm=120, channels=2)
    t = np.arange(y.shape[1]) / SR
    y = y + 0.2 * np.sin(2 * np.pi * 440.0 * t)
    out = time_stretch(y, SR, speed)
    assert out.shape == (2, round(y.shape[1] / speed)) and out.dtype == np.float32
    got = _onsets(out[0])
    assert len(got) == len(clicks)
    assert np.max(np.abs(got - clicks / speed)) < 0.002  # every click within 2 ms
    seg = out[0][3 * SR : 7 * SR] * np.hanning(4 * SR)
    freqs = np.fft.rfftfreq(4 * SR, 1 / SR)
    band = (freqs > 300) & (freqs < 600)
    assert freqs[band][np.argmax(np.abs(np.fft.rfft(seg))[band])] == pytest.approx(440.0, abs=1.0)


def test_full_speed_is_the_song_and_bad_speeds_are_refused() -> None:
    y = np.zeros(1000, dtype=np.float32)
    assert time_stretch(y, SR, 1.0) is not None and time_stretch(y, SR, 1.0).shape == (1000,)
    with pytest.raises(ValueError, match="practice speeds"):
        time_stretch(y, SR, 0.3)
