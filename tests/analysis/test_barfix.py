""" "Bar 1 is here": the downbeats moved by whole beats, kept with the song."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onebeat.analysis.barfix import BAR_FIX_FILE, BarFixes, shift_bars
from onebeat.analysis.songmap import SongMap


def songmap(n: int = 18, m: int = 4, first: int = 1) -> SongMap:
    beats = 0.5 + 0.5 * np.arange(n)
    return SongMap(
        audio={
            "file": "x.wav",
            "sha256": "ab" * 32,
            "duration_s": 10.0,
            "sample_rate": 44100,
            "channels": 1,
            "codec": "pcm_s16le",
        },
        analysis={"backend": "madmom", "onebeat_version": "0", "created": "now"},
        tempo_bpm=120.0,
        beats_per_bar=m,
        meter_confidence=0.5,
        beats=beats,
        beat_positions=(np.arange(n) + first - 1) % m + 1,
        beat_confidence=np.ones(n),
        tempo_times=beats,
        tempo_curve_bpm=np.full(n, 120.0),
    )


def test_a_beat_later_makes_the_second_beat_bar_one() -> None:
    sm = songmap()
    moved = shift_bars(sm, 1)
    np.testing.assert_allclose(moved.downbeats, sm.beats[1::4])
    np.testing.assert_allclose(moved.beats, sm.beats)  # the beats stay where they are
    assert moved.analysis["bar_shift"] == 1
    assert moved.bar_confidence is None  # the analysis' doubt was about its own bars
    earlier = shift_bars(sm, -1)
    np.testing.assert_allclose(earlier.downbeats, sm.beats[3::4])
    assert earlier.analysis["bar_shift"] == 3


@settings(max_examples=60, deadline=None)
@given(
    m=st.sampled_from([2, 3, 4, 5, 6, 7]),
    first=st.integers(1, 7),
    a=st.integers(-20, 20),
    b=st.integers(-20, 20),
)
def test_moves_compose_and_every_bar_keeps_its_length(m: int, first: int, a: int, b: int) -> None:
    sm = songmap(n=25, m=m, first=min(first, m))
    both = shift_bars(shift_bars(sm, a), b)
    np.testing.assert_array_equal(both.beat_positions, shift_bars(sm, a + b).beat_positions)
    assert both.analysis.get("bar_shift", 0) == (a + b) % m
    down = np.flatnonzero(both.beat_positions == 1)
    assert np.all(np.diff(down) == m)
    # and the result is a SongMap that reads back (the schema knows bar_shift)
    again = SongMap.from_dict(json.loads(both.to_json()))
    np.testing.assert_array_equal(again.beat_positions, both.beat_positions)
    assert shift_bars(both, -(a + b)).analysis == sm.analysis


def test_the_store_keeps_a_shift_per_song_and_forgets_at_zero(tmp_path: Path) -> None:
    fixes = BarFixes(tmp_path)
    sm = songmap()
    assert fixes.apply(sm) is sm  # nothing stored: the analysis as it is
    fixes.set(sm.audio["sha256"], 2)
    fixes.set("cd" * 32, 1)
    again = BarFixes(tmp_path)  # another process, the same data folder
    np.testing.assert_allclose(again.apply(sm).downbeats, sm.beats[2::4])
    again.set(sm.audio["sha256"], 0)
    assert BarFixes(tmp_path).get(sm.audio["sha256"]) == 0
    assert BarFixes(tmp_path).get("cd" * 32) == 1


def test_a_damaged_store_is_set_aside_not_written_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / BAR_FIX_FILE
    path.write_text('{"songs": {"ab": 1')  # cut short
    fixes = BarFixes(tmp_path)
    assert fixes.get("ab") == 0
    assert "unreadable" in caplog.text
    fixes.set("ef" * 32, 3)
    assert (tmp_path / f"{BAR_FIX_FILE}.bad").read_text() == '{"songs": {"ab": 1'
    assert BarFixes(tmp_path).get("ef" * 32) == 3
