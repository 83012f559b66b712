"""The NTP-style clock mapping of a phone, on simulated Wi-Fi with known truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onebeat.web.clock import ClockSync

ORIGIN = 5000.123  # the server time [s] at which the device's clock read 0


def device(s: float, skew_ppm: float) -> float:
    """The device's clock [ms] at server time ``s``: its own origin, and running
    ``skew_ppm`` fast."""
    return (s - ORIGIN) * 1000 * (1 + skew_ppm * 1e-6)


def simulate(
    mean_ms: float, skew_ppm: float, *, seconds: float = 90, gap: float = 0.5, seed: int = 0
) -> tuple[ClockSync, list[float]]:
    """Pings every ``gap`` s over Wi-Fi: 2 ms plus an exponential delay each way, and one
    message in 20 held up 50–300 ms. The errors [ms] of the mapping at a tap a quarter
    second after each ping, once ten pings are in."""
    rng = np.random.default_rng(seed)
    sync = ClockSync()
    errors = []
    s = 0.0
    for k in range(int(seconds / gap)):
        out, back = 0.002 + rng.exponential(mean_ms / 1000, 2)
        out += rng.uniform(0.05, 0.3) if rng.random() < 0.05 else 0.0
        back += rng.uniform(0.05, 0.3) if rng.random() < 0.05 else 0.0
        sync.add(s, device(s + out, skew_ppm), s + out + back)
        s += gap
        if k >= 10:
            tap = s + 0.25
            errors.append((sync.to_server(device(tap, skew_ppm)) - tap) * 1000)
    return sync, errors


def test_equal_delays_give_the_exact_mapping_and_the_drift() -> None:
    sync = ClockSync()
    for k in range(80):
        s = k * 0.5
        sync.add(s, device(s + 0.004, 80.0), s + 0.008)
    e = sync.estimate()
    assert e.skew == pytest.approx(-80e-6, rel=1e-3)  # the server runs slower than it
    assert e.best_rtt_ms == pytest.approx(8.0)
    for s in (3.0, 41.3, 60.0):
        assert sync.to_server(device(s, 80.0)) == pytest.approx(s, abs=1e-6)


@pytest.mark.parametrize("skew_ppm", [0.0, 50.0, -100.0])
def test_home_wifi_puts_taps_within_a_few_ms(skew_ppm: float) -> None:
    _, errors = simulate(5.0, skew_ppm)
    e = np.abs(errors)
    assert np.median(e) <= 1.0
    assert e.max() <= 3.0


def test_worse_wifi_is_worse_but_stays_within_the_window_of_a_perfect() -> None:
    sync, errors = simulate(20.0, 50.0, seed=3)
    e = np.abs(errors)
    assert 0.5 < np.median(e) <= 3.0
    assert e.max() <= 8.0
    assert sync.estimate().error_ms > 5.0  # and it says it is unsure


def test_a_lopsided_path_is_within_the_stated_error() -> None:
    """No round-trip method can see a path that is slower one way: the error is half
    the difference, and the estimate's error bound covers it."""
    sync = ClockSync()
    for k in range(20):
        s = k * 0.5
        sync.add(s, device(s + 0.010, 0.0), s + 0.012)
    err = abs(sync.to_server(device(20.0, 0.0)) - 20.0) * 1000
    assert err == pytest.approx(4.0, abs=1e-6)
    assert err <= sync.estimate().error_ms


@settings(max_examples=50, deadline=None)
@given(
    st.floats(0, 1e9, allow_nan=False),
    st.floats(-200, 200, allow_nan=False),
    st.integers(0, 2**32 - 1),
)
def test_to_device_inverts_to_server(device_ms: float, skew_ppm: float, seed: int) -> None:
    sync, _ = simulate(5.0, skew_ppm, seconds=30, seed=seed)
    assert sync.to_device(sync.to_server(device_ms)) == pytest.approx(device_ms, abs=1e-3)


def test_bad_samples_and_no_samples_are_errors() -> None:
    sync = ClockSync()
    with pytest.raises(ValueError, match="no ping"):
        sync.to_server(1.0)
    with pytest.raises(ValueError, match="answered before it was sent"):
        sync.add(2.0, 1.0, 1.0)
    assert not sync.ready
