"""The session record: what was played, against what, by whom, and how it was judged.

A :class:`Session` keeps everything needed to judge a take again: the chart itself
(not just a reference to the song, since a newer analysis could chart it differently),
the judge's settings, the players with their calibration, and every raw hit in the
order it arrived, with whether it came too late to be judged. Its judgments are kept
too, so that a replay can be checked against them.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from onebeat.chart.model import Chart
from onebeat.engine import Grade, Hit, HitOutcome, HitWindows, JudgeSettings, Judgment
from onebeat.errors import ChartError, SessionError
from onebeat.kit import DrumPiece

__all__ = [
    "INPUT_KINDS",
    "LessonRef",
    "PlayerInfo",
    "RecordedHit",
    "Session",
    "SongRef",
    "judgment_key",
    "settings_from_dict",
    "settings_to_dict",
]

#: Input kinds; each keeps its own calibration offset.
INPUT_KINDS = ("midi", "keyboard", "touch", "microphone", "file", "remote")


@dataclass(frozen=True)
class SongRef:
    """The song a session was played to (for finding it again; the chart is kept whole)."""

    title: str
    path: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class LessonRef:
    """The lesson a session is a pass of: the lesson's id (one per lesson, shared by its
    passes), the pass's number in it (1, 2, …) and the step it played (``groove``)."""

    id: str
    pass_no: int
    step: str


@dataclass(frozen=True)
class PlayerInfo:
    """A player of a session.

    Attributes
    ----------
    name : str
    input_kind : str
        One of :data:`INPUT_KINDS`.
    offset_ms : float
        Calibration: how late this player's input arrives [ms]; subtracted by the judge.
    device : str
        The device played ("TD-17", "phone"), since calibration is kept per device.
    """

    name: str
    input_kind: str = "file"
    offset_ms: float = 0.0
    device: str = ""

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 64:
            raise SessionError(f"player name {self.name!r}: 1–64 characters")
        if self.input_kind not in INPUT_KINDS:
            raise SessionError(f"player {self.name}: input kind {self.input_kind!r} is unknown")
        if not math.isfinite(self.offset_ms) or abs(self.offset_ms) > 2000:
            raise SessionError(f"player {self.name}: offset {self.offset_ms} ms is not 0–2000")


@dataclass(frozen=True)
class RecordedHit:
    """A raw hit as it arrived: its place in the arrival order, and whether the judge
    had already moved past its time (then it was counted as late, not judged).

    ``raw`` says what the device sent ("note 38", "key d"), for remapping later."""

    seq: int
    hit: Hit
    late: bool = False
    raw: str = ""


def _new_id() -> str:
    return uuid.uuid4().hex


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Session:
    """One take: a chart played by one or more players.

    Attributes
    ----------
    chart : Chart
    settings : JudgeSettings
    players : list of PlayerInfo
    song : SongRef
    hits : list of RecordedHit
        In arrival order (``seq`` 0, 1, …).
    judgments : list of Judgment
        As the judge emitted them.
    summary : dict
        Per player, :meth:`~onebeat.engine.PlayerStats.summary` once finished, over the
        notes up to :attr:`played_until`.
    finished : bool
        False for a take that was interrupted (it still replays).
    stopped_at : float or None
        Song time at which the player stopped the take [s]; None for a take played to its
        end (or recorded before onebeat kept it).
    lesson : LessonRef or None
        The lesson this take is a pass of (None: a take of its own).
    id, created : str
        A random hex id, and the UTC start time (ISO 8601).
    """

    chart: Chart
    settings: JudgeSettings
    players: list[PlayerInfo]
    song: SongRef
    hits: list[RecordedHit] = field(default_factory=list)
    judgments: list[Judgment] = field(default_factory=list)
    summary: dict[str, dict[str, float | int]] = field(default_factory=dict)
    finished: bool = False
    stopped_at: float | None = None
    lesson: LessonRef | None = None
    id: str = field(default_factory=_new_id)
    created: str = field(default_factory=_now_iso)

    def __post_init__(self) -> None:
        names = [p.name for p in self.players]
        if not names or len(set(names)) != len(names):
            raise SessionError("a session needs one or more players with distinct names")

    @property
    def player_names(self) -> list[str]:
        return [p.name for p in self.players]

    @property
    def played_until(self) -> float:
        """Song time [s] up to which the take's notes count: where it was stopped, plus
        the Good window (a note there could still be hit); every note for a take played
        to its end. Notes after it were never reached: the summary, the sessions list,
        progress, the report and the exported video leave them out, not count them missed."""
        if self.stopped_at is None:
            return math.inf
        return self.stopped_at + self.settings.windows.good_ms / 1000.0 * self.settings.speed

    # -- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The session as one JSON-ready object (the export format)."""
        return {
            "format": "onebeat-session",
            "version": 1,
            "id": self.id,
            "created": self.created,
            "finished": self.finished,
            "stopped_at": self.stopped_at,
            "lesson": None
            if self.lesson is None
            else {"id": self.lesson.id, "pass": self.lesson.pass_no, "step": self.lesson.step},
            "song": {"title": self.song.title, "path": self.song.path, "sha256": self.song.sha256},
            "players": [
                {
                    "name": p.name,
                    "input_kind": p.input_kind,
                    "offset_ms": p.offset_ms,
                    "device": p.device,
                }
                for p in self.players
            ],
            "settings": settings_to_dict(self.settings),
            "chart": self.chart.to_dict(),
            "hits": [hit_to_list(h) for h in self.hits],
            "judgments": [judgment_to_list(j) for j in self.judgments],
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "session") -> Session:
        """Read :meth:`to_dict`'s form; a :class:`SessionError` names the bad field."""
        if not isinstance(data, dict) or data.get("format") != "onebeat-session":
            raise SessionError(f"{source}: not a onebeat session (no format 'onebeat-session')")
        if data.get("version") != 1:
            raise SessionError(f"{source}: session version {data.get('version')!r} is unknown")
        try:
            song = data["song"]
            return cls(
                id=str(data["id"]),
                created=str(data["created"]),
                finished=bool(data["finished"]),
                stopped_at=(None if data.get("stopped_at") is None else float(data["stopped_at"])),
                lesson=_lesson_from(data.get("lesson")),
                song=SongRef(str(song["title"]), str(song["path"]), str(song["sha256"])),
                players=[
                    PlayerInfo(
                        str(p["name"]),
                        str(p["input_kind"]),
                        float(p["offset_ms"]),
                        str(p.get("device", "")),
                    )
                    for p in data["players"]
                ],
                settings=settings_from_dict(data["settings"]),
                chart=Chart.from_dict(data["chart"], source=f"{source}: chart"),
                hits=[hit_from_list(h) for h in data["hits"]],
                judgments=[judgment_from_list(j) for j in data["judgments"]],
                summary={str(k): dict(v) for k, v in data.get("summary", {}).items()},
            )
        except (KeyError, TypeError, ValueError, ChartError) as exc:
            what = f"{type(exc).__name__}: {exc}"
            raise SessionError(f"{source}: malformed session ({what})") from None


