"""Drums down (issue 27): the song without its drums, its drums alone, the levels between,
song folders' own stems, and the command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from onebeat.analysis import drumless
from onebeat.analysis.drums import DRUM_CLASSES
from onebeat.analysis.drums import FPS as DRUM_FPS
from onebeat.chart.clonehero import folder_audio, has_drum_stems
from onebeat.cli import main
from onebeat.errors import InputError

SR = 44100


def _song(seconds: float = 6.0, clicks: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)):
    """A chord held throughout (the band) and sharp noise bursts (the drums), apart."""
    t = np.arange(round(seconds * SR)) / SR
    band = 0.1 * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    rng = np.random.default_rng(0)
    drums = np.zeros_like(t)
    for c in clicks:
        a = round(c * SR)
        n = round(0.08 * SR)
        drums[a : a + n] += 0.15 * rng.normal(0, 1, n) * np.exp(-np.arange(n) / (0.015 * SR))
    return band.astype(np.float32), drums.astype(np.float32)


def _activations(seconds: float, clicks: tuple[float, ...], cls: str = "snare") -> np.ndarray:
    act = np.zeros((round(seconds * DRUM_FPS), len(DRUM_CLASSES)), np.float32)
    for c in clicks:
        act[round(c * DRUM_FPS), DRUM_CLASSES.index(cls)] = 0.95
    return act


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def test_the_drums_come_out_where_the_transcription_hears_them() -> None:
    clicks = (1.0, 2.0, 3.0, 4.0)
    band, drums = _song(clicks=clicks)
    mix = band + drums
    rest, heard = drumless.split_drums(mix, SR, _activations(6.0, clicks), DRUM_FPS)
    assert rest.shape == mix.shape and heard.shape == mix.shape
    np.testing.assert_allclose(rest + heard, mix, atol=1e-5)  # they add back up to the song
    # the drumless song is nearer the band than the song was, and the drums nearer the drums
    assert _corr(rest, band) > _corr(mix, band)
    assert _corr(heard, drums) > 0.5
    # the held chord between the strokes is left alone
    quiet = slice(round(1.5 * SR), round(1.9 * SR))
    np.testing.assert_allclose(rest[quiet], mix[quiet], atol=0.02)


def test_nothing_is_taken_where_no_drum_was_heard() -> None:
    band, drums = _song()
    mix = band + drums
    silent = np.zeros((round(6.0 * DRUM_FPS), len(DRUM_CLASSES)), np.float32)
    rest, heard = drumless.split_drums(mix, SR, silent, DRUM_FPS)
    assert float(np.max(np.abs(heard))) < 1e-4
    np.testing.assert_allclose(rest, mix, atol=1e-4)


def test_stereo_songs_and_songs_longer_than_a_block_keep_their_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(drumless, "BLOCK_S", 2.0)  # 6 s in three blocks, with context
    clicks = (0.5, 1.9, 2.1, 4.0, 5.5)
    band, drums = _song(clicks=clicks)
    stereo = np.vstack([band + drums, 0.5 * (band + drums)])
    rest, heard = drumless.split_drums(stereo, SR, _activations(6.0, clicks), DRUM_FPS)
    assert rest.shape == stereo.shape
    np.testing.assert_allclose(rest + heard, stereo, atol=1e-5)
    whole, _ = drumless.split_drums(stereo, SR, _activations(6.0, clicks), DRUM_FPS)
    monkeypatch.setattr(drumless, "BLOCK_S", 60.0)
    one_block, _ = drumless.split_drums(stereo, SR, _activations(6.0, clicks), DRUM_FPS)
    # blocks with their context give the song as one block does
    np.testing.assert_allclose(whole, one_block, atol=2e-3)


def test_a_level_not_known_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError, match="song drums: 'loud'"):
        drumless.drum_level("loud")


def test_song_at_level_full_is_the_song_and_off_is_made_once(tmp_path: Path) -> None:
    band, drums = _song()
    path = tmp_path / "song.wav"
    sf.write(path, band + drums, SR)
    assert drumless.song_at_level(path, "full") == path
    off = drumless.song_at_level(path, "off")
    assert off != path and off.is_file()
    mtime = off.stat().st_mtime_ns
    assert drumless.song_at_level(path, "off") == off and off.stat().st_mtime_ns == mtime
    guide = drumless.song_at_level(path, "guide")
    y, _ = sf.read(path)
    g, _ = sf.read(guide)
    o, _ = sf.read(off)
    n = min(len(y), len(g), len(o))
    # the guide lies between: quieter drums than the song, more than none
    assert np.std(y[:n] - o[:n]) > np.std(g[:n] - o[:n]) > 0.0


def test_a_song_folder_with_drum_stems_is_mixed_without_them(tmp_path: Path) -> None:
    band, drums = _song()
    folder = tmp_path / "Song"
    folder.mkdir()
    sf.write(folder / "song.wav", band, SR)
    sf.write(folder / "drums.wav", drums, SR)
    assert has_drum_stems(folder)
    full = folder_audio(folder)
    out = folder_audio(folder, drums=0.0)
    assert full is not None and out is not None and out != full
    y, _ = sf.read(out)
    n = min(len(y), len(band))
    assert _corr(y[:n], band[:n]) > 0.99  # the band alone (Vorbis-coded)
    # the command too: no separation, the game's own stems
    code = main(
        [
            "drumless",
            str(folder),
            "-o",
            str(tmp_path / "band.wav"),
            "--drums-only",
            str(tmp_path / "drums.wav"),
        ]
    )
    assert code == 0
    d, _ = sf.read(tmp_path / "drums.wav")
    assert _corr(d[: len(drums)], drums[: len(d)]) > 0.8  # noise bursts, Vorbis-coded


def test_the_command_writes_the_song_without_its_drums(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    band, drums = _song()
    path = tmp_path / "song.wav"
    sf.write(path, band + drums, SR)
    out, only = tmp_path / "out.flac", tmp_path / "drums.flac"
    assert main(["drumless", str(path), "-o", str(out), "--drums-only", str(only)]) == 0
    said = capsys.readouterr().out
    assert "without its drums" in said and "per second of audio" in said
    rest, _ = sf.read(out)
    alone, _ = sf.read(only)
    mix = band + drums
    np.testing.assert_allclose(rest + alone, mix[: len(rest)], atol=2e-4)  # 16-bit files
    assert main(["drumless", str(path), "-o", str(tmp_path / "x.mp3")]) == 1
    assert "x.mp3: drumless writes .wav, .flac, .ogg" in capsys.readouterr().err
    assert not (tmp_path / "x.mp3").exists()
