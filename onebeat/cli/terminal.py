"""A lesson in the terminal: ``onebeat learn SONG --keyboard``.

The terminal is one more front end of the lesson room (:class:`~onebeat.play.lesson.
LessonRoom`): it sends the same messages a browser sends (``learn``, ``key``, ``tick``,
``finish``) and draws what comes back as a text highway: one column per drum, notes
falling to the line, the judgment of each hit, and the coach's sentence after each pass.

The song plays through the sound card with PortAudio (python-sounddevice), count-in
clicks mixed in; where there is no sound card or no PortAudio, the lesson runs silent on
the computer's clock and says so. Keys are read from the terminal in cbreak mode: a
terminal sends key presses only (no releases, no timestamps), so each key is timed when
it is read, polled every few milliseconds.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

import numpy as np

from onebeat.audio.decode import Audio, load_audio
from onebeat.audio.drumsynth import drum_sound
from onebeat.kit import LANES as KIT_LANES
from onebeat.kit import DrumPiece
from onebeat.play.lesson import LessonRoom
from onebeat.play.protocol import FinishMsg, KeyMsg, LearnMsg, TickMsg
from onebeat.play.replies import Reply
from onebeat.play.room import GRACE_MS

__all__ = [
    "Frame",
    "KeySource",
    "Playback",
    "SilentPlayback",
    "SoundPlayback",
    "TerminalKeys",
    "count_in",
    "open_playback",
    "render",
    "run_lesson",
]

#: The kit's lanes (:data:`onebeat.kit.LANES`) with their column heading.
LANES: list[tuple[DrumPiece, str]] = [(lane.piece, lane.short) for lane in KIT_LANES]
#: Rows of the highway in a 24-line terminal (taller terminals get more).
ROWS = 13
LANE_W = 7
#: Song seconds per row at full speed: an eighth note at 120 BPM is two rows.
ROW_S = 0.125
#: Lines of the screen that are not the highway.
CHROME_LINES = 14
#: Judgments as they are drawn.
MARK = {"perfect": "PERFECT", "great": "GREAT", "good": "GOOD", "miss": "MISS"}


# -- the song's sound and clock --------------------------------------------------------
class Playback(Protocol):
    """Plays a pass (the song from a song time, at a speed, with count-in clicks) and
    tells the song time now."""

    note: str

    def start(self, path: str, song_from: float, speed: float, clicks: list[float]) -> None: ...

    def now(self) -> float: ...

    def stop(self) -> None: ...


@dataclass
class SilentPlayback:
    """No sound: song time runs on the computer's monotonic clock (``clock``)."""

    clock: Callable[[], float] = time.perf_counter
    note: str = ""
    _t0: float = 0.0
    _from: float = 0.0
    _speed: float = 1.0

    def start(self, path: str, song_from: float, speed: float, clicks: list[float]) -> None:
        self._t0, self._from, self._speed = self.clock(), song_from, speed

    def now(self) -> float:
        return self._from + (self.clock() - self._t0) * self._speed

    def stop(self) -> None:
        pass


@dataclass
class SoundPlayback(SilentPlayback):
    """The song through the sound card (PortAudio), count-in clicks mixed in; song time
    from the same clock, moved by the output's latency."""

    sd: Any = None
    _decoded: dict[str, Audio] = field(default_factory=dict)  # each speed's file, once

    def start(self, path: str, song_from: float, speed: float, clicks: list[float]) -> None:
        audio = self._decoded.get(path)
        if audio is None:
            audio = self._decoded[path] = load_audio(path, mono=False)
        y = np.atleast_2d(audio.y).T if audio.y.ndim == 1 else audio.y.T  # (samples, ch)
        sr = audio.sr
        first = max(0, round(song_from / speed * sr))
        pad = max(0, -round(song_from / speed * sr))  # a count-in before the song begins
        out = np.concatenate([np.zeros((pad, y.shape[1]), np.float32), y[first:]]).astype(
            np.float32
        )
        tick = drum_sound(DrumPiece.HIHAT_CLOSED, sr).astype(np.float32)
        for k, c in enumerate(clicks):
            at = round((c - song_from) / speed * sr)
            if 0 <= at < len(out):
                part = out[at : at + len(tick)]
                part += (0.9 if k == 0 else 0.6) * tick[: len(part), None]
        self.sd.stop()
        self.sd.play(out, sr, blocking=False)
        latency = float(self.sd.get_stream().latency)
        super().start(path, song_from, speed, clicks)
        self._t0 += latency  # the first sample is heard this much after it is handed over

    def stop(self) -> None:
        self.sd.stop()


