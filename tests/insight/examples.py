"""The example takes behind the golden images and the docs' report: fixed seeds, fixed
dates, so every run builds the same sessions (scripts/make_report_examples.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from onebeat.insight.duet import simulate_duet
from onebeat.kit import DrumPiece
from onebeat.session import Session, SessionStore, SongRef
from onebeat.simulate.players import (
    ModelPlayer,
    groove_chart,
    model_offsets,
    onset_index,
    play_chart,
)

SONG = SongRef("Groove in A", "", "5e" * 32)


def duet_history(store: SessionStore) -> Session:
    """Three evenings of a pair playing 48 bars: a seasoned drummer (ana) and a
    first-timer (ben) who follows her, gets tighter each day and drags the kick; the
    last take is returned."""
    chart = groove_chart(48)
    onset = onset_index(chart)
    n = int(onset.max()) + 1
    session = None
    kick = np.array([note.piece is DrumPiece.KICK for note in chart.notes])
    for day, spread in enumerate([2.2, 1.6, 1.0]):
        a, b = simulate_duet(n, (0.1, 0.5), (0.2, 0.1), sigma_t_ms=(6.0, 9.0 * spread), seed=day)
        ben = b[onset] + 5.0 + 25.0 * kick  # his foot lands late
        ben[np.random.default_rng(day).random(len(ben)) < 0.06 / (day + 1)] = np.nan
        session = play_chart(
            chart,
            {"ana": a[onset], "ben": ben},
            store=store,
            song=SONG,
            created=f"2026-11-{20 + day:02d}T19:30:00.000+00:00",
        )
    assert session is not None
    return session


def solo_take() -> Session:
    """One player whose spread falls from 40 to 15 ms over 32 bars, rushing a little."""
    chart = groove_chart(32)
    offs = model_offsets(
        chart, ModelPlayer("dee", -12.0, 40.0, 15.0, miss=0.04), np.random.default_rng(11)
    )
    return play_chart(chart, {"dee": offs}, song=SONG, created="2026-11-23T17:00:00.000+00:00")


def build(tmp: Path) -> tuple[Session, Session, SessionStore]:
    store = SessionStore(tmp / "examples.sqlite3")
    return duet_history(store), solo_take(), store
