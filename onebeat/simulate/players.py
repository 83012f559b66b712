"""Model players: takes with a known truth, for tests, benchmarks and the docs' examples.

A model player hits each note with an offset drawn from a normal distribution (mean and
spread, the spread changing linearly over the take when asked), leans early or late on
some pieces, and misses a share of notes. :func:`play_chart` sends such hits through the
real judge and recorder, so what comes out is a session like any played one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from onebeat.chart.model import Chart, Note
from onebeat.engine import Hit, JudgeSettings
from onebeat.kit import DrumPiece
from onebeat.session.model import PlayerInfo, Session, SongRef
from onebeat.session.record import Recorder
from onebeat.session.store import SessionStore

__all__ = ["ModelPlayer", "groove_chart", "model_offsets", "onset_index", "play_chart"]


def groove_chart(
    bars: int, *, bpm: float = 120.0, beats_per_bar: int = 4, section_bars: int = 8
) -> Chart:
    """A rock groove: hi-hat eighths, kick on 1 and 3, snare on 2 and 4, a crash on
    every section's first beat, sections every ``section_bars`` bars; one bar of count-in
    before bar 1 is not charted."""
    period = 60.0 / bpm
    n_beats = (bars + 1) * beats_per_bar + 1
    beats = np.arange(n_beats) * period + period
    positions = np.array([k % beats_per_bar + 1 for k in range(n_beats)])
    notes = []
    for k in range(beats_per_bar, beats_per_bar * (bars + 1)):
        pos = k % beats_per_bar
        t = float(beats[k])
        notes.append(Note(t, float(k), DrumPiece.HIHAT_CLOSED))
        notes.append(Note(t + period / 2, k + 0.5, DrumPiece.HIHAT_CLOSED))
        notes.append(Note(t, float(k), DrumPiece.KICK if pos % 2 == 0 else DrumPiece.SNARE))
    sections = tuple(
        float(b) for b in range(beats_per_bar, len(beats) - 1, section_bars * beats_per_bar)
    )
    return Chart(
        tuple(notes), beats, positions, beats_per_bar, level=3, title="Groove", sections=sections
    )


@dataclass(frozen=True)
class ModelPlayer:
    """A player with known timing.

    Attributes
    ----------
    name : str
    mean_ms : float
        Mean offset [ms] (negative: rushing).
    sd_ms : float
        Spread at the start [ms].
    sd_end_ms : float or None
        Spread at the end (linear in between); None: the same throughout.
    miss : float
        Share of notes not played.
    lean_ms : Mapping of DrumPiece to float
        Added to the mean on those pieces.
    """

    name: str
    mean_ms: float = 0.0
    sd_ms: float = 20.0
    sd_end_ms: float | None = None
    miss: float = 0.0
    lean_ms: Mapping[DrumPiece, float] = field(default_factory=dict)


def model_offsets(chart: Chart, player: ModelPlayer, rng: np.random.Generator) -> np.ndarray:
    """Per chart note, the model's offset [ms], NaN for a note it misses."""
    n = len(chart.notes)
    frac = np.linspace(0.0, 1.0, n)
    end = player.sd_ms if player.sd_end_ms is None else player.sd_end_ms
    sd = player.sd_ms + (end - player.sd_ms) * frac
    lean = np.array([player.lean_ms.get(note.piece, 0.0) for note in chart.notes])
    out = player.mean_ms + lean + sd * rng.standard_normal(n)
    out[rng.random(n) < player.miss] = np.nan
    return out


def onset_index(chart: Chart) -> np.ndarray:
    """Per chart note, the index of its onset (distinct note time)."""
    times = np.round([n.time for n in chart.notes], 6)
    return np.searchsorted(np.unique(times), times)


def play_chart(
    chart: Chart,
    offsets_ms: Mapping[str, np.ndarray],
    *,
    settings: JudgeSettings | None = None,
    store: SessionStore | None = None,
    created: str | None = None,
    song: SongRef | None = None,
) -> Session:
    """Judge and record a take where each player hits each note at its offset [ms, real
    time] (NaN: not played), on the right pad; with a store, it is saved there."""
    settings = settings or JudgeSettings()
    players = [PlayerInfo(name, "file") for name in offsets_ms]
    kw = {"created": created} if created is not None else {}
    session = Session(
        chart=chart,
        settings=settings,
        players=players,
        song=song or SongRef(chart.title),
        **kw,  # type: ignore[arg-type]
    )
    rec = Recorder(session, store)
    hits = []
    for name, offs in offsets_ms.items():
        if len(offs) != len(chart.notes):
            raise ValueError(f"player {name}: {len(offs)} offsets for {len(chart.notes)} notes")
        for note, off in zip(chart.notes, offs, strict=True):
            if math.isfinite(off):
                hits.append(Hit(name, note.time + off / 1000.0 * settings.speed, note.piece, 100))
    rec.hits(sorted(hits, key=lambda h: h.time))
    return rec.finish()
