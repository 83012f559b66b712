"""A take as something to listen to and watch: the song with each player's hits as drum
sounds, and a video of the note highway with both players' hits.

The audio is the song (time-stretched to the take's practice speed, so it sounds as it
was played) with every hit that reached the judge, at the time the judge heard it
(after the player's calibration), as the synthesised kit of :mod:`onebeat.audio.drumsynth`;
player 1 panned left, player 2 right. The video is H.264 with that audio as AAC in an
MP4, encoded by the FFmpeg inside PyAV (no separate ffmpeg program needed); frames are
drawn with NumPy (rectangles) and Pillow (text).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from onebeat._io import atomic_path
from onebeat.audio.decode import load_audio
from onebeat.audio.drumsynth import render_hits
from onebeat.audio.encode import AUDIO_FORMATS, write_audio
from onebeat.audio.stretch import time_stretch
from onebeat.engine import Grade, HitOutcome
from onebeat.engine.judge import POINTS
from onebeat.errors import OnebeatError, SessionError
from onebeat.kit import LANES as KIT_LANES
from onebeat.kit import DrumPiece
from onebeat.session.model import Session

__all__ = [
    "AUDIO_FORMATS",
    "heard_hits",
    "render_take_audio",
    "write_take_audio",
    "write_take_video",
]

#: Pan positions (-1 left … 1 right) for one and for two players.
_PAN = {1: (0.0,), 2: (-0.6, 0.6)}


@dataclass(frozen=True)
class HeardHit:
    """A hit as the judge heard it: song time after calibration [s], piece, velocity,
    and what it judged (a note's grade, or the outcome of a hit that graded none)."""

    player: str
    time: float
    piece: DrumPiece
    velocity: int
    grade: Grade | None
    outcome: HitOutcome | None
    offset_ms: float | None


def heard_hits(session: Session) -> list[HeardHit]:
    """Every judged hit of a session in time order. A tap without a pad (any pad counts)
    sounds as the note it played, else as a snare."""
    by_time: dict[
        tuple[str, float], tuple[Grade | None, HitOutcome | None, int | None, float | None]
    ] = {}
    for j in session.judgments:
        if j.outcome is not None and math.isfinite(j.time):
            by_time[(j.player, round(j.time, 9))] = (j.grade, j.outcome, j.note_index, j.offset_ms)
    offsets = {p.name: p.offset_ms for p in session.players}
    speed = session.settings.speed
    out = []
    for rec in session.hits:
        h = rec.hit
        if rec.late or not math.isfinite(h.time) or not 1 <= h.velocity <= 127:
            continue
        t = h.time - offsets[h.player] / 1000.0 * speed
        grade, outcome, note, off = by_time.get((h.player, round(t, 9)), (None, None, None, None))
        if outcome in (
            HitOutcome.DEBOUNCED,
            HitOutcome.SOFT,
            HitOutcome.INVALID,
            HitOutcome.UNKNOWN,
        ):
            continue
        piece = h.piece
        if piece is None:
            piece = session.chart.notes[note].piece if note is not None else DrumPiece.SNARE
        out.append(HeardHit(h.player, t, piece, h.velocity, grade, outcome, off))
    out.sort(key=lambda x: x.time)
    return out


def _song(
    session: Session, song: str | os.PathLike[str] | None, sr: int, drums: str = "full"
) -> np.ndarray:
    path = Path(song) if song is not None else Path(session.song.path)
    if not str(path) or not path.is_file():
        raise SessionError(
            f"session {session.id[:8]}: its song {session.song.path or '(none)'} is not "
            "there; give the audio file with --song"
        )
    if drums != "full":  # the song's drums down or out: the jam sounds like the players
        from onebeat.analysis.drumless import song_at_level

        path = song_at_level(path, drums)
    y = load_audio(path, sr=sr, mono=False).y
    y = np.atleast_2d(y)
    if y.shape[0] == 1:
        y = np.vstack([y, y])
    return np.asarray(y[:2], dtype=np.float32)


#: How long a take stopped early sounds on after its stop, fading out [s].
STOP_TAIL_S = 1.0


def render_take_audio(
    session: Session,
    *,
    song: str | os.PathLike[str] | None = None,
    sr: int = 44100,
    drums_db: float = -3.0,
    hits: list[HeardHit] | None = None,
    song_drums: str = "full",
) -> np.ndarray:
    """The take as stereo audio, shape ``(2, n)``, real time (at the take's speed); a
    take stopped early ends a second after its stop (the video with it), not with the
    rest of the song played on.

    Parameters
    ----------
    song : path, optional
        The song's audio file (default: where the session says it was).
    drums_db : float
        Level of all the drums against the song's RMS [dB].
    hits : list of HeardHit, optional
        :func:`heard_hits` of the session, when the caller has them already.
    song_drums : str
        The song's own drums: "full", "guide" (quiet) or "off"
        (:data:`onebeat.analysis.drumless.DRUM_LEVELS`).
    """
    y = _song(session, song, sr, song_drums)
    speed = session.settings.speed
    if speed != 1.0:
        y = time_stretch(y, sr, speed)
    if session.stopped_at is not None:  # a take stopped early ends there (and a second on)
        stop = max(1, min(y.shape[1], round((session.stopped_at / speed + STOP_TAIL_S) * sr)))
        y = y[:, :stop].copy()
        fade = min(stop, round(STOP_TAIL_S * sr))
        y[:, stop - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    n = y.shape[1]
    if hits is None:
        hits = heard_hits(session)
    names = session.player_names
    pans = _PAN.get(len(names), tuple(np.linspace(-0.6, 0.6, len(names))))
    drums = np.zeros((2, n), dtype=np.float32)
    for name, pan in zip(names, pans, strict=True):
        mono = render_hits(
            [(h.time / speed, h.piece, h.velocity) for h in hits if h.player == name],
            sr=sr,
            n_samples=n,
        )
        angle = (pan + 1) * math.pi / 4  # equal-power pan
        drums[0] += mono * math.cos(angle)
        drums[1] += mono * math.sin(angle)
    song_rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2))) + 1e-9
    drum_rms = float(np.sqrt(np.mean(drums.astype(np.float64) ** 2)))
    gain = song_rms / drum_rms * 10 ** (drums_db / 20) if drum_rms > 0 else 0.0
    mixed = y + drums * gain
    peak = float(np.max(np.abs(mixed))) + 1e-12
    return np.asarray(mixed * (0.89 / peak), dtype=np.float32)  # peak −1 dBFS


