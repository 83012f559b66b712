"""End to end in two headless Chromiums: a phone joins over the local network with the
join code and plays touch pads beside a keyboard player on the host's screen.

The screenshots docs/join-screen.png and docs/phone-pads.png come from this test:
``ONEBEAT_SCREENSHOTS=docs scripts/check.sh tests/web/test_phone.py``.

The phone's page runs in its own browser (its own clock origin) and reaches the server
at the machine's network address, not localhost, so the join code is needed. Its
messages wait random Wi-Fi-like delays both ways. The taps are scripted at planned song
times on the host's clock through the wall clock the two browsers share
(``performance.timeOrigin``); the server has to map the phone's clock to the host's for
the judged offsets to come out right.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from onebeat.engine import PRESETS
from onebeat.session import SessionStore
from tests.web.browser import (
    TAPS,
    Server,
    have_chromium,
    join_phone,
    live_server,
    open_chromium,
    open_page,
    wall_clock,
)

pytestmark = pytest.mark.browser

#: Mean one-way delay added to every phone message, each way [ms].
WIFI_MS = 8.0
# The phone plays the notes in turn: (offset in ms or None to skip, wrong pad?)
STYLE = [(0, False), (30, False), (-60, False), (0, True), (None, False)]
EXPECT = {0: "perfect", 30: "perfect", -60: "great"}


def grades_near(offset_ms: float) -> set[str]:
    """The default windows' grade of an offset, and its neighbour within 5 ms of a
    window's edge (the p95 of judged minus fired)."""
    w = PRESETS["default"]
    return {w.grade(offset_ms + d).value for d in (-5.0, 0.0, 5.0)}


@pytest.fixture(scope="module")
def lan_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with live_server(tmp_path_factory.mktemp("landata"), lan=True) as srv:
        yield srv


@pytest.fixture
def two_browsers() -> Iterator[tuple[Any, Any]]:
    if not have_chromium():
        pytest.skip(
            "needs Debian's chromium and chromium-driver (apt-get install chromium "
            "chromium-driver; scripts/check.sh installs them when run as root)"
        )
    host = open_chromium()
    try:
        phone = open_chromium()
        try:
            yield host, phone
        finally:
            phone.quit()
    finally:
        host.quit()