def open_playback(*, silent: bool = False) -> SilentPlayback:
    """The sound card when it can be had, else silent with a note saying why."""
    if silent:
        return SilentPlayback(note="silent (--silent): count along with the highway")
    try:
        import sounddevice as sd

        sd.query_devices(kind="output")
    except (ImportError, OSError, ValueError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return SilentPlayback(note=f"no sound ({why}): the lesson runs silent")
    return SoundPlayback(sd=sd)


# -- keys ------------------------------------------------------------------------------
class KeySource(Protocol):
    """Key presses as (key, song time)."""

    def begin(self, lesson: dict[str, Any]) -> None: ...

    def read(self, now: float) -> list[tuple[str, float]]: ...


class TerminalKeys:
    """The terminal's keys, unbuffered (cbreak: Ctrl+C still stops), each timed as read."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self.fd = self.stream.fileno()

    def begin(self, lesson: dict[str, Any]) -> None:
        pass

    def read(self, now: float) -> list[tuple[str, float]]:
        out = []
        while select.select([self.fd], [], [], 0)[0]:
            data = os.read(self.fd, 64).decode(errors="ignore")
            if not data:
                break
            out += [(ch.lower(), now) for ch in data if ch.isprintable()]
        return out

    @contextmanager
    def raw(self) -> Iterator[TerminalKeys]:
        import termios
        import tty

        saved = termios.tcgetattr(self.fd)
        try:
            tty.setcbreak(self.fd)
            yield self
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)


# -- drawing ---------------------------------------------------------------------------
@dataclass
class Frame:
    """What one screen shows."""

    title: str
    lesson: dict[str, Any]
    now: float
    hidden: dict[str, set[int]] = field(default_factory=dict)
    judged: dict[str, str] = field(default_factory=dict)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)
    note: str = ""
    clicks: list[float] = field(default_factory=list)
    rows: int = ROWS


def _lanes(part: dict[str, Any]) -> list[tuple[DrumPiece | None, str]]:
    if part["chart"]["any_pad"]:
        return [(None, "any")]
    pieces = {DrumPiece(n[2]) for n in part["chart"]["notes"]}
    return [(p, label) for p, label in LANES if p in pieces]


def _keys_for(keymap: dict[str, Any] | None, name: str, piece: DrumPiece | None) -> str:
    table = (keymap or {}).get("players", {}).get(name, {})
    if piece is None:
        return "any"
    keys = [k for k, p in table.items() if p == piece.value]
    return "/".join(keys[:2]) if keys else ""


def _highway(frame: Frame, name: str, part: dict[str, Any]) -> list[str]:
    lanes = _lanes(part)
    speed = frame.lesson["speed"]
    width = LANE_W * len(lanes)
    rows = frame.rows
    span = rows * ROW_S * speed  # song seconds shown: the same scroll in real time
    grid = [[" "] * width for _ in range(rows)]
    beats = np.asarray(part["chart"]["beats"])
    pos = part["chart"]["beat_positions"]
    for b, p in zip(beats, pos, strict=True):  # bar lines, and a dot on each other beat
        r = rows - 1 - round((b - frame.now) / span * (rows - 1))
        if 0 <= r < rows - 1:
            grid[r] = list("─" * width) if p == 1 else list(("·" + " " * (LANE_W - 1)) * len(lanes))
    hidden = frame.hidden.get(name, set())
    for i, (t, _, piece, *_) in enumerate(part["chart"]["notes"]):
        if i in hidden:
            continue
        r = rows - 1 - round((t - frame.now) / span * (rows - 1))
        if not 0 <= r < rows:
            continue
        lane = (
            0
            if lanes[0][0] is None
            else next(
                (k for k, (p, _) in enumerate(lanes) if p is not None and p.value == piece), -1
            )
        )
        if lane < 0:
            continue
        mark = "█████" if piece != "kick" or lanes[0][0] is None else "▄▄▄▄▄"
        grid[r][lane * LANE_W + 1 : lane * LANE_W + 6] = list(mark)
    drawn = ["".join(g) for g in grid]
    drawn[-1] = "".join(ch if ch not in " ─·" else "═" for ch in drawn[-1])  # the hit line
    labels = "".join(label.center(LANE_W) for _, label in lanes)
    keys = "".join(_keys_for(frame.lesson.get("keymap"), name, p).center(LANE_W) for p, _ in lanes)
    st = frame.stats.get(name)
    score = f"{100 * st['accuracy']:.0f} %  streak {st['streak']}" if st else ""
    head = f"{name} · {part['title']}"
    return [head, *drawn, labels, keys, frame.judged.get(name, ""), score]


def render(frame: Frame) -> list[str]:
    """The screen's lines for a frame (no terminal codes: see :func:`_paint`)."""
    lesson = frame.lesson
    loop = lesson["loop"]
    steps = lesson["steps"]
    parts = lesson["players"]
    first = next(iter(parts.values()))
    ladder = " › ".join(
        f"[{s['key']}]" if k == first["step"] else s["key"] for k, s in enumerate(steps)
    )
    count = ""
    if frame.clicks and frame.now < loop["start"]:
        k = sum(c <= frame.now + 1e-6 for c in frame.clicks)
        count = f" · count-in {'1 2 3 4 5 6 7'[: 2 * k].strip() or '…'}"
    lines = [
        f"onebeat learn · {frame.title}",
        f"{ladder}",
        f"bars {loop['first']}–{loop['last']} · speed {round(100 * lesson['speed'])} % · "
        f"pass {first['pass']}{count}",
        "",
    ]
    columns = [_highway(frame, name, part) for name, part in parts.items()]
    widths = [max(len(x) for x in c) for c in columns]
    for k in range(max(len(c) for c in columns)):
        row = "   ".join(c[k].ljust(w) for c, w in zip(columns, widths, strict=True))
        lines.append(row.rstrip())
    lines.append("")
    lines += frame.said
    if frame.note:
        lines.append(frame.note)
    return lines


def _paint(out: TextIO, lines: list[str], *, tty: bool) -> None:
    if tty:  # home, each line cleared to its end, the rest of the screen cleared
        out.write("\x1b[H" + "".join(f"{ln}\x1b[K\r\n" for ln in lines) + "\x1b[J")
        out.flush()


# -- the lesson loop -------------------------------------------------------------------
def run_lesson(
    room: LessonRoom,
    learn: LearnMsg,
    *,
    title: str,
    audio: Callable[[float], str],
    playback: SilentPlayback,
    keys: KeySource,
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
    fps: float = 30.0,
    pause_s: float = 2.5,
    max_passes: int | None = None,
    on_pass: Callable[[list[str]], None] | None = None,
    rows: int | None = None,
    click: bool = False,
) -> list[dict[str, Any]]:
    """Play a lesson pass by pass until the coach says it is done (or ``max_passes``).

    ``audio(speed)`` gives the song's file at a practice speed. Each pass: a bar of
    count-in, the bars once, then the coach's sentences shown for ``pause_s``. Returns
    the ``coached`` replies. ``on_pass`` gets each pass's last screen (for a capture).
    ``rows``: the highway's height (default: what the terminal has room for); ``click``:
    a click on every beat of the pass too, not only the count-in's."""
    tty = out.isatty()
    if rows is None:
        height = shutil.get_terminal_size((80, 24)).lines if tty else 24
        rows = max(8, min(30, height - CHROME_LINES))
    if tty:
        out.write("\x1b[?25l\x1b[2J")
    coached: list[dict[str, Any]] = []
    said: list[str] = []
    try:
        while max_passes is None or len(coached) < max_passes:
            lesson = room.handle(learn)[0].to_json()
            learn = learn.model_copy(update={"restart": False})  # once, not every pass
            loop, speed = lesson["loop"], lesson["speed"]
            clicks = count_in(lesson)
            song_from = (clicks[0] if clicks else loop["start"]) - 0.3
            beats = next(iter(lesson["players"].values()))["chart"]["beats"]
            metronome = [b for b in beats if loop["start"] - 1e-3 <= b < loop["end"] - 1e-3]
            frame = Frame(
                title, lesson, song_from, said=said, note=playback.note, clicks=clicks, rows=rows
            )
            keys.begin(lesson)
            playback.start(audio(speed), song_from, speed, clicks + metronome * click)
            end = loop["end"] + GRACE_MS / 1000 + 0.05
            while (now := playback.now()) < end:
                frame.now = now
                for key, t in keys.read(now):
                    _show(frame, room.handle(KeyMsg(type="key", key=key, t=t)))
                _show(frame, room.handle(TickMsg(type="tick", t=now)))
                _paint(out, render(frame), tty=tty)
                sleep(1.0 / fps)
            playback.stop()
            frame.now = end
            reply = room.handle(FinishMsg(type="finish"))[0].to_json()
            coached.append(reply)
            said = [
                f"{name} {100 * p['accuracy']:.0f} % · {p['message']}"
                for name, p in reply["players"].items()
            ]
            if reply.get("together"):
                said.append(reply["together"]["message"])
            frame.said = said
            lines = render(frame)
            _paint(out, lines, tty=tty)
            if on_pass is not None:
                on_pass(lines)
            if not tty:  # a log, not a screen: one line per pass
                out.write(
                    f"pass {len(coached)}: {next(iter(lesson['players'].values()))['key']} at "
                    f"{round(100 * speed)} % · " + " · ".join(said) + "\n"
                )
            if reply["done"]:
                break
            sleep(pause_s)
    finally:
        playback.stop()
        if tty:
            out.write("\x1b[?25h")
            out.flush()
    return coached


def count_in(lesson: dict[str, Any]) -> list[float]:
    """The song times of the count-in: the beats of the bar before the pass's bars."""
    loop = lesson["loop"]
    bar = (loop["end"] - loop["start"]) / (loop["last"] - loop["first"] + 1)
    beats = next(iter(lesson["players"].values()))["chart"]["beats"]
    return [b for b in beats if loop["start"] - bar - 1e-3 <= b < loop["start"] - 1e-3]


def _show(frame: Frame, replies: list[Reply]) -> None:
    for r in (reply.to_json() for reply in replies):
        if r["type"] != "judged":
            continue
        for j in r["items"]:
            name = j["player"]
            if j["grade"]:
                if j["grade"] != "miss" and j["note"] is not None:
                    frame.hidden.setdefault(name, set()).add(j["note"])
                off = j["offset_ms"]
                when = "" if off is None else f" {off:+.0f} ms"
                if off is not None and abs(off) >= 10:
                    when += " late" if off > 0 else " early"
                frame.judged[name] = MARK[j["grade"]] + when
            elif j["outcome"] in ("extra", "wrong_pad"):
                frame.judged[name] = "EXTRA" if j["outcome"] == "extra" else "WRONG PAD"
        frame.stats.update(r["stats"])
