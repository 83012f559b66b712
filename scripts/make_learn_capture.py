"""A terminal lesson, captured for a person to look at: docs/learn-terminal.txt.

A simulated first-timer (:class:`onebeat.simulate.learners.ModelLearner`, pressing keys at
their model's offsets) takes the lesson on the demo song in ``onebeat learn --keyboard``'s
screen, on a simulated clock, read back through a terminal emulator (pyte) exactly as a
terminal would show it. The capture has the screen half-way through some passes and,
for every pass, the coach's words.

Usage: .venv/bin/python scripts/make_learn_capture.py [--out docs/learn-terminal.txt]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.cli.terminal import SilentPlayback, run_lesson  # noqa: E402
from onebeat.library import Library  # noqa: E402
from onebeat.play.lesson import LessonRoom  # noqa: E402
from onebeat.play.protocol import LearnMsg, PlayerSpec  # noqa: E402
from onebeat.session import SessionStore  # noqa: E402
from onebeat.simulate.learners import LearnerKeys, ModelLearner  # noqa: E402
from tests.cli.screen import Screen  # noqa: E402

COLUMNS, LINES = 80, 34
#: The passes whose screen is captured.
SHOT_PASSES = {1, 7, 12}


def screen_text(term: Screen) -> str:
    rows = term.text
    while rows and not rows[-1]:
        rows.pop()
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "learn-terminal.txt")
    args = ap.parse_args()
    term = Screen(COLUMNS, LINES)
    clock = [0.0]
    shots: dict[int, str] = {}  # pass → its screen half-way through
    mid: list[float] = []  # per pass begun, the song time half-way through it

    def sleep(dt: float) -> None:
        clock[0] += dt
        k = len(mid)
        if k in SHOT_PASSES and k not in shots and playback.now() >= mid[-1]:
            shots[k] = screen_text(term)

    learner = ModelLearner(tau_s=90.0, bias_ms=-20.0, rng=np.random.default_rng(7))

    class Keys(LearnerKeys):
        def begin(self, lesson: dict[str, Any]) -> None:
            loop = lesson["loop"]
            mid.append((loop["start"] + loop["end"]) / 2)
            super().begin(lesson)

    keys = Keys({"you": learner})
    playback = SilentPlayback(clock=lambda: clock[0], note="")
    transcript: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(Path(tmp))
        song = library.songs()[0]
        library.wait(song.id)
        with SessionStore(Path(tmp) / "sessions.sqlite3") as store:
            msg = LearnMsg(type="learn", song=song.id, players=[PlayerSpec(name="you")])
            coached = run_lesson(
                LessonRoom(library, store),
                msg,
                title=song.title,
                audio=lambda speed: "",
                playback=playback,
                keys=keys,
                out=term,
                sleep=sleep,
                max_passes=40,
                rows=LINES - 14,
                on_pass=lambda lines: transcript.append(lines[1] + "\n" + lines[2]),
            )
        library.close()
    minutes = clock[0] / 60
    out = [
        "onebeat learn SONG --keyboard: a simulated first-timer's lesson on the demo song",
        "(made by scripts/make_learn_capture.py: model keys on a simulated clock, the",
        f"screen read back through a terminal emulator; {len(coached)} passes, "
        f"{minutes:.1f} minutes of play)",
        "",
    ]
    for k, shot in sorted(shots.items()):
        out += [f"── the screen half-way through pass {k} " + "─" * 20, shot, ""]
    out.append("── every pass: the step, and what the coach said " + "─" * 20)
    for k, (c, where) in enumerate(zip(coached, transcript, strict=True)):
        said = " · ".join(
            f"{100 * p['accuracy']:.0f} % · {p['message']}" for p in c["players"].values()
        )
        step = where.splitlines()[0].split("[")[1].split("]")[0]
        speed = where.splitlines()[1].split("speed ")[1].split(" %")[0]
        out.append(f"{k + 1:2}. {step:9} {speed:>3} %  {said}")
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(coached)} passes, {minutes:.1f} min)")


if __name__ == "__main__":
    main()
