"""Timing through the whole play path: browser event → WebSocket → server → judge → page.

Starts onebeat's web app on a free port and drives its page in headless Chromium (Debian
``chromium`` + ``chromium-driver``). One player on the keyboard plays the demo song's
level-3 chart (kick, snare, hi-hat eighths) for ``--bars`` bars with scripted key presses
planned at the notes' times plus a known offset (0, +30, −45 ms in turn). Prints:

- **scheduling**: the event's own song time minus the planned time (how well the script
  hit its plan; not onebeat's error);
- **judged vs event**: the judge's offset minus the offset the event carried, i.e. the
  error added by onebeat between the event and the judgment (targets: |median| ≤ 2 ms,
  p95 ≤ 5 ms). Real devices add their own latency before the event (a USB kit, the
  audio output); that is what the calibration measures and removes, and no script in a
  headless browser can measure it;
- **judged vs plan**: the judge's offset minus the planned offset, both together;
- **round trip**: from the key event to its judgment arriving in the page [ms] (target:
  p95 ≤ 15 ms on localhost), against a reference measured in the same run: the same
  messages sent by a Python WebSocket client straight to the server (no browser);
- **hit sound**: from the key event to its drum's sound being started in the page's
  audio context (target: within one render quantum, ≤ 3 ms; the sound is then heard
  one audio-output latency later, printed beside it).

Then a phone joins over the machine's network address with the join code (a second
Chromium, phone-sized) and plays touch pads at level 2 for 8 bars, its messages delayed
by simulated Wi-Fi (an exponential delay each way, mean ``--wifi-ms``): prints the
judged offset minus the tap's own offset (targets as above; the clock sync is what is
measured, since the tap's time travels with it).

Usage: .venv/bin/python bench/input_timing.py [--bars 16] [--wifi-ms 0,8,20] [--no-hit-sounds]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from tests.web.browser import (  # noqa: E402
    SCHEDULER,
    TAPS,
    have_chromium,
    join_phone,
    live_server,
    open_chromium,
    open_page,
    wall_clock,
)

OFFSETS_MS = (0.0, 30.0, -45.0)
KEYS = {"kick": "c", "snare": "d", "hihat_closed": "s", "hihat_open": "w"}


def _stats(name: str, x: np.ndarray, unit: str = "ms") -> str:
    p95 = np.percentile(np.abs(x), 95)
    return (
        f"{name:22s} median {np.median(x):+7.2f} {unit}, p95 |·| {p95:6.2f} {unit}, "
        f"max |·| {np.max(np.abs(x)):6.2f} {unit}  (n={len(x)})"
    )


def _reference_round_trip(url: str, song: str, plan: list[dict[str, Any]]) -> np.ndarray:
    """Round trips of the same key messages from a Python client, no browser."""
    from websockets.sync.client import connect

    out = []
    with connect(url.replace("http", "ws") + "/ws/play") as ws:
        ws.send(json.dumps({"type": "start", "song": song, "level": 3, "players": [{"name": "p"}]}))
        json.loads(ws.recv())
        for p in plan:
            t0 = time.perf_counter()
            ws.send(json.dumps({"type": "key", "key": p["key"], "t": p["t"]}))
            while True:
                msg = json.loads(ws.recv())
                if msg["type"] == "judged" and any(j["outcome"] for j in msg["items"]):
                    break
            out.append((time.perf_counter() - t0) * 1000.0)
    return np.array(out)


def _downbeats(chart: dict[str, Any]) -> list[float]:
    return [b for b, p in zip(chart["beats"], chart["beat_positions"], strict=True) if p == 1]


def _phone_runs(wifi_ms: list[float], bars: int = 8) -> None:
    """A keyboard player on the host's screen, a phone playing touch pads beside it."""
    from selenium.webdriver.common.by import By

    with live_server(Path(tempfile.mkdtemp(prefix="onebeat-bench-")), lan=True) as server:
        cfg = server.config
        join_url = f"http://{cfg.lan_host}:{cfg.port}/?code={cfg.code}#join"
        host, phone = open_chromium(), open_chromium()
        try:
            for wifi in wifi_ms:
                wait = open_page(host, f"http://localhost:{cfg.port}/")
                host.find_element(By.CSS_SELECTOR, "input[name=level][value='2']").click()
                join_phone(phone, join_url, "phone", wifi_ms=wifi)
                wait.until(
                    lambda _: host.execute_script(
                        "return window.onebeat.state.phones.some(p => p.synced) && "
                        "window.onebeat.state.players.length === 2"
                    )
                )
                time.sleep(2.0)  # pings at the slow pace
                host.find_element(By.ID, "play").click()
                wait.until(lambda _: host.execute_script("return onebeat.state.playing"))
                chart = host.execute_script("return onebeat.state.chart")
                downbeats = _downbeats(chart)
                plan: list[dict[str, Any]] = []
                for i, (t, _, piece, _, _) in enumerate(chart["notes"]):
                    if t < downbeats[min(bars, len(downbeats) - 1)]:
                        off = OFFSETS_MS[len(plan) % len(OFFSETS_MS)]
                        pad = "kick" if piece == "kick" else "snare"
                        plan.append({"note": i, "t": t + off / 1000, "pad": pad})
                for p, w in zip(plan, wall_clock(host, [p["t"] for p in plan]), strict=True):
                    p["wall"] = w
                notes = wall_clock(host, [chart["notes"][p["note"]][0] for p in plan])
                fired = phone.execute_async_script(TAPS, plan)
                time.sleep(0.6)
                judged = {
                    j["note"]: j
                    for j in host.execute_script("return onebeat.state.judgments")
                    if j["player"] == "phone" and j["grade"] not in (None, "miss")
                }
                host.find_element(By.ID, "stop").click()
                err = [
                    judged[p["note"]]["offset_ms"] - (at - note)
                    for p, at, note in zip(plan, fired, notes, strict=True)
                    if p["note"] in judged
                ]
                print(_stats(f"phone, Wi-Fi {wifi:g} ms", np.array(err)))
        finally:
            host.quit()
            phone.quit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, default=16)
    ap.add_argument(
        "--wifi-ms", default="0,8,20", help="mean delay each way for the phone runs [ms]"
    )
    ap.add_argument(
        "--no-hit-sounds", action="store_true", help="the keyboard player's hit sounds off"
    )
    args = ap.parse_args()
    if not have_chromium():
        sys.exit("input_timing: needs Debian's chromium and chromium-driver")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with live_server(Path(tempfile.mkdtemp(prefix="onebeat-bench-"))) as server:
        url, song = server.url, server.demo_id
        d = open_chromium()
        try:
            open_page(d, url + "/")
            d.find_element(By.CSS_SELECTOR, "input[name=level][value='3']").click()
            box = d.find_element(By.ID, "psnd0")  # hit sounds asked for (or not), explicitly
            if box.is_selected():
                box.click()
            if not args.no_hit_sounds:
                box.click()
            d.find_element(By.ID, "play").click()
            WebDriverWait(d, 60).until(lambda _: d.execute_script("return onebeat.state.playing"))
            chart = d.execute_script("return onebeat.state.chart")
            downbeats = _downbeats(chart)
            end = downbeats[min(args.bars, len(downbeats) - 1)]
            plan: list[dict[str, Any]] = []
            # one key per time: a chord's second stroke would be a flam of the first key
            seen: set[float] = set()
            for i, (t, _, piece, _, _) in enumerate(chart["notes"]):
                if t >= end or round(t, 3) in seen or piece not in KEYS:
                    continue
                seen.add(round(t, 3))
                off = OFFSETS_MS[len(plan) % len(OFFSETS_MS)]
                plan.append(
                    {
                        "t": t + off / 1000.0,
                        "kind": "key",
                        "key": KEYS[piece],
                        "note": i,
                        "off": off,
                    }
                )
            fired = d.execute_async_script(SCHEDULER, plan)
            time.sleep(0.5)
            judged = d.execute_script("return onebeat.state.judgments")
            played, output_s = d.execute_script(
                "const s = onebeat.state; return [s.played, "
                "(s.ctx.outputLatency || 0) + (s.ctx.baseLatency || 0)];"
            )
        finally:
            d.quit()

        ref = _reference_round_trip(url, song, plan)

    by_note = {j["note"]: j for j in judged if j["grade"] not in (None, "miss")}
    sched, added, total, rtt = [], [], [], []
    for p, (song_t, perf) in zip(plan, fired, strict=True):
        j = by_note.get(p["note"])
        if j is None:
            continue
        note_t = chart["notes"][p["note"]][0]
        event_off = (song_t - note_t) * 1000.0
        sched.append(event_off - p["off"])
        added.append(j["offset_ms"] - event_off)
        total.append(j["offset_ms"] - p["off"])
        rtt.append(j["rx"] - perf)

    print(
        f"demo song, level 3, {args.bars} bars: {len(plan)} planned key presses, "
        f"{len(added)} judged on a note"
    )
    print(_stats("scheduling", np.array(sched)))
    print(_stats("judged vs event", np.array(added)))
    print(_stats("judged vs plan", np.array(total)))
    r = np.array(rtt)
    print(
        f"round trip (browser)   median {np.median(r):6.2f} ms, p95 {np.percentile(r, 95):6.2f} ms"
    )
    print(
        f"reference (Python ws)  median {np.median(ref):6.2f} ms, p95 {np.percentile(ref, 95):6.2f}"
        f" ms; browser p95 / reference p95 = {np.percentile(r, 95) / np.percentile(ref, 95):.1f}×"
    )
    # each hit sound against its key event (the n-th sound is the n-th key's)
    if played:
        started = np.array([s["at"] for s in played][: len(fired)]) - np.array(
            [perf for _, perf in fired][: len(played)]
        )
        print(
            f"hit sound started      median {np.median(started):6.2f} ms, p95 "
            f"{np.percentile(started, 95):6.2f} ms after the key ({len(started)} sounds); "
            f"heard {1000 * output_s:.0f} ms later (the audio output's latency)"
        )
    print(
        "targets: judged vs event |median| ≤ 2 ms, p95 ≤ 5 ms; round trip p95 ≤ 15 ms; "
        "hit sound ≤ 3 ms"
    )
    print("phone touch pads, level 2, 8 bars: judged offset minus the tap's own offset")
    _phone_runs([float(w) for w in args.wifi_ms.split(",") if w])


if __name__ == "__main__":
    main()
