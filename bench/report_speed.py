"""How fast a take becomes a report, a card, audio and video.

A 4-minute two-player session (120 BPM, hi-hat eighths over kick and snare: 1,440 notes
per player, 960 strokes for the duet model) played by a simulated pair with known
phase-correction gains (0.2 and 0.6). Prints:

- the report (every statistic, the pair's bGLS fit with a 100-duet parametric bootstrap,
  progress over days from a database of five earlier takes), the HTML page with its
  plots and the summary card, in seconds (target ≤ 3 s); reference in the same run: the
  session replayed (judged again from its hits), the least any look at a take costs;
- the audio export (the song decoded, every hit rendered, panned and mixed, written as
  Ogg Vorbis) as a multiple of real time (target ≥ 10×); reference: decoding the song;
- the video export of the first 30 s (1280 × 720, 30 fps, H.264) as a multiple of real
  time (no target: it runs as a batch job after the take).

Usage: .venv/bin/python bench/report_speed.py [--no-video]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.audio.decode import load_audio  # noqa: E402
from onebeat.insight.duet import simulate_duet  # noqa: E402
from onebeat.insight.media import write_take_audio, write_take_video  # noqa: E402
from onebeat.insight.render import card_png, report_html  # noqa: E402
from onebeat.insight.report import build_report  # noqa: E402
from onebeat.session import Session, SessionStore, SongRef, replay  # noqa: E402
from onebeat.simulate.players import groove_chart, onset_index, play_chart  # noqa: E402

SR = 44100


def song(path: Path, seconds: float) -> Path:
    """A stand-in song: a chord and filtered noise, stereo, as FLAC."""
    rng = np.random.default_rng(0)
    t = np.arange(round(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * f * t) for f in (110.0, 138.6, 164.8)) / 3
    noise = np.convolve(rng.standard_normal(len(t)), np.ones(8) / 8, "same")
    y = 0.2 * tone + 0.05 * noise
    sf.write(path, np.stack([y, y * 0.9]).T, SR)
    return path


def timed(fn: Callable[[], object], runs: int = 3) -> float:
    """Median wall time of ``fn`` [s]."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sessions(store: SessionStore, audio: Path) -> Session:
    chart = groove_chart(120)
    onset = onset_index(chart)
    ref = SongRef("Bench song", str(audio), "be" * 32)
    last = None
    for day in range(6):
        a, b = simulate_duet(int(onset.max()) + 1, (0.2, 0.6), (0.1, 0.1), seed=day)
        last = play_chart(
            chart,
            {"lead": a[onset], "new": b[onset] + 5.0},
            store=store,
            song=ref,
            created=f"2026-11-{10 + day:02d}T20:00:00.000+00:00",
        )
    assert last is not None
    return last


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-video", action="store_true", help="skip the video export")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        audio = song(tmp / "song.flac", 243.0)
        with SessionStore(tmp / "bench.sqlite3") as store:
            session = sessions(store, audio)
            minutes = session.chart.notes[-1].time / 60

            def report() -> None:
                r = build_report(session, store=store)
                report_html(r)
                card_png(r)

            report()  # warm: matplotlib's font cache, numpy's first calls
            t_report = timed(report)
            t_build = timed(lambda: build_report(session, store=store))
            t_replay = timed(lambda: replay(session))
            r = build_report(session, store=store)
        fit = r.pair.fit if r.pair is not None else None
        print(f"session: {minutes:.1f} min, 2 players, {len(session.chart.notes)} notes each")
        if fit is not None:
            gains = ", ".join(f"{p.alpha:.2f} ± {p.alpha_se:.2f}" for p in fit.players)
            print(f"  duet gains fitted (true 0.20, 0.60): {gains}")
        print(f"report + HTML + card      {t_report:6.2f} s   (target ≤ 3 s)")
        print(
            f"  of which the figures    {t_build:6.2f} s   (statistics, bGLS + bootstrap, progress)"
        )
        print(
            f"  reference: replay       {t_replay:6.3f} s   "
            f"→ report is {t_report / t_replay:.0f}× a replay"
        )

        length = 0.0

        def export_audio() -> None:
            nonlocal length
            length = write_take_audio(session, tmp / "take.ogg")

        t_audio = timed(export_audio)
        t_decode = timed(lambda: load_audio(audio, sr=SR, mono=False))
        print(
            f"audio export             {length / t_audio:6.1f}× real time   (target ≥ 10×; "
            f"{t_audio:.2f} s for {length:.0f} s)"
        )
        print(f"  reference: decoding the song {length / t_decode:.0f}× real time")

        if not args.no_video:
            chart = groove_chart(15)  # 30 s
            onset = onset_index(chart)
            a, b = simulate_duet(int(onset.max()) + 1, (0.2, 0.6), (0.1, 0.1), seed=9)
            song_30 = tmp / "song30.flac"
            sf.write(song_30, load_audio(audio, sr=SR, mono=False).y[:, : 32 * SR].T, SR)
            short = play_chart(
                chart, {"lead": a[onset], "new": b[onset]}, song=SongRef("Bench", str(song_30))
            )
            t0 = time.perf_counter()
            video_len = write_take_video(short, tmp / "take.mp4")
            t_video = time.perf_counter() - t0
            print(
                f"video export ({video_len:.0f} s)      {video_len / t_video:6.1f}× real time   "
                f"({t_video:.1f} s, 1280×720, 30 fps)"
            )


if __name__ == "__main__":
    main()
