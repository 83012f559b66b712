"""analyze(): the demo song against its exact ground truth, the cache, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from onebeat.analysis import SongMap, analyze, evaluate
from onebeat.analysis import pipeline as analyze_mod
from onebeat.demo import demo_song_path, demo_truth
from onebeat.errors import (
    AnalysisError,
    BackendUnavailableError,
    SilentAudioError,
    TooShortError,
)
from tests.conftest import click_track


def _scores(sm: SongMap) -> dict[str, float]:
    truth = demo_truth()
    return evaluate(
        reference_beats=np.asarray(truth["beats"]),
        estimated_beats=sm.beats,
        reference_downbeats=np.asarray(truth["downbeats"]),
        estimated_downbeats=sm.downbeats,
        estimated_tempo_bpm=sm.tempo_bpm,
    )


def test_demo_song_matches_its_ground_truth(demo_songmap: SongMap) -> None:
    scores = _scores(demo_songmap)
    assert scores["beat_f"] >= 0.97
    assert scores["downbeat_f"] >= 0.97
    assert scores["acc1"] == 1.0
    assert demo_songmap.beats_per_bar == 4
    assert demo_songmap.tempo_bpm == pytest.approx(116.0, rel=0.01)
    truth = demo_truth()
    # first and last beat: where the music plays, not the silent lead-in or the ring-out
    assert demo_songmap.first_beat == pytest.approx(truth["beats"][0], abs=0.05)
    assert demo_songmap.last_beat == pytest.approx(truth["beats"][-1], abs=0.05)
    # every beat within 30 ms of a true one (the mean of the error, not just F)
    err = [np.min(np.abs(np.asarray(truth["beats"]) - b)) for b in demo_songmap.beats]
    assert np.median(err) < 0.015


def test_demo_song_with_librosa_backend() -> None:
    sm = analyze(demo_song_path(), backend="librosa", use_cache=False)
    scores = _scores(sm)
    assert scores["beat_f"] >= 0.95
    assert scores["downbeat_f"] >= 0.9
    assert sm.analysis["licence"].startswith("ISC")


def test_second_analysis_comes_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEBEAT_CACHE_DIR", str(tmp_path / "cache"))
    song = tmp_path / "demo.ogg"
    song.write_bytes(demo_song_path().read_bytes())
    first = analyze(song, backend="librosa")
    assert len(list((tmp_path / "cache" / "songmaps").glob("*.json"))) == 1

    def no_backend(name: str) -> None:
        raise AssertionError("the backend ran again although the result was cached")

    monkeypatch.setattr(analyze_mod, "get_backend", no_backend)
    # same content under another name: still cached (key is the content hash)
    copy = tmp_path / "renamed.ogg"
    copy.write_bytes(song.read_bytes())
    assert analyze(copy, backend="librosa").to_dict() == first.to_dict()


def test_damaged_cache_entry_is_recomputed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEBEAT_CACHE_DIR", str(tmp_path / "cache"))
    y, _ = click_track(sr=22050, duration=12.0, bpm=120)
    song = tmp_path / "clicks.wav"
    sf.write(song, y[0], 22050)
    first = analyze(song, backend="librosa")
    (entry,) = (tmp_path / "cache" / "songmaps").glob("*.json")
    entry.write_text("{ half a file")
    again = analyze(song, backend="librosa")
    assert np.allclose(again.beats, first.beats)
    SongMap.load(entry)  # rewritten whole


def test_click_track_tempo_and_beats(tmp_path: Path) -> None:
    y, clicks = click_track(sr=22050, duration=12.0, bpm=100)
    sf.write(tmp_path / "clicks.wav", y[0], 22050)
    sm = analyze(tmp_path / "clicks.wav", backend="librosa", use_cache=False)
    assert sm.tempo_bpm == pytest.approx(100, rel=0.02)
    assert evaluate(reference_beats=clicks, estimated_beats=sm.beats)["beat_f"] >= 0.95


def test_silence(tmp_path: Path) -> None:
    sf.write(tmp_path / "quiet.wav", np.zeros(22050 * 10, dtype=np.float32), 22050)
    with pytest.raises(SilentAudioError, match=r"quiet\.wav: the audio is silent"):
        analyze(tmp_path / "quiet.wav", use_cache=False)


def test_too_short(tmp_path: Path) -> None:
    y, _ = click_track(sr=22050, duration=3.0)
    sf.write(tmp_path / "short.wav", y[0], 22050)
    with pytest.raises(TooShortError, match=r"short\.wav: too short to have a beat \(3\.0 s"):
        analyze(tmp_path / "short.wav", use_cache=False)


def test_no_beat_in_a_lone_tone(tmp_path: Path) -> None:
    t = np.arange(22050 * 8) / 22050
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * np.exp(-t * 3)  # one struck note, fading
    sf.write(tmp_path / "tone.wav", tone.astype(np.float32), 22050)
    with pytest.raises(AnalysisError, match=r"tone\.wav: no steady beat found") as err:
        analyze(tmp_path / "tone.wav", use_cache=False)
    assert "free in time" in str(err.value) and "\n" not in str(err.value)


def test_the_library_says_plainly_which_song_has_no_beat(tmp_path: Path) -> None:
    from onebeat.library import Library

    t = np.arange(22050 * 8) / 22050
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * np.exp(-t * 3)
    sf.write(tmp_path / "tone.wav", tone.astype(np.float32), 22050)
    with (tmp_path / "tone.wav").open("rb") as fh:
        lib = Library(tmp_path / "data")
        try:
            entry = lib.wait(lib.add_upload("Nocturne.wav", fh).id, timeout=300)
        finally:
            lib.close()
    assert entry.status == "failed"
    # named by its title, not by the hash it is stored under
    assert entry.error.startswith("Nocturne: no steady beat found"), entry.error
    assert "free in time" in entry.error and str(tmp_path) not in entry.error


def test_unknown_backend() -> None:
    with pytest.raises(BackendUnavailableError, match=r"unknown backend 'nope'.*madmom"):
        analyze(demo_song_path(), backend="nope")


@pytest.mark.parametrize("one", [0, 1, 2, 3])
def test_the_librosa_backend_puts_bar_one_where_the_drums_play_it(one: int) -> None:
    """The same clicks on every beat (no cue in the audio), the drums' activations with
    the kick on one beat of four and the snare two beats later: bar 1 is on the kick."""
    from onebeat.analysis._librosa import LibrosaBackend
    from onebeat.analysis.drums import DRUM_CLASSES, FPS
    from onebeat.analysis.meter import infer_bars

    sr = 22050
    y, _ = click_track(sr=sr, duration=20.0, bpm=120.0)
    backend = LibrosaBackend()
    plain = backend.track(y=y[0].astype(np.float32), sr=sr, progress=lambda step: None)
    beats = plain.beats
    drums = np.zeros((round(21 * FPS), len(DRUM_CLASSES)), np.float32)
    for k, t in enumerate(beats):
        cls = {one: "kick", (one + 2) % 4: "snare"}.get(k % 4)
        if cls is not None:
            drums[round(t * FPS), DRUM_CLASSES.index(cls)] = 0.9
    heard = backend.track(y=y[0].astype(np.float32), sr=sr, progress=lambda step: None, drums=drums)
    assert np.array_equal(heard.beats, beats)
    bars = infer_bars(salience=heard.downbeat_salience)
    firsts = np.flatnonzero(np.asarray(bars.positions) == 1)
    assert bars.beats_per_bar == 4
    assert set(firsts % 4) == {one}
