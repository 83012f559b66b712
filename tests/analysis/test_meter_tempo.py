"""Bar inference and the tempo curve on synthetic beats with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onebeat.analysis import infer_bars, tempo_curve


def _salience(n: int, meter: int, phase: int, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = np.full(n, 0.2) + noise * rng.standard_normal(n)
    s[phase::meter] += 0.6
    return s


@settings(max_examples=60, deadline=None)
@given(
    meter=st.sampled_from([3, 4]),
    phase=st.integers(0, 3),
    bars=st.integers(4, 60),
    seed=st.integers(0, 10_000),
)
def test_recovers_meter_and_phase_from_clear_salience(
    meter: int, phase: int, bars: int, seed: int
) -> None:
    phase %= meter
    s = _salience(bars * meter + phase, meter, phase, noise=0.1, seed=seed)
    bars_ = infer_bars(salience=s)
    assert bars_.beats_per_bar == meter
    assert np.all(np.flatnonzero(bars_.positions == 1) % meter == phase)
    assert set(np.unique(bars_.positions)) <= set(range(1, meter + 1))
    assert bars_.confidence > 0.5


def test_each_bar_says_how_sure_it_is() -> None:
    z = np.tile([1.0, 0.1, 0.3, 0.1], 8)
    z[4 * 5 + 2] = 1.6  # bar 6: its third beat outshines its first
    inf = infer_bars(salience=z)
    assert inf.beats_per_bar == 4 and inf.positions[0] == 1
    assert len(inf.bar_confidence) == 8
    others = np.delete(inf.bar_confidence, 5)
    assert np.all(others > 0.9) and inf.bar_confidence[5] < 0.5


def test_flat_salience_defaults_to_four_with_no_confidence() -> None:
    bars = infer_bars(salience=np.ones(32))
    assert bars.beats_per_bar == 4
    assert bars.confidence == 0.0
    assert list(bars.positions[:5]) == [1, 2, 3, 4, 1]


def test_positions_count_up_within_bar() -> None:
    bars = infer_bars(salience=_salience(30, 3, 1, 0.0, 0))
    assert list(bars.positions[:7]) == [3, 1, 2, 3, 1, 2, 3]


def test_tempo_curve_constant() -> None:
    beats = 0.3 + np.arange(100) * 0.5
    curve = tempo_curve(beats=beats)
    assert curve.tempo_bpm == pytest.approx(120.0)
    assert np.allclose(curve.bpm, 120.0)
    assert curve.steady


def test_tempo_curve_averages_frame_quantisation() -> None:
    beats = np.round((0.3 + np.arange(200) * 60 / 116) * 100) / 100  # 100 fps tracker
    assert tempo_curve(beats=beats).tempo_bpm == pytest.approx(116.0, abs=0.3)


def test_tempo_curve_shows_a_ramp() -> None:
    bpm = np.linspace(100, 130, 120)
    beats = np.concatenate([[0.0], np.cumsum(60.0 / bpm)])
    curve = tempo_curve(beats=beats)
    assert curve.bpm[0] == pytest.approx(100, abs=1.5)
    assert curve.bpm[-1] == pytest.approx(130, abs=1.5)
    assert np.all(np.diff(curve.bpm) >= -1e-9)
    assert not curve.steady
    assert curve.drift_percent > 20


def test_tempo_curve_needs_two_beats() -> None:
    with pytest.raises(ValueError, match="two beats"):
        tempo_curve(beats=np.array([1.0]))
