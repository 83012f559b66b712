"""A kit's sound: the strokes heard, and the profile that names them."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from onebeat.errors import InputError
from onebeat.hearing.bands import (
    CORE_PIECES,
    N_BANDS,
    PAIR_RISE,
    STRONG_RISE,
)
from onebeat.kit import DrumPiece

__all__ = ["HeardHit", "KitProfile", "default_profile"]


@dataclass(frozen=True)
class HeardHit:
    """A stroke the microphone heard.

    Attributes
    ----------
    time : float
        Song time of the attack [s] (as the listener's clock put it, before calibration).
    pieces : tuple of DrumPiece
        What was struck, most likely first (two for kick and hi-hat together).
    velocity : int
        1–127, from the stroke's loudness against the loudest strokes heard.
    strength : float
        The detection function's peak (mean rise over bands, log10 energy).
    sample : int
        The attack's sample in the stream.
    decided : int
        The stream's sample count when the stroke was decided (latency = decided - sample).
    features : np.ndarray
        The stroke's log10 band energies (what a :class:`KitProfile` learns from).
    """

    time: float
    pieces: tuple[DrumPiece, ...]
    velocity: int
    strength: float
    sample: int
    decided: int
    features: np.ndarray = field(repr=False, compare=False)


class KitProfile:
    """A kit as a microphone hears it: labelled stroke spectra, and the nearest-neighbour
    rule that names a new stroke from them.

    Strokes of two pieces at once (kick and hi-hat on the beat) are common in a groove
    and rare in a calibration, so the profile also holds made-up pairs: two examples'
    energies added at levels 6 dB apart either way (sounds that do not cancel add in
    energy), labelled with both pieces.

    Parameters
    ----------
    name : str
    pieces : sequence of DrumPiece
        Each example's piece.
    features : np.ndarray, shape (n, N_BANDS)
        Each example's log10 band energies.
    """

    #: Pairs struck together in grooves.
    PAIRS = (
        (DrumPiece.KICK, DrumPiece.HIHAT_CLOSED),
        (DrumPiece.SNARE, DrumPiece.HIHAT_CLOSED),
        (DrumPiece.KICK, DrumPiece.HIHAT_OPEN),
        (DrumPiece.SNARE, DrumPiece.HIHAT_OPEN),
        (DrumPiece.KICK, DrumPiece.CRASH),
        (DrumPiece.SNARE, DrumPiece.CRASH),
        (DrumPiece.KICK, DrumPiece.RIDE),
        (DrumPiece.SNARE, DrumPiece.RIDE),
        (DrumPiece.KICK, DrumPiece.SNARE),
        (DrumPiece.KICK, DrumPiece.TOM_FLOOR),
        (DrumPiece.KICK, DrumPiece.TOM_HIGH),
    )
    K = 1

    def __init__(self, name: str, pieces: Sequence[DrumPiece], features: np.ndarray) -> None:
        x = np.asarray(features, dtype=float)
        if x.ndim != 2 or x.shape[1] != N_BANDS or len(x) != len(pieces) or len(x) == 0:
            raise InputError(f"kit {name!r}: needs examples of {N_BANDS} band energies")
        self.name = name
        self.labels = [DrumPiece(p) for p in pieces]
        self.features = x
        self.kinds = sorted(set(self.labels), key=list(DrumPiece).index)
        labels: list[tuple[DrumPiece, ...]] = [(p,) for p in self.labels]
        rows = list(x)
        rng = np.random.default_rng(0)  # the same made-up pairs every time
        by_kind = {k: x[[p is k for p in self.labels]] for k in self.kinds}
        for a, b in self.PAIRS:
            if a not in by_kind or b not in by_kind:
                continue
            n = max(len(by_kind[a]), len(by_kind[b]))
            for i in range(n):
                fa = by_kind[a][i % len(by_kind[a])]
                fb = by_kind[b][int(rng.integers(len(by_kind[b])))]
                db = (-6.0, 0.0, 6.0)[i % 3]
                both = np.log10(10.0**fa + 10.0 ** (fb + db / 10))
                rows.append(both)
                labels.append((a, b) if db <= 0 else (b, a))
        self._labels = labels
        self._rows = np.stack(rows)
        # each piece's typical spectrum (energy mean), for telling struck from ringing
        self._templates = {
            k: np.log10(np.mean(10.0 ** x[[p is k for p in self.labels]], axis=0))
            for k in self.kinds
        }

    @staticmethod
    def _shape(f: np.ndarray) -> np.ndarray:
        """Spectra (..., N_BANDS) with loudness taken out: relative to the loudest band,
        down to 60 dB under it."""
        return np.asarray(np.maximum(f - np.max(f, axis=-1, keepdims=True), -6.0))

    def classify(self, f: np.ndarray, before: np.ndarray | None = None) -> tuple[DrumPiece, ...]:
        """The pieces of a stroke, the louder first: the labels most of the K nearest
        examples carry (ties: the nearest).

        ``before`` (the band energies of the moment before the stroke, log10) is what was
        already sounding: the last kick's ring, the room. Each example is compared with
        the stroke as it would sound struck over it, at the loudness the bands that rose
        say. A pair is then checked: a piece stays in it only if the bands it owns (where
        it is louder than the other piece, weighted by how much) rose with the stroke. A
        hi-hat struck while the last kick still rings sounds like kick and hi-hat
        together, but only the hi-hat's bands rose."""
        f = np.asarray(f, dtype=float)
        if before is None:
            before = np.full_like(f, -np.inf)
        ring = np.minimum(np.asarray(before, dtype=float), f)  # a ring does not grow
        pieces = self._nearest(f, ring)
        if len(pieces) < 2:
            return pieces
        kept = tuple(p for p in pieces if self._rose(p, pieces, f - ring))
        return kept or pieces[:1]

    def _rose(self, piece: DrumPiece, pieces: tuple[DrumPiece, ...], rise: np.ndarray) -> bool:
        others = np.max([self._templates[q] for q in pieces if q is not piece], axis=0)
        w = np.clip(self._templates[piece] - others, 0.0, 3.0)  # how much the piece owns
        if w.sum() <= 0:
            return True
        return float(np.sum(w * rise) / np.sum(w)) > PAIR_RISE

    def _nearest(self, f: np.ndarray, ring: np.ndarray) -> tuple[DrumPiece, ...]:
        # how loud each example is taken to be: its level against the energy the stroke
        # added, in the bands that rose most (the ring does not hide them)
        rise = f - ring
        strong = rise > STRONG_RISE
        if not strong.any():
            strong = rise >= rise.max()
        with np.errstate(divide="ignore"):
            added = np.log10(np.maximum(10.0**f - 10.0**ring, 0.0))
        gain = np.median(added[strong] - self._rows[:, strong], axis=1)
        heard = np.log10(10.0 ** (self._rows + gain[:, None]) + 10.0**ring)
        d = np.linalg.norm(self._shape(heard) - self._shape(f), axis=1)
        order = np.argsort(d)[: min(self.K, len(d))]
        votes: dict[frozenset[DrumPiece], float] = {}
        first: dict[frozenset[DrumPiece], tuple[DrumPiece, ...]] = {}
        for rank, i in enumerate(order):
            key = frozenset(self._labels[i])
            votes[key] = votes.get(key, 0.0) + 1.0 - 0.01 * rank
            first.setdefault(key, self._labels[i])
        return first[max(votes, key=lambda k: votes[k])]

    def for_part(self, pieces: Iterable[DrumPiece]) -> KitProfile:
        """The kit as a part needs it: its kick, snare and hi-hats always (a stroke on
        the wrong one of those is a wrong pad the player must hear about), its other
        pieces only where the part plays them, so that a stroke is never named as a
        piece the song does not ask for (a hi-hat is not taken for a ride in a part
        with no ride; a drummer riding the ride where the part has the hi-hat is not
        held to it either). A part without a piece of this kit is the whole kit."""
        keep = set(CORE_PIECES) | set(pieces)
        idx = [i for i, p in enumerate(self.labels) if p in keep]
        if len(idx) == len(self.labels) or not idx:
            return self
        return KitProfile(self.name, [self.labels[i] for i in idx], self.features[idx])

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "bands": N_BANDS,
            "pieces": [str(p) for p in self.labels],
            "features": np.round(self.features, 4).tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KitProfile:
        try:
            return cls(
                str(data["name"]),
                [DrumPiece(p) for p in data["pieces"]],
                np.asarray(data["features"], dtype=float),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"kit profile: {exc}") from None

    @classmethod
    def read(cls, path: Path) -> KitProfile:
        """A kit profile saved as JSON (``onebeat kit``, or a player's calibration).

        Raises
        ------
        InputError
            One line naming the file, when it cannot be read or is not a kit profile.
        """
        try:
            return cls.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, InputError) as exc:
            raise InputError(f"{path}: not a kit profile ({exc})") from None


@functools.cache
def default_profile() -> KitProfile:
    """The profile onebeat ships: strokes of five General MIDI soundfont kits through
    simulated rooms and microphones (``scripts/make_kit_profile.py``). A kit's own
    calibration (:func:`learn_kit`) knows it better."""
    text = resources.files("onebeat.data").joinpath("kit_profile.json").read_text()
    return KitProfile.from_json(json.loads(text))
