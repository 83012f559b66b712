"""What the rooms answer, typed as their messages in are (:mod:`onebeat.play.protocol`).

Every reply a take, a lesson or the microphone set-up sends to the page is one of these
models; the socket sends :meth:`Reply.to_json` (a field left unset is left out, as the
page expects; ``pass`` is a field name the page reads, spelt ``pass_`` here).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "REPLY",
    "CoachedPlayer",
    "CoachedReply",
    "ErrorReply",
    "HeardReply",
    "JudgedReply",
    "JudgmentItem",
    "KitReply",
    "LessonPlayer",
    "LessonReply",
    "LoopInfo",
    "PassInfo",
    "PassReply",
    "PlayedReply",
    "ReadyReply",
    "Reply",
    "ResultsReply",
    "Running",
    "StepInfo",
    "TogetherInfo",
]

#: A player's summary of a take (:meth:`onebeat.engine.PlayerStats.summary`).
Summary = dict[str, Any]


def _pass_field(default: Any = ...) -> Any:
    """The pass number: ``pass`` on the wire (a Python keyword, so ``pass_`` here)."""
    return Field(
        default, serialization_alias="pass", validation_alias=AliasChoices("pass", "pass_")
    )


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Reply(_Part):
    """A message to the page."""

    type: str

    def to_json(self) -> dict[str, Any]:
        """The JSON object sent: its type, and the fields that were set."""
        return {"type": self.type, **self.model_dump(by_alias=True, exclude_unset=True)}


class JudgmentItem(_Part):
    """One judgment (a graded note, a miss, a stray hit) as the page draws it."""

    player: str
    t: float | None
    grade: str | None
    outcome: str | None
    note: int | None
    offset_ms: float | None
    dynamic_ok: bool | None
    pass_: int | None = _pass_field(None)


class Running(_Part):
    """A player's score so far: accuracy points, the game's points (with the
    multiplier), the streak and its multiplier now."""

    score: int
    streak: int
    accuracy: float
    points: int = 0
    multiplier: int = 1


class JudgedReply(Reply):
    type: Literal["judged"] = "judged"
    items: list[JudgmentItem]
    stats: dict[str, Running]


class HeardReply(Reply):
    """A stroke a microphone heard (its piece, when the set-up knows it)."""

    type: Literal["heard"] = "heard"
    player: str
    t: float
    pad: str | None


class PlayedReply(Reply):
    """A remote take's stroke by a player at this page (its calibrated song time, piece
    and velocity), for the page to pass on to the relay: every input's hits alike, the
    microphone's and an e-kit's too, named by the server."""

    type: Literal["played"] = "played"
    player: str
    t: float
    piece: str | None
    v: int


class LoopInfo(_Part):
    """Bars looped: first and last bar, and where they start and end [s]."""

    first: int
    last: int
    start: float
    end: float


class ReadyReply(Reply):
    """A take is set up: its session, players, chart and key map."""

    type: Literal["ready"] = "ready"
    session: str
    players: list[str]
    chart: dict[str, Any]
    keymap: dict[str, Any] | None
    loop: LoopInfo | None = None


class PassInfo(_Part):
    """A loop's pass, saved as its own session."""

    pass_: int = _pass_field()
    session: str
    summary: dict[str, Summary]


class PassReply(PassInfo, Reply):
    type: Literal["pass"] = "pass"


class ResultsReply(Reply):
    """The take is over: its session (a loop's last pass) and every player's summary."""

    type: Literal["results"] = "results"
    session: str | None
    summary: dict[str, Summary]
    passes: list[PassInfo] | None = None


class StepInfo(_Part):
    key: str
    title: str


class LessonPlayer(_Part):
    """Where a player is in the lesson, and the part they play this pass."""

    step: int
    key: str
    title: str
    pass_: int = _pass_field()
    session: str
    chart: dict[str, Any]


class LessonReply(Reply):
    """A lesson's next pass: the song, its speed and loop, the steps and each player's."""

    type: Literal["lesson"] = "lesson"
    song: str
    speed: float
    #: The song's own drums in this pass: "full", "guide" or "off".
    drums: str
    loop: LoopInfo
    steps: list[StepInfo]
    goal: int
    players: dict[str, LessonPlayer]
    keymap: dict[str, Any] | None


class CoachedPlayer(_Part):
    """What the coach decided for a player after a pass, and why."""

    action: str
    message: str
    accuracy: float
    missed: float
    session: str
    summary: Summary


class TogetherInfo(_Part):
    """A pair's pass: notes both played, the share together, who leads, in words."""

    common: int
    together: float
    mean_ms: float
    message: str


class CoachedReply(Reply):
    type: Literal["coached"] = "coached"
    stopped: bool
    done: bool
    players: dict[str, CoachedPlayer]
    together: TogetherInfo | None = None


class KitReply(Reply):
    """A kit learnt from the strokes heard: how many examples of each piece."""

    type: Literal["kit"] = "kit"
    player: str
    pieces: dict[str, int]


class ErrorReply(Reply):
    """A message refused, in one line."""

    type: Literal["error"] = "error"
    message: str


#: Any reply (the tests validate every one a take and a lesson send).
REPLY: TypeAdapter[Any] = TypeAdapter(
    JudgedReply
    | HeardReply
    | PlayedReply
    | ReadyReply
    | PassReply
    | ResultsReply
    | LessonReply
    | CoachedReply
    | KitReply
    | ErrorReply
)
