"""How fast the judge is: hits per second and per-hit latency.

A 4-minute Expert-like chart (sixteenth hi-hats, kick and snare, 150 BPM: 3,000 notes)
played by two players with human timing noise, wrong pads and extra hits. Prints hits
judged per second for the whole take (pushed at once, then one ``update`` per hit as in
live play) and the p50/p99 time of one push+update. Targets (issue 4): ≥ 200,000 hits/s
and p99 ≤ 50 µs per hit in CPython. Reference in the same run: the cost of a bare
``bisect`` over the note times per hit, the least any matcher must do.

Then the same live take recorded into a session database (SQLite, WAL) as ``onebeat``
plays: the hits and judgments committed on the recorder's own thread
(``onebeat.session.writer``), beside the reference measured in the same run, each hit and
judgment committed on the judge's thread before the next hit (as onebeat did before):
hits per second and p50/p99 per hit as the judge sees it. And at a fast duet's pace on
the clock (500 hits a second): the judge's p99 and how long after its judgment each hit
was saved. Target (issue 30): the recorder's p99 ≤ 1 ms as the judge sees it.

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


#: The live check's pace: a fast duet (two players' sixteenths at 190 BPM and more).
PACE_HITS_PER_S = 500
PACE_S = 4.0
POLL_S = 0.0002


def at_playing_pace(hits: list[Hit], rec: Recorder) -> tuple[np.ndarray, np.ndarray]:
    """Hits taken at a player's pace (one every 1/PACE_HITS_PER_S s, on the clock): per
    hit, the judge's time [µs] and how long after it the recorder had saved it [ms]."""
    take = hits[: int(PACE_HITS_PER_S * PACE_S)]
    gap = 1.0 / PACE_HITS_PER_S
    lat = np.empty(len(take))
    judged_at = np.empty(len(take))
    saved_at = np.full(len(take), np.nan)
    start = time.perf_counter()
    n_saved = 0
    for i, h in enumerate(take):
        # idle until the hit's moment (as the app's event loop waits on the network),
        # noting every 0.2 ms what has been saved
        while (now := time.perf_counter()) < start + i * gap:
            n_saved = _saved(rec, saved_at, n_saved, now)
            time.sleep(POLL_S)
        t0 = time.perf_counter_ns()
        rec.hit(h)
        rec.update(h.time)
        lat[i] = (time.perf_counter_ns() - t0) / 1000.0
        judged_at[i] = time.perf_counter()
    while n_saved < len(take):
        n_saved = _saved(rec, saved_at, n_saved, time.perf_counter())
        time.sleep(POLL_S)
    rec.finish()
    return lat, (saved_at - judged_at) * 1000.0


def _saved(rec: Recorder, saved_at: np.ndarray, n_saved: int, now: float) -> int:
    n = rec.saved_hits
    saved_at[n_saved:n] = now
    return max(n, n_saved)


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

    def new_session() -> Session:
        return Session(
            chart=chart,
            settings=judge.settings,
            players=[PlayerInfo("lead", "midi"), PlayerInfo("new", "keyboard")],
            song=SongRef("bench"),
        )

    with tempfile.TemporaryDirectory() as tmp, SessionStore(Path(tmp) / "s.sqlite3") as store:
        # reference, as onebeat recorded before: each hit and judgment committed on the
        # judge's thread before the next hit is taken
        inline = Recorder(new_session())
        sid = inline.session.id
        store.create(inline.session)

        def inline_hit(h: Hit) -> None:
            inline.hit(h)
            store.add_hits(sid, inline.session.hits[-1:])

        def inline_update(t: float) -> None:
            start = len(inline.session.judgments)
            js = inline.update(t)
            if js:
                store.add_judgments(sid, start, js)

        ref_lat = per_hit_us(hits, inline_hit, inline_update)
        rec = Recorder(new_session(), store)
        rec_lat = per_hit_us(hits, rec.hit, rec.update)
        t0 = time.perf_counter()
        rec.finish()
        drain_ms = (time.perf_counter() - t0) * 1000
        kept = store.count_hits(rec.session.id)
        pace_lat, lag_ms = at_playing_pace(hits, Recorder(new_session(), store))
    for label, lat in (
        ("committed on the judge's thread (reference)", ref_lat),
        ("on the recorder's own thread", rec_lat),
    ):
        print(
            f"recorded to SQLite, {label}: {len(hits) / (lat.sum() / 1e6):8,.0f} hits/s, "
            f"p50 {np.percentile(lat, 50):.0f} µs, p99 {np.percentile(lat, 99):.0f} µs "
            f"({np.percentile(lat, 99) / np.percentile(lat, 50):.0f}× its p50)"
        )
    print(f"  the take's end waited {drain_ms:.1f} ms for the last writes; {kept} hits stored")
    print(
        f"  at a duet's pace ({PACE_HITS_PER_S} hits/s for {PACE_S:g} s): judge p99 "
        f"{np.percentile(pace_lat, 99):.0f} µs; a hit saved p50 "
        f"{np.percentile(lag_ms, 50):.2f} ms, p99 {np.percentile(lag_ms, 99):.2f} ms, "
        f"at most {lag_ms.max():.2f} ms after it was judged"
    )
    print("target: recorder p99 ≤ 1 ms as the judge sees it")
    for p in judge.players:
        s = judge.stats(p)
        print(
            f"  {p:5s} accuracy {s.accuracy:.3f}, mean {s.mean_offset_ms:+.1f} ms, "
            f"sd {s.sd_offset_ms:.1f} ms, extra {s.extra}, wrong pad {s.wrong_pad}"
        )


if __name__ == "__main__":
    main()
