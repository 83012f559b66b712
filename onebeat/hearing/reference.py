"""The song as the microphone hears it: its band energies, to gate it out of the signal."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import maximum_filter1d

from onebeat.hearing.bands import (
    BLEED_SPREAD_MEASURED_S,
    BLEED_SPREAD_S,
    N_BANDS,
    _band_energy,
    _sizes,
)

__all__ = ["Reference"]


@dataclass(frozen=True)
class Reference:
    """The audio being played to the room (the song, at the speed it plays), so that a
    listener can take its bleed out of the microphone.

    Attributes
    ----------
    y : np.ndarray
        Mono samples as played (a slowed song is the stretched audio) at ``sr``.
    sr : int
    speed : float
        Song seconds per second of ``y`` (0.7 for a song played at 70 %).
    delay_s : float
        How much later the microphone hears the audio than its song time says [s]
        (0 after a latency calibration; an offline alignment folds it into the times).
    """

    y: np.ndarray
    sr: int
    speed: float = 1.0
    delay_s: float = 0.0
    # the band energies, worked out once: shared by the copies ``dataclasses.replace``
    # makes (a room gives each microphone the song at its own delay)
    _tables: dict[str, np.ndarray] = field(
        default_factory=dict, repr=False, compare=False, kw_only=True
    )

    def _table(self, name: str) -> np.ndarray:
        t = self._tables.get(name)
        if t is not None:
            return t
        if name == "energies":
            hop, frame, _, _ = _sizes(self.sr)
            y = np.asarray(self.y, dtype=np.float32)
            n = max(0, (len(y) - frame) // hop + 1)
            idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
            t = (
                np.concatenate(
                    [_band_energy(y[idx[i : i + 4096]], self.sr) for i in range(0, n, 4096)]
                )
                if n
                else np.zeros((0, N_BANDS))
            )
        elif name == "log":
            t = np.log10(self._table("energies") + 1e-12)
        else:
            hop = _sizes(self.sr)[0]
            spread_s = BLEED_SPREAD_S if name == "wide" else BLEED_SPREAD_MEASURED_S
            size = 2 * round(spread_s * self.sr / hop) + 1
            t = maximum_filter1d(self._table("energies"), size=size, axis=0, mode="nearest")
        t = np.asarray(t, dtype=np.float32)  # a song's worth: 12 MB a table, not 24
        self._tables[name] = t
        return t

    @property
    def bands(self) -> np.ndarray:
        """The reference's band energies, one frame per hop, spread over ±BLEED_SPREAD_S
        (for a delay known only roughly)."""
        return self._table("wide")

    @property
    def measured_bands(self) -> np.ndarray:
        """The same, spread over ±BLEED_SPREAD_MEASURED_S (for a measured delay)."""
        return self._table("measured")

    @property
    def log_energies(self) -> np.ndarray:
        """The band energies as they are, log10."""
        return self._table("log")

    @property
    def nbytes(self) -> int:
        """Memory it holds: its samples and the tables worked out so far [bytes]."""
        return int(self.y.nbytes) + sum(int(t.nbytes) for t in self._tables.values())

    def prepare(self) -> Reference:
        """Work out every table now (rather than on a stream's first frames)."""
        for name in ("wide", "measured", "log"):
            self._table(name)
        return self

    def index(self, song_t: np.ndarray) -> np.ndarray:
        """The reference frame played at these song times (the microphone hears it
        ``delay_s`` later); not bounded to the reference's length."""
        hop, frame, _, _ = _sizes(self.sr)
        pos = np.asarray(song_t) / self.speed * self.sr - frame / 2
        return np.asarray(np.round(pos / hop).astype(int))
