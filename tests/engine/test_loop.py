"""Loops of bars: which pass a hit belongs to, near the seam and anywhere."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onebeat.chart import Chart, Note
from onebeat.engine import LoopPlan
from onebeat.errors import ChartError
from onebeat.kit import DrumPiece

K, S = DrumPiece.KICK, DrumPiece.SNARE


def song(bars: int = 8, beat: float = 0.5, skip_bar: int | None = None) -> Chart:
    """4/4 at 120 BPM from 1 s: kick on 1 and 3, snare on 2 and 4 (eighth-note snare
    pickup on the last "and" of each bar), nothing in ``skip_bar``."""
    beats = 1.0 + beat * np.arange(4 * bars)
    notes = []
    for i, t in enumerate(beats):
        if skip_bar is not None and i // 4 + 1 == skip_bar:
            continue
        notes.append(Note(float(t), float(i), K if i % 2 == 0 else S))
        if i % 4 == 3:
            notes.append(Note(float(t + beat / 2), i + 0.5, S))
    return Chart(tuple(notes), beats, np.arange(len(beats)) % 4 + 1, 4, level=2, title="t")


def test_the_loop_holds_its_bars_notes_at_song_times() -> None:
    plan = LoopPlan.from_chart(song(), 3, 4)
    assert (plan.start, plan.end, plan.length) == (5.0, 9.0, 4.0)
    times = [n.time for n in plan.chart.notes]
    assert times[0] == 5.0 and times[-1] == 8.75 and len(times) == 10
    assert plan.chart.title == "t · bars 3–4"
    # the seam is halfway between the last note (8.75) and the next pass's first (9.0)
    assert plan.split == pytest.approx(8.875)


def test_a_hit_near_the_seam_goes_to_the_nearer_note() -> None:
    plan = LoopPlan.from_chart(song(), 3, 4)
    assert plan.local(8.75 + 0.06) == (0, pytest.approx(8.81))  # late for the last note
    p, t = plan.local(9.0 - 0.06)  # early for the first note of pass 2
    assert p == 1 and t == pytest.approx(5.0 - 0.06)
    assert plan.local(2.0) == (0, 2.0)  # the bar before the loop (count-in): pass 1
    p, t = plan.local(5.0 + 3 * 4.0 + 0.01)
    assert p == 3 and t == pytest.approx(5.01)


@given(st.floats(0.0, 500.0), st.integers(1, 7), st.integers(0, 3))
def test_every_time_falls_in_one_pass_between_its_seams(u: float, first: int, more: int) -> None:
    plan = LoopPlan.from_chart(song(), first, min(8, first + more))
    p, t = plan.local(u)
    assert t == pytest.approx(u - p * plan.length)
    if p > 0:
        assert plan.pass_end(p - 1) <= u + 1e-9
    assert u < plan.pass_end(p) + 1e-9
    # and the song time stays within the loop's notes, give or take half a gap
    if p > 0:
        assert plan.start - plan.length / 2 <= t < plan.end + plan.length / 2


def test_the_last_bar_and_bad_bars() -> None:
    assert LoopPlan.from_chart(song(), 8, 8).end == pytest.approx(17.0)
    with pytest.raises(ChartError, match="bars 3–9 are not in 't' \\(bars 1–8\\)"):
        LoopPlan.from_chart(song(), 3, 9)
    with pytest.raises(ChartError, match="are not in"):
        LoopPlan.from_chart(song(), 4, 3)
    with pytest.raises(ChartError, match="bars 5–5 of 't' have no notes"):
        LoopPlan.from_chart(song(skip_bar=5), 5, 5)
