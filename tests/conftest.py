"""Shared fixtures. Paths are anchored to this file, never to the working directory."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test session analyses into its own cache and saves sessions into its own data
    folder, never the user's."""
    monkeypatch.setenv("ONEBEAT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("ONEBEAT_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))


@pytest.fixture
def eval_dir() -> Path:
    if not (EVAL / "synth").is_dir():
        pytest.skip(f"evaluation data not found at {EVAL} (../shared/eval is not part of the repo)")
    return EVAL


def click_track(
    *, sr: int, duration: float, bpm: float = 120.0, channels: int = 1, first: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """A tone bed with a decaying click on every beat: (samples (channels, n), click times)."""
    n = round(duration * sr)
    t = np.arange(n) / sr
    y = 0.05 * np.sin(2 * np.pi * 220.0 * t)
    clicks = np.arange(first, duration - 0.1, 60.0 / bpm)
    burst_len = round(0.03 * sr)
    rng = np.random.default_rng(0)
    burst = rng.standard_normal(burst_len) * np.exp(-np.arange(burst_len) / (0.004 * sr))
    for c in clicks:
        k = round(c * sr)
        seg = min(burst_len, n - k)
        y[k : k + seg] += 0.6 * burst[:seg]
    y = np.clip(y, -1, 1).astype(np.float32)
    return np.tile(y, (channels, 1)), clicks


def parse_source(text: str, path: Path) -> ast.Module:
    """A Python file's syntax tree, for the tests that read the package's own source.
    CPython 3.11 now and then refuses a good file with "SystemError: AST constructor
    recursion depth mismatch" (python/cpython#106905, pytest-dev/pytest#10874: its AST
    builder's depth check, seen in threaded processes; it failed here once in a full run,
    on a file that parses every other time): the file is not at fault, so it is parsed
    again, at most twice more."""
    for attempt in range(3):
        try:
            return ast.parse(text, filename=str(path))
        except SystemError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def song_folder(folder: Path, songs: dict[str, float]) -> Path:
    """A music folder: a 12 s click track per name (at its tempo, BPM; names may hold
    sub-folders) and ``broken.mp3``, a song file that is not one."""
    import soundfile as sf

    for name, bpm in songs.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        y, _ = click_track(sr=22050, duration=12.0, bpm=bpm)
        sf.write(folder / name, y[0], 22050)
    (folder / "broken.mp3").write_bytes(b"ID3" + b"\0" * 64)
    return folder


def encode(path: Path, y: np.ndarray, sr: int, *, codec: str, container: str | None = None) -> Path:
    """Write ``y`` (channels, n) with PyAV's encoders. Opus is always stored at 48 kHz,
    as the format requires."""
    channels = y.shape[0]
    layout = "mono" if channels == 1 else "stereo"
    out_sr = 48000 if codec == "libopus" else sr
    with av.open(str(path), mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=out_sr)
        stream.layout = layout  # type: ignore[union-attr]
        fmt = stream.codec_context.codec.audio_formats[0].name  # type: ignore[union-attr]
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=out_sr)
        block = 4096
        pts = 0
        for start in range(0, y.shape[1], block):
            chunk = np.ascontiguousarray(y[:, start : start + block], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = sr
            frame.pts = pts
            frame.time_base = Fraction(1, sr)
            pts += chunk.shape[1]
            for f in resampler.resample(frame):
                for packet in stream.encode(f):  # type: ignore[union-attr]
                    out.mux(packet)
        for f in resampler.resample(None):
            for packet in stream.encode(f):  # type: ignore[union-attr]
                out.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def demo_songmap() -> Iterator[object]:
    from onebeat.analysis import analyze
    from onebeat.demo import demo_song_path

    yield analyze(demo_song_path(), use_cache=False)


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The web app's song library with the demo song, analysed (its own data folder)."""
    from onebeat.library import Library

    lib = Library(tmp_path_factory.mktemp("lib"))
    lib.wait(lib.songs()[0].id, timeout=600)
    yield lib
    lib.close()
