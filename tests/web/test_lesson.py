"""A lesson over the play socket: the coach's passes, where a player is kept per song,
a pass stopped half-way, and a pair learning together on their own parts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from onebeat.library import Library
from onebeat.session import SessionStore
from tests.web.helpers import client

#: Keys of the default map: one player has the whole keyboard; a pair splits it.
SOLO = {"any": "d", "hihat_closed": "s", "snare": "d", "kick": "c"}
LEFT = {"any": "d", "hihat_closed": "s", "snare": "d", "kick": "c"}
RIGHT = {"any": "k", "hihat_closed": "l", "snare": "k", "kick": "m"}


def learn(library: Library, players: list[dict[str, Any]], **kw: Any) -> str:
    msg = {"type": "learn", "song": library.songs()[0].id, "players": players}
    return json.dumps({**msg, **kw})


def play_pass(
    ws: Any, lesson: dict[str, Any], keys: dict[str, dict[str, str]], late_ms: dict[str, float]
) -> dict[str, Any]:
    """Play every note of each player's part (late by ``late_ms``), tick past the end,
    finish; the ``coached`` reply."""
    hits = []
    for name, part in lesson["players"].items():
        any_pad = part["chart"]["any_pad"]
        for t, _, piece, *_ in part["chart"]["notes"]:
            key = keys[name]["any" if any_pad else piece]
            hits.append((t + late_ms.get(name, 0.0) / 1000 * lesson["speed"], key))
    for t, key in sorted(hits):
        ws.send_text(json.dumps({"type": "key", "key": key, "t": t}))
    ws.send_text(json.dumps({"type": "tick", "t": lesson["loop"]["end"] + 0.3}))
    ws.send_text(json.dumps({"type": "finish"}))
    while (msg := ws.receive_json())["type"] != "coached":
        assert msg["type"] == "judged", msg
    return msg


def test_a_lesson_pass_by_pass_remembered_per_song(library: Library) -> None:
    db = library.root / "sessions.sqlite3"
    sha = library.songs()[0].sha256
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_text(learn(library, [{"name": "cleo"}], restart=True))
        lesson = ws.receive_json()
        assert lesson["type"] == "lesson" and lesson["speed"] == 0.7
        assert lesson["drums"] == "guide"  # the song's own drums guide a first layer
        assert [s["key"] for s in lesson["steps"]][:5] == [
            "pulse",
            "hihat",
            "kick",
            "backbeat",
            "groove",
        ]
        part = lesson["players"]["cleo"]
        assert part["key"] == "pulse" and part["chart"]["any_pad"]
        loop = lesson["loop"]
        assert loop["last"] - loop["first"] == 3
        assert all(loop["start"] - 1e-6 <= n[0] < loop["end"] for n in part["chart"]["notes"])
        # a tap along with the count-in is not judged
        ws.send_text(json.dumps({"type": "key", "key": "d", "t": loop["start"] - 1.0}))
        coached = play_pass(ws, lesson, {"cleo": SOLO}, {})
        told = coached["players"]["cleo"]
        assert told["action"] == "next" and told["accuracy"] == 1.0
        assert told["message"].startswith("Got it. Next: Hi-hat")
        assert not coached["done"] and coached["together"] is None
        with SessionStore(db) as store:
            assert store.lesson("cleo", sha) == {
                "step": "hihat",
                "speed": 0.75,
                "done": False,
                "passes": 1,
            }
            session = store.load(told["session"])
            assert session.finished and len(session.hits) == len(part["chart"]["notes"])
            assert " · lesson pass 1: pulse" in session.chart.title  # numbered, its step

        # the next pass: the next step, at the new speed; stopped half-way
        ws.send_text(learn(library, [{"name": "cleo"}]))
        lesson = ws.receive_json()
        part = lesson["players"]["cleo"]
        assert part["key"] == "hihat" and lesson["speed"] == 0.75
        assert {n[2] for n in part["chart"]["notes"]} == {"hihat_closed"}
        ws.send_text(json.dumps({"type": "tick", "t": lesson["loop"]["start"] + 1.0}))
        ws.send_text(json.dumps({"type": "finish"}))
        while (msg := ws.receive_json())["type"] == "judged":
            pass  # the notes of the first second, missed
        assert msg == {"type": "coached", "stopped": True, "done": False, "players": {}}
        ws.send_text(json.dumps({"type": "tick", "t": 3.0}))
        assert "'tick' before 'learn'" in ws.receive_json()["message"]
        ws.send_text(learn(library, [{"name": "cleo"}, {"name": "cleo"}]))
        assert ws.receive_json()["message"] == "players: two players have one name"
        with SessionStore(db) as store:
            assert store.lesson("cleo", sha)["step"] == "hihat"  # type: ignore[index]
            stopped = store.load(part["session"])
            assert not stopped.finished  # kept, as interrupted
            assert stopped.chart.title.endswith(" · lesson pass 2: hihat at 75 %")
            # one lesson, kept as one with its passes
            first = store.load(told["session"]).lesson
            assert first is not None and stopped.lesson is not None
            assert stopped.lesson.id == first.id and (first.pass_no, first.step) == (1, "pulse")
            passes = store.lesson_passes(first.id[:6])
            assert [p.lesson.pass_no for p in passes if p.lesson] == [1, 2]
            assert [p.id for p in passes] == [told["session"], part["session"]]

    # another day, another socket: the lesson picks up where it was
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_text(learn(library, [{"name": "cleo"}]))
        lesson = ws.receive_json()
        assert lesson["players"]["cleo"]["key"] == "hihat" and lesson["speed"] == 0.75


def test_a_pair_learns_each_on_their_own_part(library: Library) -> None:
    players = [{"name": "ana", "experienced": True}, {"name": "ben"}]
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_text(learn(library, players, restart=True))
        lesson = ws.receive_json()
        ana, ben = lesson["players"]["ana"], lesson["players"]["ben"]
        assert (ana["key"], ben["key"]) == ("groove", "pulse")
        assert lesson["speed"] == 0.7  # the slower coach's pace
        assert {n[2] for n in ana["chart"]["notes"]} == {"hihat_closed", "kick", "snare"}
        assert ben["chart"]["any_pad"] and not ana["chart"]["any_pad"]
        assert set(lesson["keymap"]["players"]) == {"ana", "ben"}
        coached = play_pass(ws, lesson, {"ana": LEFT, "ben": RIGHT}, {"ana": 20.0})
        assert coached["players"]["ana"]["accuracy"] > 0.9
        together = coached["together"]
        assert together["common"] == len(ben["chart"]["notes"])  # every beat: both play it
        assert together["mean_ms"] == pytest.approx(20.0, abs=2.0)
        assert "ben is ~20 ms ahead of ana" in together["message"]
        ws.send_text(learn(library, players))
        again = ws.receive_json()
        assert again["players"]["ben"]["key"] == "hihat"
        assert again["speed"] == 0.75


def test_a_phone_hears_its_own_players_part_and_coach() -> None:
    import asyncio

    from onebeat.web.lobby import Link, Lobby

    class Phone:
        def __init__(self) -> None:
            self.got: list[dict[str, Any]] = []

        async def send_text(self, data: str) -> None:
            self.got.append(json.loads(data))

    ws = Phone()
    lobby = Lobby()
    lobby.phones["ben"] = Link(ws, "ben")
    lesson = {"type": "lesson", "players": {"ana": {"title": "A"}, "ben": {"title": "Pulse"}}}
    coached = {
        "type": "coached",
        "players": {"ana": {"message": "for ana"}, "ben": {"message": "Got it."}},
    }
    for reply in (lesson, coached, {"type": "coached", "stopped": True, "players": {}}):
        asyncio.run(lobby.forward(reply))
    assert ws.got == [{"type": "take", "title": "Pulse"}, {"type": "coach", "message": "Got it."}]