def settings_to_dict(s: JudgeSettings) -> dict[str, Any]:
    w = s.windows
    return {
        "windows": {
            "name": w.name,
            "perfect_ms": w.perfect_ms,
            "great_ms": w.great_ms,
            "good_ms": w.good_ms,
        },
        "speed": s.speed,
        "any_pad": s.any_pad,
        "debounce_ms": s.debounce_ms,
        "flam_ms": s.flam_ms,
        "velocity_threshold": {p.value: v for p, v in s.velocity_threshold.items()},
        "ghost_max_velocity": s.ghost_max_velocity,
        "accent_min_velocity": s.accent_min_velocity,
        "grace_ms": s.grace_ms,
    }


def settings_from_dict(d: Mapping[str, Any]) -> JudgeSettings:
    w = d["windows"]
    any_pad = d["any_pad"]
    return JudgeSettings(
        windows=HitWindows(
            float(w["perfect_ms"]), float(w["great_ms"]), float(w["good_ms"]), str(w["name"])
        ),
        speed=float(d["speed"]),
        any_pad=None if any_pad is None else bool(any_pad),
        debounce_ms=float(d["debounce_ms"]),
        flam_ms=float(d["flam_ms"]),
        velocity_threshold={DrumPiece(k): int(v) for k, v in d["velocity_threshold"].items()},
        ghost_max_velocity=int(d["ghost_max_velocity"]),
        accent_min_velocity=int(d["accent_min_velocity"]),
        grace_ms=float(d["grace_ms"]),
    )


def _num(x: float) -> float | None:
    """A float for JSON: NaN and infinities (bad input kept as it came) become null."""
    return x if math.isfinite(x) else None


def hit_to_list(h: RecordedHit) -> list[Any]:
    hit = h.hit
    piece = hit.piece.value if hit.piece is not None else None
    return [h.seq, hit.player, _num(hit.time), piece, hit.velocity, h.late, h.raw]


def hit_from_list(row: list[Any]) -> RecordedHit:
    seq, player, time, piece, velocity, late, raw = row
    t = math.nan if time is None else float(time)
    p = None if piece is None else DrumPiece(piece)
    return RecordedHit(int(seq), Hit(str(player), t, p, int(velocity)), bool(late), str(raw))


def judgment_to_list(j: Judgment) -> list[Any]:
    return [
        j.player,
        _num(j.time),
        j.grade.value if j.grade is not None else None,
        j.outcome.value if j.outcome is not None else None,
        j.note_index,
        j.offset_ms,
        j.dynamic_ok,
    ]


def judgment_from_list(row: list[Any]) -> Judgment:
    player, time, grade, outcome, note_index, offset_ms, dynamic_ok = row
    return Judgment(
        str(player),
        math.nan if time is None else float(time),
        None if grade is None else Grade(grade),
        None if outcome is None else HitOutcome(outcome),
        None if note_index is None else int(note_index),
        None if offset_ms is None else float(offset_ms),
        None if dynamic_ok is None else bool(dynamic_ok),
    )


def judgment_key(j: Judgment) -> tuple[Any, ...]:
    """A total order on judgments that does not depend on when updates came: compare
    two runs' judgments sorted by it."""
    t = j.time if math.isfinite(j.time) else -math.inf
    return (
        j.player,
        t,
        -1 if j.note_index is None else j.note_index,
        j.grade.value if j.grade else "",
        j.outcome.value if j.outcome else "",
        j.offset_ms if j.offset_ms is not None else 0.0,
    )


def _lesson_from(data: Any) -> LessonRef | None:
    """A session JSON's ``lesson`` (absent or null: not a lesson's pass)."""
    if data is None:
        return None
    return LessonRef(str(data["id"]), int(data["pass"]), str(data["step"]))
