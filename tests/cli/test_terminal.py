"""The terminal lesson (``onebeat learn --keyboard``), on a terminal emulator: model
learners press keys at known times on a simulated clock, the lesson room judges and
coaches, and the screen a user would see is read back through pyte."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from onebeat.cli import main
from onebeat.cli.terminal import SilentPlayback, count_in, render, run_lesson
from onebeat.demo import demo_song_path
from onebeat.play.lesson import LessonRoom
from onebeat.play.protocol import LearnMsg, PlayerSpec
from onebeat.session import SessionStore
from onebeat.simulate.learners import LearnerKeys, ModelLearner
from tests.cli.screen import Screen


def lesson(
    library: Any,
    tmp_path: Path,
    learners: dict[str, ModelLearner],
    out: io.StringIO,
    passes: int,
    **kw: Any,
) -> tuple[list[dict[str, Any]], list[list[str]]]:
    clock = [100.0]

    def sleep(dt: float) -> None:
        clock[0] += dt

    msg = LearnMsg(
        type="learn",
        song=library.songs()[0].id,
        players=[PlayerSpec(name=n, experienced=kw.get("experienced", False)) for n in learners],
        restart=True,
    )
    screens: list[list[str]] = []
    with SessionStore(tmp_path / "sessions.sqlite3") as store:
        coached = run_lesson(
            LessonRoom(library, store),
            msg,
            title="onebeat demo",
            audio=lambda speed: "",
            playback=SilentPlayback(clock=lambda: clock[0], note="silent (a test)"),
            keys=LearnerKeys(learners),
            out=out,
            sleep=sleep,
            max_passes=passes,
            on_pass=screens.append,
        )
    return coached, screens


def test_a_lesson_in_the_terminal(library: Any, tmp_path: Path) -> None:
    term = Screen()
    learner = ModelLearner(tau_s=20.0, bias_ms=-25.0, rng=np.random.default_rng(3))
    coached, screens = lesson(library, tmp_path, {"you": learner}, term, passes=5)
    assert len(coached) == 5
    told = [c["players"]["you"] for c in coached]
    assert told[0]["accuracy"] > 0.5  # the presses were heard and judged
    assert any(t["action"] == "next" for t in told)  # a quick learner moves on
    # what the emulator shows is what render() drew: the painting codes are right
    shown = term.text
    assert shown[: len(screens[-1])] == screens[-1]
    assert shown[0] == "onebeat learn · onebeat demo"
    assert "[" in shown[1] and "pulse" in shown[1] and "groove" in shown[1]
    assert shown[2].startswith("bars ") and "speed" in shown[2]
    assert any(line.startswith("you ") and "%" in line for line in shown)  # the coach
    assert "silent (a test)" in shown
    # the highway: lanes labelled, their keys, the hit line
    first = screens[0]
    assert any(line.strip() == "any" for line in first) and any("═" in ln for ln in first)
    rows = [ln.split() for s in screens for ln in s]
    assert ["hat", "kick"] in rows and ["hat", "snare", "kick"] in rows
    assert ["s/l", "d/k", "c/m"] in rows  # the keys of each lane


def test_a_pair_in_the_terminal_and_a_log_when_not_a_terminal(library: Any, tmp_path: Path) -> None:
    learners = {
        "ana": ModelLearner(tau_s=5.0, bias_ms=0.0, sd_start_ms=12, rng=np.random.default_rng(1)),
        "ben": ModelLearner(tau_s=60.0, rng=np.random.default_rng(2)),
    }
    term = Screen(140)
    coached, screens = lesson(library, tmp_path, learners, term, passes=2, experienced=True)
    assert all(set(c["players"]) == {"ana", "ben"} for c in coached)
    heads = screens[0][4]
    assert heads.startswith("ana · ") and "ben · " in heads  # two highways side by side
    assert coached[0]["together"] is not None
    assert any(coached[0]["together"]["message"] in ln for ln in screens[0])
    log = io.StringIO()
    coached, _ = lesson(library, tmp_path, {"cleo": ModelLearner()}, log, passes=2)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("pass 1: pulse at 70 % · cleo ")


def test_count_in_and_a_frame_before_the_pass(library: Any, tmp_path: Path) -> None:
    with SessionStore(tmp_path / "s.sqlite3") as store:
        room = LessonRoom(library, store)
        msg = LearnMsg(type="learn", song=library.songs()[0].id, players=[PlayerSpec(name="x")])
        ready = room.handle(msg)[0].to_json()
    clicks = count_in(ready)
    loop = ready["loop"]
    bar = (loop["end"] - loop["start"]) / (loop["last"] - loop["first"] + 1)
    assert len(clicks) == 4 and clicks[0] == pytest.approx(loop["start"] - bar, abs=0.05)
    from onebeat.cli.terminal import Frame

    frame = Frame("t", ready, clicks[1] + 0.01, clicks=clicks)
    assert render(frame)[2].endswith("count-in 1 2")


def test_learn_keyboard_needs_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    if sys.stdin.isatty():
        pytest.skip("stdin is a terminal here: the refusal is for when it is not")
    assert main(["learn", str(demo_song_path()), "--keyboard"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("onebeat: error: learn --keyboard: reads keys from a terminal")
    assert len(err.splitlines()) == 1


def test_no_sound_card_means_a_silent_lesson_that_says_so() -> None:
    from onebeat.cli.terminal import SoundPlayback, open_playback

    assert open_playback(silent=True).note.startswith("silent (--silent)")
    playback = open_playback()
    if isinstance(playback, SoundPlayback):
        pytest.skip("this machine has PortAudio and a sound card: the lesson plays aloud")
    assert playback.note.startswith("no sound (") and playback.note.endswith("runs silent")
    assert "\n" not in playback.note


def test_the_sound_card_gets_the_song_from_the_pass_with_its_clicks() -> None:
    """PortAudio's part, with a stand-in for python-sounddevice (no sound card here)."""
    from types import SimpleNamespace

    from onebeat.audio.decode import load_audio
    from onebeat.cli.terminal import SoundPlayback

    played: list[tuple[np.ndarray, int]] = []
    sd = SimpleNamespace(
        play=lambda y, sr, blocking: played.append((y, sr)),
        stop=lambda: None,
        get_stream=lambda: SimpleNamespace(latency=0.05),
    )
    clock = [10.0]
    playback = SoundPlayback(clock=lambda: clock[0], sd=sd)
    song = load_audio(demo_song_path(), mono=False)
    playback.start(str(demo_song_path()), 20.0, 1.0, [20.5, 21.0])
    y, sr = played[-1]
    assert sr == song.sr and y.shape[1] == song.y.shape[0]
    assert len(y) == song.y.shape[1] - round(20.0 * sr)
    np.testing.assert_allclose(y[: sr // 2], song.y[:, 20 * sr : 20 * sr + sr // 2].T, atol=1e-6)
    click = y[sr // 2 : sr // 2 + 400] - song.y[:, round(20.5 * sr) : round(20.5 * sr) + 400].T
    assert np.abs(click).max() > 0.1  # the click, mixed in at its song time
    # song time: from the pass's start, once the first sample is heard (after the latency)
    assert playback.now() == pytest.approx(20.0 - 0.05)
    clock[0] += 1.0
    assert playback.now() == pytest.approx(20.95)
    # before the song's start (a count-in before its first beat), silence comes first
    playback.start(str(demo_song_path()), -0.5, 0.5, [])
    y, _ = played[-1]
    assert len(y) == song.y.shape[1] + sr and not y[:sr].any()
