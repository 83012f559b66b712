"""How fast the judge is: hits per second and per-hit latency.

A 4-minute Expert-like chart (sixteenth hi-hats, kick and snare, 150 BPM: 3,000 notes)
played by two players with human timing noise, wrong pads and extra hits. Prints hits
judged per second for the whole take (pushed at once, then one ``update`` per hit as in
live play) and the p50/p99 time of one push+update. Targets (issue 4): ≥ 200,000 hits/s
and p99 ≤ 50 µs per hit in CPython. Reference in the same run: the cost of a bare
``bisect`` over the note times per hit, the least any matcher must do.

Then the same live take recorded into a session database (SQLite, WAL, one commit per
hit and one per batch of judgments, as ``onebeat`` plays): hits per second and p50/p99
per hit, against the judge alone above.

Usage: .venv/bin/python bench/engine_throughput.py
"""

from __future__ import annotations

import bisect
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.chart import Chart, Note  # noqa: E402
from onebeat.engine import Hit, Judge  # noqa: E402
from onebeat.kit import DrumPiece  # noqa: E402
from onebeat.session import PlayerInfo, Recorder, Session, SessionStore, SongRef  # noqa: E402


def expert_chart(minutes: float = 4.0, bpm: float = 150.0) -> Chart:
    spb = 60.0 / bpm
    n_beats = int(minutes * 60 / spb)
    beats = 0.5 + np.arange(n_beats + 1) * spb
    notes = []
    for k in range(n_beats):
        for s in range(4):
            t = float(beats[k] + s * spb / 4)
            notes.append(Note(t, k + s / 4, DrumPiece.HIHAT_CLOSED, 90))
            if s == 0:
                piece = DrumPiece.KICK if k % 2 == 0 else DrumPiece.SNARE
                notes.append(Note(t, float(k), piece, 110))
    return Chart(tuple(notes), beats, np.arange(len(beats)) % 4 + 1, 4, level=5)


def takes(chart: Chart, rng: np.random.Generator) -> list[Hit]:
    hits = []
    for player, sd in (("lead", 0.008), ("new", 0.03)):
        for n in chart.notes:
            piece = n.piece if rng.random() > 0.03 else DrumPiece.TOM_MID
            hits.append(Hit(player, n.time + rng.normal(0, sd), piece, 100))
        for t in rng.uniform(0, chart.notes[-1].time, len(chart.notes) // 20):
            hits.append(Hit(player, float(t), DrumPiece.SNARE, 80))
    hits.sort(key=lambda h: h.time)
    return hits


def per_hit_us(
    hits: list[Hit], push: Callable[[Hit], object], update: Callable[[float], object]
) -> np.ndarray:
    """Time [µs] of taking each hit and judging up to it, as in live play."""
    lat = np.empty(len(hits))
    for i, h in enumerate(hits):
        t0 = time.perf_counter_ns()
        push(h)
        update(h.time)
        lat[i] = (time.perf_counter_ns() - t0) / 1000.0
    return lat


def main() -> None:
    rng = np.random.default_rng(0)
    chart = expert_chart()
    hits = takes(chart, rng)
    print(f"chart: {len(chart.notes)} notes, 4 min; take: {len(hits)} hits from 2 players")

    best = float("inf")
    for _ in range(3):
        judge = Judge(chart, players=["lead", "new"])
        start = time.perf_counter()
        for h in hits:
            judge.push(h)
        judge.finish()
        best = min(best, time.perf_counter() - start)
    batch_rate = len(hits) / best

    judge = Judge(chart, players=["lead", "new"])
    lat = per_hit_us(hits, judge.push, judge.update)
    judge.finish()
    live_rate = len(hits) / (lat.sum() / 1e6)

    times = [n.time for n in chart.notes]
    ref_start = time.perf_counter()
    for h in hits:
        bisect.bisect_left(times, h.time)
    ref = (time.perf_counter() - ref_start) / len(hits) * 1e6

    print(f"batch (push all, one finish): {batch_rate:12,.0f} hits/s")
    print(f"live  (push + update per hit): {live_rate:11,.0f} hits/s")
    print(
        f"per hit live: p50 {np.percentile(lat, 50):6.1f} µs, p99 {np.percentile(lat, 99):6.1f} µs"
    )
    print(
        f"reference: one bisect per hit {ref:.2f} µs; live p50 / reference = "
        f"{np.percentile(lat, 50) / ref:.0f}×"
    )
    print("targets: ≥ 200,000 hits/s, p99 ≤ 50 µs")

    with tempfile.TemporaryDirectory() as tmp, SessionStore(Path(tmp) / "s.sqlite3") as store:
        session = Session(
            chart=chart,
            settings=judge.settings,
            players=[PlayerInfo("lead", "midi"), PlayerInfo("new", "keyboard")],
            song=SongRef("bench"),
        )
        rec = Recorder(session, store)
        rec_lat = per_hit_us(hits, rec.hit, rec.update)
        rec.finish()
        kept = store.count_hits(session.id)
    print(
        f"recorded to SQLite (commit per hit): {len(hits) / (rec_lat.sum() / 1e6):8,.0f} hits/s, "
        f"p50 {np.percentile(rec_lat, 50):.0f} µs, p99 {np.percentile(rec_lat, 99):.0f} µs "
        f"({np.percentile(rec_lat, 50) / np.percentile(lat, 50):.0f}× the judge alone); "
        f"{kept} hits stored"
    )
    for p in judge.players:
        s = judge.stats(p)
        print(
            f"  {p:5s} accuracy {s.accuracy:.3f}, mean {s.mean_offset_ms:+.1f} ms, "
            f"sd {s.sd_offset_ms:.1f} ms, extra {s.extra}, wrong pad {s.wrong_pad}"
        )


if __name__ == "__main__":
    main()