def test_a_phone_joins_with_the_code_and_its_taps_are_judged(
    lan_server: Server, two_browsers: tuple[Any, Any]
) -> None:
    host, phone = two_browsers
    cfg = lan_server.config
    assert cfg.lan_host not in ("", "127.0.0.1"), "needs a network address besides loopback"
    wait = open_page(host, f"http://localhost:{cfg.port}/", timeout=30)
    host.find_element(By.CSS_SELECTOR, "input[name=level][value='2']").click()
    box = host.find_element(By.ID, "pname0")
    box.clear()
    box.send_keys("ana")
    join_url = host.find_element(By.ID, "joinurl").text
    assert join_url == f"http://{cfg.lan_host}:{cfg.port}/?code={cfg.code}#join"

    # without the code the phone is turned away
    phone.get(f"http://{cfg.lan_host}:{cfg.port}/#join")
    assert "join code" in phone.find_element(By.TAG_NAME, "body").text

    pwait = join_phone(phone, join_url, "ben", wifi_ms=WIFI_MS)

    # the host's page puts the phone in as the second player, on touch pads
    wait.until(
        lambda _: host.execute_script(
            "const s = window.onebeat.state; return s.players.length === 2 && "
            "s.players[1].name === 'ben' && s.players[1].input === 'touch' && "
            "s.phones.some(p => p.name === 'ben' && p.synced)"
        )
    )
    time.sleep(1.0)  # a few more pings at the slow pace

    # the calibration wizard for ben's touch pads: the host clicks, the phone taps 40 ms late
    host.find_element(By.ID, "pcalbtn1").click()
    wait.until(lambda _: host.execute_script("return Boolean(window.onebeat.state.calib)"))
    time.sleep(0.3)  # the new audio context's output clock settles (the clicks start at 0.8 s)
    clicks = host.execute_script(
        "return window.onebeat.state.calib.clicks.map("
        "c => performance.timeOrigin + window.onebeat.perfAtHeard(c))"
    )
    phone.execute_async_script(TAPS, [{"wall": w + 40.0, "pad": "snare"} for w in clicks])
    # read in one script: the player boxes are redrawn when a phone's sync report comes
    wait.until(
        lambda _: (
            "taps used"
            in host.execute_script("return document.getElementById('pcal1').textContent")
        )
    )
    touch = float(host.execute_script("return localStorage.getItem('onebeat.offset.touch')"))
    # the sync has had ~20 pings at this point, on 8 ms Wi-Fi: within the 5 ms target
    assert touch == pytest.approx(40.0, abs=5.0)
    host.execute_script("localStorage.removeItem('onebeat.offset.touch')")  # play uncorrected
    shots = Path(os.environ.get("ONEBEAT_SCREENSHOTS") or cfg.data_dir)
    host.execute_script("document.getElementById('join').scrollIntoView()")
    host.save_screenshot(str(shots / "join-screen.png"))
    host.find_element(By.ID, "play").click()
    wait.until(lambda _: host.execute_script("return window.onebeat.state.playing"))
    chart = host.execute_script("return window.onebeat.state.chart")
    session_id = host.execute_script("return window.onebeat.state.session")

    downbeats = [b for b, p in zip(chart["beats"], chart["beat_positions"], strict=True) if p == 1]
    end = downbeats[8]
    plan = []
    for k, (i, n) in enumerate((i, n) for i, n in enumerate(chart["notes"]) if n[0] < end - 0.1):
        off, wrong = STYLE[k % len(STYLE)]
        if off is None:
            continue
        pad = "ride" if wrong else ("kick" if n[2] == "kick" else "snare")
        plan.append({"note": i, "t": n[0] + off / 1000, "off": off, "wrong": wrong, "pad": pad})
    # song time -> the host's wall clock, then the phone fires at that wall-clock time
    for p, w in zip(plan, wall_clock(host, [p["t"] for p in plan]), strict=True):
        p["wall"] = w
    note_walls = wall_clock(host, [chart["notes"][p["note"]][0] for p in plan])
    fired = phone.execute_async_script(TAPS, plan)
    time.sleep(0.5)  # the last taps travel and come back judged
    judgments = host.execute_script("return window.onebeat.state.judgments")
    assert host.execute_script("return window.onebeat.state.errors") == []
    by_note = {j["note"]: j for j in judgments if j["player"] == "ben" and j["grade"]}

    errors = []
    for p, at, note_wall in zip(plan, fired, note_walls, strict=True):
        j = by_note.get(p["note"])
        if p["wrong"]:
            assert j is None or j["grade"] == "miss"
            continue
        assert j is not None, p
        # graded as it was fired, not as planned: under a full test run the scripted
        # taps can leave some ms off their plan (a planned −60 ms tap was once judged
        # −80 ms, Good instead of Great). A judge that is off still fails here, and the
        # judged-vs-fired error is held to the median and p95 below
        fired_ms = at - note_wall
        assert j["grade"] in grades_near(fired_ms), (p, fired_ms, j)
        if abs(fired_ms - p["off"]) < 5:
            assert j["grade"] == EXPECT[p["off"]], (p, j)
        errors.append(j["offset_ms"] - fired_ms)  # judged vs the tap's own time
    errors.sort()
    median = statistics.median(errors)
    p95 = sorted(abs(e) for e in errors)[int(0.95 * (len(errors) - 1))]
    print(f"phone taps: judged - true offset, median {median:+.2f} ms, p95 |.| {p95:.2f} ms")
    assert abs(median) <= 2.0
    assert p95 <= 5.0
    wrong_pads = sum(1 for j in judgments if j["player"] == "ben" and j["outcome"] == "wrong_pad")
    assert wrong_pads == sum(1 for p in plan if p["wrong"])

    # the phone shows its player's judgments, and played each pad's sound as it was hit
    assert phone.find_element(By.ID, "padjudg").text
    played = phone.execute_script(
        "const p = window.onebeat.pads; return p.sounds ? p.played.map(x => x.piece) : null"
    )
    assert played is None or {"kick", "snare"} <= set(played)
    phone.save_screenshot(str(shots / "phone-pads.png"))
    assert "%" in phone.find_element(By.ID, "padstats").text

    host.find_element(By.ID, "stop").click()
    wait.until(lambda _: host.find_element(By.ID, "results").is_displayed())
    pwait.until(lambda _: "take over" in phone.find_element(By.ID, "padstatus").text)
    with SessionStore(cfg.data_dir / "sessions.sqlite3") as store:
        saved = store.load(session_id)
    assert [p.input_kind for p in saved.players] == ["keyboard", "touch"]
    assert saved.players[1].offset_ms == 0.0
    assert sum(1 for h in saved.hits if h.hit.player == "ben") == len(plan)
