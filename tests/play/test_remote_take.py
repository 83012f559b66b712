"""A remote duet's take in the local room: the partner's strokes come in as ``pad``
messages of a ``remote`` player, this page's strokes go back out calibrated
(``played``) for the relay, and the session keeps the link it ran over."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from onebeat.play.protocol import MESSAGE
from onebeat.play.room import PlayRoom
from onebeat.session import SessionStore


def _start(song: str, remote: dict[str, object] | None, players: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    msg: dict[str, object] = {"type": "start", "song": song, "level": 2, "players": players}
    if remote is not None:
        msg["remote"] = remote
    return MESSAGE.validate_python(msg)


def test_a_remote_take_is_judged_for_both_and_kept(library, tmp_path) -> None:  # type: ignore[no-untyped-def]
    song = library.songs()[0].id
    store = SessionStore(tmp_path / "s.sqlite3")
    room = PlayRoom(library, store)
    players = [
        {"name": "Ana", "input": "touch", "offset_ms": 20.0},
        {"name": "Ben", "input": "remote"},
    ]
    (ready,) = room.handle(_start(song, {"latency_ms": 82.4, "mode": "bar"}, players))
    notes = ready.chart["notes"]
    t0, piece = notes[0][0], notes[0][2]
    out = room.handle(
        MESSAGE.validate_python({"type": "pad", "player": "Ana", "pad": piece, "t": t0 + 0.03})
    )
    played = [r for r in out if r.type == "played"]
    # calibrated as judged: 30 ms late as it arrived, 20 ms of it the input's own lag
    assert len(played) == 1 and played[0].player == "Ana" and played[0].piece == piece
    assert played[0].t == pytest.approx(t0 + 0.01, abs=1e-4)
    out = room.handle(
        MESSAGE.validate_python({"type": "pad", "player": "Ben", "pad": piece, "t": t0 - 0.005})
    )
    assert not [r for r in out if r.type == "played"]  # the partner's own are not echoed
    judged = [i for r in out if r.type == "judged" for i in r.items]
    assert [(i.player, i.offset_ms) for i in judged if i.note == 0] == [("Ben", -5.0)]
    (results,) = [
        r for r in room.handle(MESSAGE.validate_python({"type": "finish"})) if r.type == "results"
    ]
    session = store.load(results.session)
    assert [(p.input_kind, p.device) for p in session.players] == [
        ("touch", "browser"),
        ("remote", "relay, 82 ms one way, bar"),
    ]
    from onebeat.insight.report import build_report

    report = build_report(session, bootstrap=0)
    assert "remote duet (relay, 82 ms one way, bar)" in report.subtitle  # the card's line
    assert report.pair is not None and report.pair.common >= 1
    room.close()
    store.close()


def test_remote_players_only_in_remote_takes() -> None:
    song = "0123456789abcdef"
    with pytest.raises(ValidationError, match="no remote take"):
        _start(song, None, [{"name": "A"}, {"name": "B", "input": "remote"}])
    with pytest.raises(ValidationError, match="one remote"):
        _start(song, {"latency_ms": 10, "mode": "live"}, [{"name": "A"}])
    with pytest.raises(ValidationError, match="lesson"):
        MESSAGE.validate_python(
            {
                "type": "learn",
                "song": song,
                "players": [{"name": "A"}, {"name": "B", "input": "remote"}],
            }
        )


def test_each_song_knows_its_audio_hash_for_a_partner_to_match(library) -> None:  # type: ignore[no-untyped-def]
    from onebeat.audio import audio_sha256

    demo = library.songs()[0]
    assert demo.status == "ready"
    assert demo.audio_id == audio_sha256(demo.path)[:16] != demo.id
    assert demo.to_json()["audio_id"] == demo.audio_id
