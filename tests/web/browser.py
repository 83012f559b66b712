"""Driving onebeat's page in headless Chromium, shared by the browser tests and
bench/input_timing.py: a live server, the browser's options and the in-page input
scheduler."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from onebeat.library import Library
from onebeat.web import AppConfig, create_app, lan_address

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1280,860",
)

# Runs a plan of inputs inside the page: sleeps until a few ms before each planned song
# time, spins to it and fires the event (a key press, or a Web MIDI note on the page's
# MIDI entry point); returns [song time, event timeStamp] of each event as fired.
SCHEDULER = """
const plan = arguments[0], done = arguments[arguments.length - 1];
const ob = window.onebeat, out = [];
let i = 0;
function next() {
  if (i >= plan.length) { done(out); return; }
  const p = plan[i];
  const wait = (p.t - ob.songNow()) * 1000;
  if (wait > 6) { setTimeout(next, wait - 5); return; }
  while (ob.songNow() < p.t) { /* the last few ms */ }
  let ts;
  if (p.kind === "key") {
    const ev = new KeyboardEvent("keydown", { key: p.key, bubbles: true });
    window.dispatchEvent(ev);
    ts = ev.timeStamp;
  } else {
    ts = performance.now();
    ob.midiMessage(p.player, [0x99, p.note, 100], ts);
  }
  out.push([ob.songAtPerf(ts), ts]);
  i += 1;
  next();
}
next();
"""

# Fires scripted taps on the phone's pads at planned wall-clock times (ms since the
# epoch, as performance.timeOrigin + performance.now()); returns when each was fired.
TAPS = """
const plan = arguments[0], done = arguments[arguments.length - 1];
const wall = () => performance.timeOrigin + performance.now();
const out = [];
let i = 0;
function next() {
  if (i >= plan.length) { done(out); return; }
  const p = plan[i];
  const wait = p.wall - wall();
  if (wait > 6) { setTimeout(next, wait - 5); return; }
  while (wall() < p.wall) { /* the last few ms */ }
  const pad = document.querySelector(`#padgrid button[data-pad="${p.pad}"]`);
  const ev = new PointerEvent("pointerdown", { bubbles: true, cancelable: true, pointerId: 1 });
  pad.dispatchEvent(ev);
  out.push(performance.timeOrigin + ev.timeStamp);
  i += 1;
  next();
}
next();
"""


def have_chromium() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def open_chromium(*extra: str) -> Any:
    """A headless Chromium driven by Selenium (``extra``: more command-line switches)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (*CHROMIUM_ARGS, *extra):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(300)
    return driver


@dataclass
class Server:
    url: str
    config: AppConfig
    library: Library
    demo_id: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(data: Path, *, lan: bool = False) -> Iterator[Server]:
    """onebeat's web app on a free port, in a thread, with the demo song analysed;
    stopped on exit. With ``lan``, open to the local network as ``onebeat play --lan``
    runs it (a phone then joins at ``config.lan_host`` with the join code)."""
    port = _free_port()
    config = AppConfig(data_dir=data, port=port, lan=lan, lan_host=lan_address() if lan else "")
    library = Library(data)
    demo = library.songs()[0]
    library.wait(demo.id, timeout=600)
    app = create_app(config, library)
    host = "0.0.0.0" if lan else "127.0.0.1"
    srv = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert srv.started, "the server did not start"
        yield Server(f"http://127.0.0.1:{port}", config, library, demo.id)
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        library.close()


def open_page(d: Any, url: str, *, timeout: float = 60) -> Any:
    """Load onebeat's page at ``url`` and wait until the chosen song is ready to play; a
    wait on that browser."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    d.get(url)
    wait = WebDriverWait(d, timeout)
    wait.until(lambda _: d.find_element(By.ID, "play").is_enabled())
    return wait


def join_phone(phone: Any, join_url: str, name: str, *, wifi_ms: float = 0.0) -> Any:
    """Open the join link in a phone-sized browser, join as ``name`` with each message
    delayed ``wifi_ms`` on average either way, and wait for the clock to be synchronised;
    a wait on that browser."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    phone.set_window_size(412, 860)
    phone.get("about:blank")  # a fresh page, even where the link is the one open now
    phone.get(join_url)
    wait = WebDriverWait(phone, 30)
    wait.until(lambda _: phone.find_element(By.ID, "padname").is_displayed())
    if wifi_ms:
        phone.execute_script("window.onebeat.pads.netsim = {mean_ms: arguments[0]}", wifi_ms)
    box = phone.find_element(By.ID, "padname")
    box.clear()  # the page offers the name it joined with last time
    box.send_keys(name)
    phone.find_element(By.CSS_SELECTOR, "#padjoin button").click()
    wait.until(lambda _: "synchronised" in phone.find_element(By.ID, "padclock").text)
    return wait


def wall_clock(host: Any, song_times: list[float]) -> list[float]:
    """The wall-clock times [ms since the epoch] at which the host page plays these song
    times (``performance.timeOrigin`` is on the wall clock every browser shares)."""
    return list(
        host.execute_script(
            "return arguments[0].map(t => performance.timeOrigin + window.onebeat.perfAtSong(t))",
            song_times,
        )
    )
