"""The bundled demo song, "First Beat", and its exact ground truth.

Made by scripts/make_demo_song.py (composed in code, rendered with FluidSynth); CC0.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["demo_midi_path", "demo_song_path", "demo_truth"]


def _demo_file(name: str) -> Path:
    return Path(str(resources.files("onebeat").joinpath("data", "demo", name)))


def demo_song_path() -> Path:
    """The demo song's audio (Ogg Vorbis, 44.1 kHz stereo, ~83 s)."""
    return _demo_file("onebeat-demo.ogg")


def demo_midi_path() -> Path:
    """The MIDI the demo song was rendered from (drums on channel 10)."""
    return _demo_file("onebeat-demo.mid")


def demo_truth() -> dict[str, Any]:
    """Ground truth: ``beats``, ``beat_positions``, ``downbeats``, ``tempo_bpm``,
    ``sections`` and ``drum_hits`` (time, GM note, piece, velocity)."""
    truth: dict[str, Any] = json.loads(_demo_file("onebeat-demo.truth.json").read_text())
    return truth
