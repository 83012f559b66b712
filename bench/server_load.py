"""How the play server holds up while one client floods it (issue 23).

Starts ``onebeat play`` on a free port with a data folder of its own. A well-behaved
player (a WebSocket client) starts a take and sends touch-pad hits, 20 a second, timing
each hit's judgment coming back; meanwhile a flooder on a second socket sends one kind
of message as fast as it can (at most ``--rate`` a second) for ``--seconds`` seconds, and
a third client asks ``GET /api/songs`` every 50 ms. Prints, alone and for each kind of
flood: the player's round trip p50 / p95 / max [ms], the longest HTTP answer [ms], how
much the session database grew [MB], the server's memory [MB] (and after the flooder
left), and whether the server closed the flooder.

Targets: p95 ≤ 10 ms and no stall over 100 ms during any flood; the database grows no
more than the flooder's allowance; memory back within 50 MB of idle after it leaves.

Usage: .venv/bin/python bench/server_load.py [--seconds 5] [--rate 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.play.protocol import audio_frame  # noqa: E402

ORIGIN = "http://127.0.0.1:{port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def db_mb(data: Path) -> float:
    return sum(p.stat().st_size for p in data.glob("sessions.sqlite3*")) / 1e6


def get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ONEBEAT_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "onebeat.cli", "play", "--no-browser", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            songs = get(f"http://127.0.0.1:{port}/api/songs")
            if isinstance(songs, list) and songs and songs[0]["status"] == "ready":
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.kill()
    sys.exit("server_load: the server did not come up with the demo song analysed")


def socket_to(port: int) -> ClientConnection:
    ws: ClientConnection = connect(
        f"ws://127.0.0.1:{port}/ws/play", origin=Origin(ORIGIN.format(port=port)), max_size=2**22
    )
    return ws


class Player:
    """A take on touch pads: a hit every 50 ms, each judgment's round trip timed."""

    def __init__(self, port: int, song: str) -> None:
        self.port = port
        self.song = song
        self.times: list[float] = []
        self.stop = threading.Event()

    def _start(self) -> float:
        start = {
            "type": "start",
            "song": self.song,
            "level": 2,
            "players": [{"name": "ana", "input": "touch"}],
        }
        self.ws.send(json.dumps(start))
        while json.loads(self.ws.recv())["type"] != "ready":
            pass
        return 1.0

    def run(self) -> None:
        with socket_to(self.port) as self.ws:
            self._play()

    def _play(self) -> None:
        t = self._start()
        while not self.stop.is_set():
            sent = time.perf_counter()
            self.ws.send(json.dumps({"type": "pad", "player": "ana", "pad": "snare", "t": t}))
            while json.loads(self.ws.recv())["type"] != "judged":
                pass
            self.times.append((time.perf_counter() - sent) * 1000)
            t += 0.25
            if t > 75.0:  # near the demo's end: a new take
                self.ws.send(json.dumps({"type": "finish"}))
                while json.loads(self.ws.recv())["type"] != "results":
                    pass
                t = self._start()
            time.sleep(max(0.0, 0.05 - (time.perf_counter() - sent)))


def flood(port: int, song: str, kind: str, seconds: float, rate: float) -> tuple[int, bool]:
    """Send one kind of message as fast as allowed; (messages sent, closed by server)."""
    start = {"type": "start", "song": song, "level": 2, "players": [{"name": "x"}]}
    one_sample = audio_frame(0, 0.0, 44100, np.zeros(1, np.float32))
    make: dict[str, Callable[[], str | bytes]] = {
        "start": lambda: json.dumps(start),
        "bad JSON": lambda: '{"type": "pad", "player": "nobody", "t": 1.0}',
        "over-size text": lambda: "x" * 70_000,
        "binary junk": lambda: b"\x00\x01junk",
        "1-sample audio": lambda: one_sample,
    }
    msg = make[kind]()
    with socket_to(port) as ws:
        reader = threading.Thread(target=lambda: _drain(ws), daemon=True)
        reader.start()
        sent = 0
        t0 = time.perf_counter()
        closed = False
        try:
            while (now := time.perf_counter() - t0) < seconds:
                ws.send(msg)
                sent += 1
                if sent > rate * now:
                    time.sleep(max(0.0, sent / rate - now))
        except ConnectionClosed:
            closed = True
        return sent, closed or not reader.is_alive()


def _drain(ws: ClientConnection) -> None:
    try:
        while True:
            ws.recv()
    except ConnectionClosed:
        return


def http_prober(port: int, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        try:
            get(f"http://127.0.0.1:{port}/api/songs")
        except OSError:
            out.append(float("inf"))
        else:
            out.append((time.perf_counter() - t) * 1000)
        time.sleep(0.05)


def measure(
    port: int, song: str, kind: str | None, seconds: float, rate: float
) -> tuple[list[float], list[float], tuple[int, bool]]:
    player = Player(port, song)
    http: list[float] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=player.run, daemon=True),
        threading.Thread(target=http_prober, args=(port, stop, http), daemon=True),
    ]
    for th in threads:
        th.start()
    time.sleep(0.5)
    result = (0, False)
    if kind is None:
        time.sleep(seconds)
    else:
        result = flood(port, song, kind, seconds, rate)
    time.sleep(0.5)
    player.stop.set()
    stop.set()
    for th in threads:
        th.join(timeout=30)
    return player.times, http, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=10_000.0, help="flood messages a second")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        port = free_port()
        proc = start_server(data, port)
        try:
            songs = get(f"http://127.0.0.1:{port}/api/songs")
            assert isinstance(songs, list)
            song = str(songs[0]["id"])
            idle = rss_mb(proc.pid)
            print(f"server idle: {idle:.0f} MB; flood: {args.seconds:g} s at ≤ {args.rate:g}/s")
            head = (
                f"{'flood':16s} {'sent':>7s} {'closed':>6s} | player round trip ms: "
                f"{'p50':>5s} {'p95':>6s} {'max':>7s} | {'HTTP max':>8s} ms | "
                f"{'DB +MB':>6s} | {'RSS MB':>6s} {'after':>6s}"
            )
            print(head)
            for kind in (
                None,
                "start",
                "bad JSON",
                "over-size text",
                "binary junk",
                "1-sample audio",
            ):
                db0 = db_mb(data)
                rt, http, (sent, closed) = measure(port, song, kind, args.seconds, args.rate)
                during = rss_mb(proc.pid)
                time.sleep(1.0)
                after = rss_mb(proc.pid)
                r = np.array(rt) if rt else np.array([np.nan])
                print(
                    f"{kind or '(none)':16s} {sent:7d} {'yes' if closed else 'no':>6s} | "
                    f"{'':22s}{np.median(r):5.1f} {np.percentile(r, 95):6.1f} "
                    f"{r.max():7.1f} | {max(http, default=float('nan')):8.1f}    | "
                    f"{db_mb(data) - db0:6.2f} | {during:6.0f} {after:6.0f}"
                )
            print("targets: p95 ≤ 10 ms, max ≤ 100 ms, memory back within 50 MB of idle")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
