"""The song's sections named by what repeats: A, B, C…, intro and outro."""

from __future__ import annotations

import numpy as np
import pytest

from onebeat.analysis.sections import TEXTURE_FPS, section_names


def song(parts: str, bars_each: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Texture frames of a song whose parts (one letter each) sound alike when their
    letters are alike, with bar-to-bar noise; 2 s bars."""
    rng = np.random.default_rng(seed)
    sound = {c: rng.normal(0, 3, 25) for c in set(parts)}
    frames, starts = [], []
    for i, c in enumerate(parts):
        starts.append(i * bars_each)
        n = int(bars_each * 2 * TEXTURE_FPS)
        frames.append(sound[c] + rng.normal(0, 0.5, (n, 25)))
    texture = np.vstack(frames).astype(np.float32)
    bar_times = np.arange(len(parts) * bars_each + 1) * 2.0
    return texture, bar_times, starts


@pytest.mark.parametrize(
    ("parts", "names"),
    [
        ("ivcvco", ["intro", "A", "B", "A", "B", "outro"]),
        ("abab", ["A", "B", "A", "B"]),
        ("aabbcb", ["A", "A", "B", "B", "C", "B"]),
        ("ivvo", ["intro", "A", "A", "outro"]),
    ],
)
def test_parts_that_come_back_get_their_letter_again(parts: str, names: list[str]) -> None:
    texture, bar_times, starts = song(parts)
    drums = np.zeros((int(bar_times[-1] * 100), 7), np.float32)
    got = section_names(
        bar_times=bar_times, starts=starts, texture=texture, drum_activations=drums, drum_fps=100.0
    )
    assert got == names


def test_one_section_and_none() -> None:
    texture, bar_times, _ = song("a")
    drums = np.zeros((100, 7), np.float32)
    kw = {"bar_times": bar_times, "texture": texture, "drum_activations": drums, "drum_fps": 100.0}
    assert section_names(starts=[0], **kw) == ["A"]
    assert section_names(starts=[], **kw) == []
