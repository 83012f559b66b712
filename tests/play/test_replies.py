"""The rooms' replies are typed (issue 24): every reply of a take, a looped take and a
lesson is one of :data:`onebeat.play.replies.REPLY`'s models, and what the socket sends
(:meth:`Reply.to_json`) validates back to the same reply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from onebeat.play.lesson import LessonRoom
from onebeat.play.protocol import (
    FinishMsg,
    KeyMsg,
    LearnMsg,
    PlayerSpec,
    StartMsg,
    TickMsg,
)
from onebeat.play.replies import REPLY, JudgedReply, Reply, ResultsReply
from onebeat.play.room import PlayRoom
from onebeat.session import SessionStore


def _round_trip(replies: list[Reply]) -> list[dict[str, Any]]:
    out = []
    for r in replies:
        wire = json.loads(json.dumps(r.to_json()))  # plain JSON, as the socket sends it
        again = REPLY.validate_python(wire)
        assert type(again) is type(r) and again.to_json() == wire
        out.append(wire)
    return out


def _play(
    room: PlayRoom | LessonRoom, first: Any, notes: list[list[Any]], end: float = 0.0
) -> list[dict[str, Any]]:
    wire = _round_trip(room.handle(first))
    for n in notes[:12]:
        wire += _round_trip(room.handle(KeyMsg(type="key", key="d", t=n[0] + 0.01)))
        wire += _round_trip(room.handle(TickMsg(type="tick", t=n[0] + 0.2)))
    if end:  # played to the end of the pass
        wire += _round_trip(room.handle(TickMsg(type="tick", t=end)))
    wire += _round_trip(room.handle(FinishMsg(type="finish")))
    return wire


def test_a_take_and_a_looped_take_reply_in_typed_messages(library: Any, tmp_path: Path) -> None:
    song = library.songs()[0].id
    with SessionStore(tmp_path / "s.sqlite3") as store:
        room = PlayRoom(library, store)
        start = StartMsg(type="start", song=song, level=2, players=[PlayerSpec(name="ana")])
        ready = _round_trip(room.handle(start))[0]
        wire = _play(room, start, ready["chart"]["notes"])
        assert wire[-1]["type"] == "results" and "passes" not in wire[-1]
        judged = [w for w in wire if w["type"] == "judged"]
        assert judged and all("pass" not in i for w in judged for i in w["items"])
        looped = start.model_copy(update={"loop": (2, 3)})
        ready = _round_trip(room.handle(looped))[0]
        wire = _play(room, looped, ready["chart"]["notes"])
        assert ready["loop"]["first"] == 2 and wire[-1]["passes"] is not None
        assert all("pass" in i for w in wire if w["type"] == "judged" for i in w["items"])


def test_a_lesson_replies_in_typed_messages(library: Any, tmp_path: Path) -> None:
    song = library.songs()[0].id
    with SessionStore(tmp_path / "s.sqlite3") as store:
        room = LessonRoom(library, store)
        learn = LearnMsg(type="learn", song=song, players=[PlayerSpec(name="cleo")])
        lesson = _round_trip(room.handle(learn))[0]
        part = lesson["players"]["cleo"]
        assert lesson["type"] == "lesson" and part["pass"] == 1
        wire = _play(room, learn, part["chart"]["notes"], end=lesson["loop"]["end"] + 0.5)
        assert wire[-1]["type"] == "coached" and "cleo" in wire[-1]["players"]


def test_a_reply_the_page_does_not_know_is_refused() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        REPLY.validate_python({"type": "judged", "items": [], "stats": {}, "extra": 1})
    assert isinstance(
        REPLY.validate_python({"type": "judged", "items": [], "stats": {}}), JudgedReply
    )
    assert ResultsReply(session=None, summary={}).to_json() == {
        "type": "results",
        "session": None,
        "summary": {},
    }
