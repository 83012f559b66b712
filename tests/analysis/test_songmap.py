"""The SongMap JSON: round trip, schema, and clear rejection of malformed files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onebeat.analysis import SongMap
from onebeat.errors import SongMapError


def make_songmap(beats: np.ndarray, meter: int = 4, phase: int = 0) -> SongMap:
    positions = (np.arange(len(beats)) - phase) % meter + 1
    k = min(4, len(beats) - 1)
    return SongMap(
        audio={
            "file": "x.ogg",
            "sha256": "a" * 64,
            "duration_s": float(beats[-1]) + 1.0,
            "sample_rate": 44100,
            "channels": 2,
            "codec": "vorbis",
        },
        analysis={
            "backend": "madmom",
            "onebeat_version": "0.1.0",
            "created": "2026-11-24T00:00:00+00:00",
        },
        tempo_bpm=120.0,
        beats_per_bar=meter,
        meter_confidence=0.9,
        beats=beats,
        beat_positions=positions,
        beat_confidence=np.full(len(beats), 0.5),
        tempo_times=0.5 * (beats[k:] + beats[:-k]),
        tempo_curve_bpm=60.0 * k / (beats[k:] - beats[:-k]),
        bar_confidence=np.round(np.linspace(0.2, 0.99, int(np.sum(positions == 1))), 3),
    )


@settings(max_examples=40, deadline=None)
@given(
    intervals=st.lists(st.floats(0.2, 1.5), min_size=2, max_size=300),
    meter=st.sampled_from([3, 4]),
    phase=st.integers(0, 3),
)
def test_round_trip(intervals: list[float], meter: int, phase: int) -> None:
    beats = np.round(0.1 + np.cumsum(intervals), 6)
    sm = make_songmap(beats, meter, phase % meter)
    back = SongMap.from_dict(json.loads(sm.to_json()))
    assert back.to_dict() == sm.to_dict()
    assert np.allclose(back.downbeats, sm.downbeats)
    assert back.bar_confidence is not None and len(back.bar_confidence) == len(sm.downbeats)


def test_a_songmap_without_bar_confidence_still_reads() -> None:
    """SongMaps written before the per-bar confidence was kept (it is optional)."""
    data = json.loads(make_songmap(np.arange(1, 40) * 0.5).to_json())
    del data["meter"]["bar_confidence"]
    assert SongMap.from_dict(data).bar_confidence is None


def test_save_and_load(tmp_path: Path) -> None:
    sm = make_songmap(np.arange(1, 40) * 0.5)
    sm.save(tmp_path / "m.json")
    data = json.loads((tmp_path / "m.json").read_text())
    # what other tools read without knowing onebeat
    assert data["beats"][:2] == [0.5, 1.0]
    assert data["downbeats"][:2] == [0.5, 2.5]
    assert data["tempo_bpm"] == 120.0
    assert SongMap.load(tmp_path / "m.json").to_dict() == sm.to_dict()
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind


def _valid() -> dict[str, Any]:
    return make_songmap(np.arange(1, 40) * 0.5).to_dict()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("beats"), r"'beats' is a required property"),
        (lambda d: d.update(version=7), r"version 7 is not supported"),
        (lambda d: d.update(format="other"), r"at format"),
        (lambda d: d["beats"].__setitem__(3, "x"), r"at beats/3"),
        (lambda d: d["beats"].__setitem__(3, 0.1), r"not strictly increasing"),
        (lambda d: d.update(downbeats=d["downbeats"][1:]), r"downbeats are not the beats"),
        (lambda d: d["beat_positions"].__setitem__(0, 9), r"exceed meter"),
        (lambda d: d.update(beat_confidence=[0.5]), r"differ in length"),
        (lambda d: d["audio"].update(sha256="zz"), r"at audio/sha256"),
        (lambda d: d.update(tempo_bpm=-3), r"at tempo_bpm"),
        (lambda d: d.update(surprise=1), r"Additional properties"),
        (lambda d: d["meter"].update(bar_confidence=[0.5]), r"bar_confidence has 1 bars"),
        (lambda d: d["meter"].update(bar_confidence=[2.0]), r"at meter/bar_confidence/0"),
    ],
)
def test_rejects_malformed(mutate: Any, message: str) -> None:
    data = copy.deepcopy(_valid())
    mutate(data)
    with pytest.raises(SongMapError, match=message):
        SongMap.from_dict(data, source="m.json")


def test_rejects_non_json_and_missing(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{beats: [")
    with pytest.raises(SongMapError, match=r"bad\.json: not JSON \(line 1"):
        SongMap.load(tmp_path / "bad.json")
    with pytest.raises(SongMapError, match=r"none\.json: no such file"):
        SongMap.load(tmp_path / "none.json")


def test_error_message_is_one_line() -> None:
    data = _valid()
    data["beats"] = "many"
    with pytest.raises(SongMapError) as info:
        SongMap.from_dict(data, source="m.json")
    assert "\n" not in str(info.value)
