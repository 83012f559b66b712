"""The default backend on rendered songs with exact truth from ../shared/eval (skipped
where that folder is absent): a tempo ramp and a waltz, the hard cases for bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from onebeat.analysis import analyze, evaluate


@pytest.mark.eval
@pytest.mark.parametrize(("name", "meter"), [("syn_ramp100to130", 4), ("syn_waltz120", 3)])
def test_rendered_song(eval_dir: Path, name: str, meter: int) -> None:
    ref = np.loadtxt(eval_dir / "synth" / f"{name}.beats", ndmin=2)
    sm = analyze(eval_dir / "synth" / f"{name}.flac", use_cache=False)
    scores = evaluate(
        reference_beats=ref[:, 0],
        estimated_beats=sm.beats,
        reference_downbeats=ref[ref[:, 1] == 1, 0],
        estimated_downbeats=sm.downbeats,
    )
    assert scores["beat_f"] >= 0.97
    assert scores["downbeat_f"] >= 0.95  # downbeats on the bar's first beat
    assert sm.beats_per_bar == meter
    if name.startswith("syn_ramp"):
        assert sm.tempo_curve_bpm[0] == pytest.approx(100, abs=4)
        assert sm.tempo_curve_bpm[-1] == pytest.approx(130, abs=4)
