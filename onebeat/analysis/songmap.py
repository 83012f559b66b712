"""The SongMap: a song's beats, bars and tempo, as a versioned, validated JSON file.

Format (version 1) is the JSON Schema ``songmap.schema.json`` beside this module,
documented in docs/songmap.md. Other tools can read the top-level ``beats``,
``downbeats`` (arrays of seconds) and ``tempo_bpm`` without knowing the rest.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np

from onebeat._io import atomic_write_text
from onebeat.errors import SongMapError

__all__ = ["SONGMAP_FORMAT", "SONGMAP_VERSION", "SongMap", "songmap_schema"]

SONGMAP_FORMAT = "onebeat.songmap"
SONGMAP_VERSION = 1


@lru_cache(maxsize=1)
def songmap_schema() -> dict[str, Any]:
    """The JSON Schema of the current SongMap version."""
    text = resources.files("onebeat.analysis").joinpath("songmap.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True)
class SongMap:
    """Where a song's beats and bars are. Times in seconds of song time."""

    audio: dict[str, Any]
    analysis: dict[str, Any]
    tempo_bpm: float
    beats_per_bar: int
    meter_confidence: float
    beats: np.ndarray
    beat_positions: np.ndarray
    beat_confidence: np.ndarray
    tempo_times: np.ndarray
    tempo_curve_bpm: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)
    #: Per bar (one per downbeat), how sure the analysis is that the bar starts there
    #: (:func:`onebeat.analysis.meter.bar_confidence`); None where unknown (a SongMap
    #: written before it was kept, or bars the player moved by hand).
    bar_confidence: np.ndarray | None = None

    # --- derived -------------------------------------------------------------------
    @property
    def downbeats(self) -> np.ndarray:
        """Times of the first beat of each bar [s]."""
        return np.asarray(self.beats[self.beat_positions == 1])

    @property
    def time_signature(self) -> str:
        return f"{self.beats_per_bar}/4"

    @property
    def first_beat(self) -> float:
        return float(self.beats[0])

    @property
    def last_beat(self) -> float:
        return float(self.beats[-1])

    @property
    def duration(self) -> float:
        return float(self.audio["duration_s"])

    # --- JSON ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this SongMap (schema version 1)."""

        def r6(a: np.ndarray) -> list[float]:  # microsecond precision
            return [round(float(x), 6) for x in a]

        return {
            "format": SONGMAP_FORMAT,
            "version": SONGMAP_VERSION,
            "audio": dict(self.audio),
            "analysis": dict(self.analysis),
            "tempo_bpm": round(float(self.tempo_bpm), 3),
            "meter": {
                "beats_per_bar": int(self.beats_per_bar),
                "time_signature": self.time_signature,
                "confidence": round(float(self.meter_confidence), 3),
                **(
                    {}
                    if self.bar_confidence is None
                    else {"bar_confidence": [round(float(c), 3) for c in self.bar_confidence]}
                ),
            },
            "beats": r6(self.beats),
            "beat_positions": [int(p) for p in self.beat_positions],
            "beat_confidence": [round(float(c), 3) for c in self.beat_confidence],
            "downbeats": r6(self.downbeats),
            "tempo_curve": {
                "times": r6(self.tempo_times),
                "bpm": [round(float(x), 3) for x in self.tempo_curve_bpm],
            },
            "first_beat": round(self.first_beat, 6),
            "last_beat": round(self.last_beat, 6),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the SongMap as JSON, atomically (never a half-written file)."""
        atomic_write_text(path, self.to_json())

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "SongMap") -> SongMap:
        """Validate a JSON object against the schema and the SongMap's own rules.

        Raises
        ------
        SongMapError
            With a one-line message naming ``source`` and the offending field.
        """
        if (
            isinstance(data, dict)
            and data.get("format") == SONGMAP_FORMAT
            and data.get("version") != SONGMAP_VERSION
        ):
            raise SongMapError(
                f"{source}: SongMap version {data.get('version')!r} is not supported "
                f"(this onebeat reads version {SONGMAP_VERSION}); analyse the song again"
            )
        try:
            jsonschema.validate(data, songmap_schema())
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
            raise SongMapError(f"{source}: invalid SongMap at {where}: {exc.message}") from None
        beats = np.asarray(data["beats"], dtype=float)
        positions = np.asarray(data["beat_positions"], dtype=int)
        conf = np.asarray(data["beat_confidence"], dtype=float)
        m = int(data["meter"]["beats_per_bar"])
        if len(positions) != len(beats) or len(conf) != len(beats):
            raise SongMapError(
                f"{source}: beats, beat_positions and beat_confidence differ in length"
            )
        if np.any(np.diff(beats) <= 0):
            raise SongMapError(f"{source}: beats are not strictly increasing")
        if np.any(positions > m):
            raise SongMapError(f"{source}: beat_positions exceed meter.beats_per_bar ({m})")
        downbeats = np.asarray(data["downbeats"], dtype=float)
        expected = beats[positions == 1]
        if len(downbeats) != len(expected) or not np.allclose(downbeats, expected, atol=1e-6):
            raise SongMapError(f"{source}: downbeats are not the beats at position 1")
        curve = data["tempo_curve"]
        if len(curve["times"]) != len(curve["bpm"]):
            raise SongMapError(f"{source}: tempo_curve times and bpm differ in length")
        return cls(
            audio=dict(data["audio"]),
            analysis=dict(data["analysis"]),
            tempo_bpm=float(data["tempo_bpm"]),
            beats_per_bar=m,
            meter_confidence=float(data["meter"]["confidence"]),
            beats=beats,
            beat_positions=positions,
            beat_confidence=conf,
            tempo_times=np.asarray(curve["times"], dtype=float),
            tempo_curve_bpm=np.asarray(curve["bpm"], dtype=float),
            bar_confidence=_bar_confidence(data["meter"], len(downbeats), source),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SongMap:
        """Read and validate a SongMap JSON file.

        Raises
        ------
        SongMapError
            For a missing, unreadable, non-JSON or invalid file.
        """
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SongMapError(f"{p}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SongMapError(f"{p}: cannot read SongMap ({exc})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SongMapError(f"{p}: not JSON (line {exc.lineno}: {exc.msg})") from None
        return cls.from_dict(data, source=str(p))


def _bar_confidence(meter: dict[str, Any], n_bars: int, source: str) -> np.ndarray | None:
    """A SongMap's per-bar confidence, checked against its bars (absent: None)."""
    if "bar_confidence" not in meter:
        return None
    conf = np.asarray(meter["bar_confidence"], dtype=float)
    if len(conf) != n_bars:
        raise SongMapError(f"{source}: meter.bar_confidence has {len(conf)} bars, not {n_bars}")
    return conf
