"""Progress over days from the session database."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from onebeat.engine.loop import LoopPlan
from onebeat.insight import progress
from onebeat.session import SessionStore, SongRef
from onebeat.simulate.players import ModelPlayer, groove_chart, model_offsets, play_chart

SONG = SongRef("Groove", "/songs/groove.ogg", "ab" * 32)


def test_progress_lines_bests_and_loops(tmp_path: Path) -> None:
    chart = groove_chart(16)
    rng = np.random.default_rng(0)
    with SessionStore(tmp_path / "db.sqlite3") as store:
        for day, sd in enumerate([40.0, 30.0, 20.0, 25.0]):  # ana gets tighter, then slips
            offs = model_offsets(chart, ModelPlayer("ana", 0.0, sd), rng)
            offs[: 10 - 2 * day] = np.nan
            ben = model_offsets(chart, ModelPlayer("ben", 5.0, 30.0), rng)
            play_chart(
                chart,
                {"ana": offs, "ben": ben},
                store=store,
                song=SONG,
                created=f"2026-11-{10 + day:02d}T18:00:00.000+00:00",
            )
        loop = LoopPlan.from_chart(chart, 5, 6).chart  # a loop of bars 5–6, twice on day 4
        for k in range(2):
            offs = model_offsets(loop, ModelPlayer("ana", 0.0, 10.0), rng)
            play_chart(
                loop,
                {"ana": offs},
                store=store,
                song=SONG,
                created=f"2026-11-13T18:0{k + 1}:00.000+00:00",
            )
        lines = progress(store.takes())
        only_ana = progress(store.takes("ana"))
    ana = [ln for ln in lines if ln.player == "ana"]
    assert [ln.player for ln in only_ana] == ["ana", "ana"]
    whole = next(ln for ln in ana if ln.whole)
    looped = next(ln for ln in ana if not ln.whole)
    assert (whole.first_bar, whole.last_bar, len(whole.points)) == (2, 17, 4)
    assert (looped.first_bar, looped.last_bar, len(looped.points)) == (5, 6, 2)
    assert looped.label == "Groove, level 3, bars 5–6" and whole.label == "Groove, level 3"
    sds = [p.sd_ms for p in whole.points]
    assert sds[0] > sds[1] > sds[2] < sds[3]
    bests = whole.bests()
    assert bests["spread"] is whole.points[2]
    assert bests["accuracy"] in whole.points[2:]  # fewer misses and tighter
    third = whole.points[2].session_id
    assert "spread" in whole.new_bests(third)
    assert whole.new_bests(whole.points[0].session_id) == []  # nothing to beat yet
    assert [d[0] for d in whole.daily()] == ["2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13"]
    d = whole.to_dict()
    assert d["bests"]["spread"] == third and len(d["points"]) == 4