def write_take_audio(
    session: Session,
    path: str | os.PathLike[str],
    *,
    song: str | os.PathLike[str] | None = None,
    sr: int = 44100,
    song_drums: str = "full",
) -> float:
    """:func:`render_take_audio` to a .wav, .flac or .ogg file; returns its length [s]."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in AUDIO_FORMATS:
        raise OnebeatError(f"{p}: audio export writes {', '.join(AUDIO_FORMATS)}")
    y = render_take_audio(session, song=song, sr=sr, song_drums=song_drums)
    write_audio(p, y, sr)
    return float(y.shape[1] / sr)


# -- video ---------------------------------------------------------------------------------

BG = (20, 22, 28)
PANEL = (30, 34, 43)
LINE = (50, 56, 70)
INK = (238, 240, 244)
DIM = (154, 163, 178)
PLAYER = ((255, 176, 46), (63, 193, 255))
GRADE = {
    Grade.PERFECT: (91, 227, 125),
    Grade.GREAT: (196, 227, 91),
    Grade.GOOD: (240, 192, 64),
    Grade.MISS: (255, 90, 90),
}
EXTRA = (176, 124, 255)
#: The kit's lanes (:data:`onebeat.kit.LANES`) as the video draws them.
LANES: tuple[tuple[DrumPiece, str, tuple[int, int, int]], ...] = tuple(
    (lane.piece, lane.label, lane.rgb) for lane in KIT_LANES
)
#: Seconds of song shown above the hit line, and kept below it.
AHEAD_S, BEHIND_S = 2.0, 0.45


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@functools.cache
def _text(text: str, size: int, colour: tuple[int, int, int]) -> np.ndarray:
    """A line of text as an RGBA array (cached: the same words recur every frame)."""
    font = _font(size)
    box = font.getbbox(text)
    img = Image.new("RGBA", (max(1, int(box[2]) + 2), max(1, int(box[3]) + 4)), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((0, 0), text, font=font, fill=(*colour, 255))
    return np.asarray(img)


def _blit(frame: np.ndarray, text: np.ndarray, x: int, y: int) -> None:
    h, w = text.shape[:2]
    H, W = frame.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 <= x0 or y1 <= y0:
        return
    t = text[y0 - y : y1 - y, x0 - x : x1 - x]
    a = t[..., 3:4].astype(np.float32) / 255.0
    region = frame[y0:y1, x0:x1]
    region[:] = (region * (1 - a) + t[..., :3] * a).astype(np.uint8)


def _rect(
    frame: np.ndarray, x0: float, y0: float, x1: float, y1: float, colour: tuple[int, int, int]
) -> None:
    H, W = frame.shape[:2]
    a, b = int(max(0, round(y0))), int(min(H, round(y1)))
    c, d = int(max(0, round(x0))), int(min(W, round(x1)))
    if b > a and d > c:
        frame[a:b, c:d] = colour


class _Highway:
    """Draws frames of the note highway for every player, side by side."""

    def __init__(self, session: Session, width: int, height: int, hits: list[HeardHit]) -> None:
        self.session = session
        self.w, self.h = width, height
        used = {n.piece for n in session.chart.notes}
        self.lanes = [lane for lane in LANES if lane[0] in used] or [LANES[3]]
        self.lane_of = {piece: k for k, (piece, _, _) in enumerate(self.lanes)}
        self.names = session.player_names
        self.top = 76
        self.hitline = int(self.top + (height - self.top - 40) * AHEAD_S / (AHEAD_S + BEHIND_S))
        self.px_per_s = (self.hitline - self.top) / AHEAD_S
        gap = 16
        self.col_w = (width - gap * (len(self.names) + 1)) / len(self.names)
        self.lane_w = self.col_w / len(self.lanes)
        self.x0 = [gap + k * (self.col_w + gap) for k in range(len(self.names))]
        self.notes = np.array([n.time for n in session.chart.notes])
        self.hits = hits
        self.hit_times = np.array([h.time for h in self.hits])
        grades: dict[tuple[str, int], Grade] = {}
        for j in session.judgments:
            if j.grade is not None and j.note_index is not None:
                grades[(j.player, j.note_index)] = j.grade
        self.grades = grades
        # running accuracy: each player's graded notes in time order, points summed
        self.graded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in self.names:
            done = sorted(
                (notes_t, POINTS[g])
                for (pl, i), g in grades.items()
                if pl == name
                for notes_t in (self.notes[i],)
            )
            arr = np.array(done, dtype=float).reshape(-1, 2)
            self.graded[name] = (arr[:, 0], np.cumsum(arr[:, 1]))
        self.background = self._background()

    def _background(self) -> np.ndarray:
        frame = np.empty((self.h, self.w, 3), dtype=np.uint8)
        frame[:] = BG
        for k, name in enumerate(self.names):
            x = self.x0[k]
            _rect(frame, x, self.top, x + self.col_w, self.h - 34, PANEL)
            for li, (_, label, colour) in enumerate(self.lanes):
                lx = x + li * self.lane_w
                _rect(frame, lx, self.top, lx + 1, self.h - 34, LINE)
                t = _text(label, 13, colour)
                _blit(frame, t, int(lx + (self.lane_w - t.shape[1]) / 2), self.h - 30)
            _rect(frame, x, self.hitline - 2, x + self.col_w, self.hitline + 2, INK)
            _blit(frame, _text(name, 22, PLAYER[k % 2]), int(x + 4), 44)
        return frame

    def y_of(self, t: float, now: float) -> float:
        return self.hitline - (t - now) * self.px_per_s

    def frame(self, now: float) -> np.ndarray:
        """The picture at song time ``now`` [s]."""
        f = self.background.copy()
        notes = self.session.chart.notes
        lo = int(np.searchsorted(self.notes, now - BEHIND_S))
        hi = int(np.searchsorted(self.notes, now + AHEAD_S))
        for k, name in enumerate(self.names):
            x = self.x0[k]
            for i in range(lo, hi):
                n = notes[i]
                li = self.lane_of.get(n.piece, 0)
                colour = self.lanes[li][2]
                grade = self.grades.get((name, i))
                if n.time < now and grade is not None:
                    colour = GRADE[grade]  # passed notes show how they were judged
                y = self.y_of(n.time, now)
                lx = x + li * self.lane_w
                thick = 12 if n.piece is DrumPiece.KICK else 9
                _rect(f, lx + 4, y - thick / 2, lx + self.lane_w - 4, y + thick / 2, colour)
        a = int(np.searchsorted(self.hit_times, now - BEHIND_S))
        b = int(np.searchsorted(self.hit_times, now, side="right"))
        last: dict[str, HeardHit] = {}
        for h in self.hits[a:b]:
            k = self.names.index(h.player)
            lane = self.lane_of.get(h.piece)
            y = self.y_of(h.time, now)
            colour = GRADE[h.grade] if h.grade is not None else EXTRA
            if lane is None:  # a pad the chart does not use: across the whole column
                _rect(f, self.x0[k], y - 1, self.x0[k] + self.col_w, y + 1, colour)
            else:
                lx = self.x0[k] + lane * self.lane_w
                _rect(f, lx + 1, y - 2, lx + self.lane_w - 1, y + 2, colour)
            last[h.player] = h
        for name, h in last.items():
            k = self.names.index(name)
            if now - h.time > 0.3:
                continue
            if h.grade is not None:
                word = (
                    f"{h.grade.value.title()} {h.offset_ms:+.0f} ms"
                    if h.offset_ms is not None
                    else h.grade.value.title()
                )
                colour = GRADE[h.grade]
            else:
                word, colour = (h.outcome.value.replace("_", " ") if h.outcome else "hit"), EXTRA
            t = _text(word, 24, colour)
            _blit(f, t, int(self.x0[k] + (self.col_w - t.shape[1]) / 2), self.hitline + 24)
        for k, name in enumerate(self.names):
            times, points = self.graded[name]
            done = int(np.searchsorted(times, now, side="right"))
            if done:
                acc = _text(f"{points[done - 1] / done:.0f} %", 22, INK)
                _blit(f, acc, int(self.x0[k] + self.col_w - acc.shape[1] - 4), 44)
        title = self.session.song.title or self.session.chart.title
        clock = _text(f"{title}  {int(now // 60)}:{int(now % 60):02d}", 16, DIM)
        _blit(f, clock, int(self.w / 2 - clock.shape[1] / 2), 10)
        return f


def write_take_video(
    session: Session,
    path: str | os.PathLike[str],
    *,
    song: str | os.PathLike[str] | None = None,
    size: tuple[int, int] = (1280, 720),
    fps: int = 30,
    progress: Callable[[float], None] | None = None,
    song_drums: str = "full",
) -> float:
    """An MP4 (H.264 + AAC) of the take: the note highway per player with their hits
    judged, and the take's audio (:func:`render_take_audio`). Returns its length [s].

    The video runs in real time (at the take's practice speed). ``progress`` is called
    with the share done (0–1) every second of video."""
    p = Path(path)
    if p.suffix.lower() != ".mp4":
        raise OnebeatError(f"{p}: video export writes .mp4")
    sr = 44100
    hits = heard_hits(session)  # once, for the sound and the pictures
    audio = render_take_audio(session, song=song, sr=sr, hits=hits, song_drums=song_drums)
    duration = audio.shape[1] / sr
    speed = session.settings.speed
    width, height = size
    highway = _Highway(session, width, height, hits)
    frames = math.ceil(duration * fps)
    with atomic_path(p) as tmp, av.open(str(tmp), mode="w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "superfast", "crf": "23"}
        aus = out.add_stream("aac", rate=sr, layout="stereo")
        for k in range(frames):
            now = k / fps * speed  # real time → song time
            frame = av.VideoFrame.from_ndarray(highway.frame(now), format="rgb24")
            for packet in vs.encode(frame):
                out.mux(packet)
            if progress is not None and k % fps == 0:
                progress(k / frames)
        block = 1024
        for start in range(0, audio.shape[1], block):
            chunk = np.ascontiguousarray(audio[:, start : start + block])
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            af.sample_rate = sr
            af.pts = start
            for packet in aus.encode(af):
                out.mux(packet)
        for stream in (vs, aus):
            for packet in stream.encode(None):
                out.mux(packet)
    return float(duration)
