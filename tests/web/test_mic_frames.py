"""A microphone's binary frames: read back exactly, refused with one line when bad, and
streamed to a take as a microphone player's hits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from onebeat.play.protocol import audio_frame, parse_audio
from tests.web.helpers import client, faded_snare


def test_a_frame_reads_back() -> None:
    y = np.sin(np.arange(1024) / 10).astype(np.float32) * 0.5
    m = parse_audio(audio_frame(1, 12.25, 48000, y))
    assert (m.player, m.t, m.sr) == (1, 12.25, 48000)
    assert np.max(np.abs(m.samples - y)) < 1e-4


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (b"OBA1" + bytes(3), "header"),
        (audio_frame(0, 1.0, 44100, np.zeros(4))[:-1], "bytes of samples"),
        (audio_frame(0, 5000.0, 44100, np.zeros(4)), "no song time"),
        (audio_frame(0, 1.0, 10, np.zeros(4)), "not a microphone's"),
    ],
)
def test_bad_frames_are_one_line(frame: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_audio(frame)


def _stream(ws, player: int, y: np.ndarray, sr: int, t0: float) -> None:  # type: ignore[no-untyped-def]
    for i in range(0, len(y), 1024):
        ws.send_bytes(audio_frame(player, t0 + i / sr, sr, y[i : i + 1024]))


def _until(ws, kind: str) -> tuple[list[dict], dict]:  # type: ignore[no-untyped-def,type-arg]
    seen = []
    while True:
        msg = ws.receive_json()
        if msg["type"] == kind:
            return seen, msg
        seen.append(msg)


def teach_kit(ws, name: str, pieces, strokes, room, rng) -> tuple[list[dict], dict]:  # type: ignore[no-untyped-def,type-arg]
    """A player's kit calibration over the socket, as the page's "Learn my kit" runs it:
    "hit the kick 8 times", then the next piece, on the page's audio clock; the messages
    heard on the way, and the ``kit`` reply."""
    from onebeat.simulate import kitsound as ks

    t = 100.0  # the page's audio clock
    for piece in pieces:
        ws.send_json({"type": "listen", "player": 0, "name": name, "piece": str(piece)})
        cal = ks.calibration([piece], rng)
        n = round((cal[-1][0] + 1.0) * ks.SR)
        _stream(ws, 0, ks.microphone(ks.play(strokes, cal, n, rng), room, rng), ks.SR, t)
        t += n / ks.SR
    ws.send_json({"type": "kit", "player": 0, "name": name})
    return _until(ws, "kit")


def test_a_take_hears_a_streamed_microphone(library) -> None:  # type: ignore[no-untyped-def]
    song = library.songs()[0].id
    sr = 44100
    y = np.zeros(6 * sr, dtype=np.float32)
    s = faded_snare(sr)
    for k in range(8):  # a snare every half second from 2 s
        i = round((2.0 + 0.5 * k) * sr)
        y[i : i + len(s)] += 0.5 * s
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_json({"type": "audio"})
        assert ws.receive_json()["type"] == "error"
        ws.send_bytes(audio_frame(0, 0.0, sr, y[:1024]))
        assert "before 'start'" in ws.receive_json()["message"]
        ws.send_json(
            {
                "type": "start",
                "song": song,
                "level": 1,
                "players": [{"name": "ana", "input": "microphone"}],
            }
        )
        assert ws.receive_json()["type"] == "ready"
        _stream(ws, 0, y, sr, 0.0)
        ws.send_json({"type": "finish"})
        seen, _ = _until(ws, "results")
    heard = [m["t"] for m in seen if m["type"] == "heard"]
    assert len(heard) >= 8
    assert all(any(abs(t - (2.0 + 0.5 * k)) < 0.005 for k in range(8)) for t in heard)


def test_a_kit_is_calibrated_in_the_page_and_kept(library) -> None:  # type: ignore[no-untyped-def]
    from onebeat.kit import DrumPiece
    from onebeat.simulate import kitsound as ks

    rng = np.random.default_rng(11)
    room = ks.Room(0.3, 12.0, 30.0, 16000.0, -55.0, -np.inf, 0.0, -6.0)
    strokes = ks.strokes(ks.SYNTH)
    pieces = [DrumPiece.KICK, DrumPiece.SNARE, DrumPiece.HIHAT_CLOSED]
    song = library.songs()[0].id
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_json({"type": "kit", "player": 0, "name": "ana"})
        assert "was not being listened to" in ws.receive_json()["message"]
        seen, kit = teach_kit(ws, "ana", pieces, strokes, room, rng)
    heard = [m for m in seen if m["type"] == "heard"]
    assert [m["pad"] for m in heard] == [str(p) for p in pieces for _ in range(8)]
    assert kit == {"type": "kit", "player": "ana", "pieces": {str(p): 8 for p in pieces}}
    mine = library.kit_for("ana")
    assert mine is not None and mine.kinds == pieces
    assert library.kit_for("bo") is None  # others keep the default
    # the next take hears ana's strokes with ana's kit
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_json(
            {
                "type": "start",
                "song": song,
                "level": 1,
                "players": [{"name": "ana", "input": "microphone"}],
            }
        )
        _until(ws, "ready")
        perf = [(1.0 + 0.4 * k, pieces[k % 3], 100) for k in range(9)]
        y = ks.microphone(ks.play(strokes, perf, 5 * ks.SR, rng), room, rng)
        _stream(ws, 0, y, ks.SR, 0.0)
        ws.send_json({"type": "finish"})
        seen, _ = _until(ws, "results")
    pads = [m["pad"] for m in seen if m["type"] == "heard"]
    assert pads == [str(p) for _, p, _ in perf]


def test_a_kit_calibration_that_heard_too_little_says_so(library) -> None:  # type: ignore[no-untyped-def]
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_json({"type": "listen", "player": 0, "name": "cy", "piece": "kick"})
        ws.send_json({"type": "kit", "player": 0, "name": "cy"})
        msg = ws.receive_json()
    assert msg["type"] == "error" and msg["message"].startswith("kit calibration: too few strokes")
    assert library.kit_for("cy") is None


def test_a_microphone_latency_calibration_hears_the_taps(library) -> None:  # type: ignore[no-untyped-def]
    sr = 48000
    clicks = [50.0 + 0.75 * k for k in range(16)]  # the page's clicks, on its audio clock
    lag = 0.034  # the microphone path stamps each sound 34 ms late
    y = np.zeros(14 * sr, dtype=np.float32)
    s = faded_snare(sr)
    for c in clicks:
        i = round((c - 50.0 + lag) * sr)
        y[i : i + len(s)] += 0.5 * s[: len(y) - i]
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_json({"type": "listen", "player": 1, "name": "bo"})
        _stream(ws, 1, y, sr, 50.0)
        ws.send_json({"type": "kit", "player": 1, "name": "bo"})  # ends the exchange
        seen, _ = _until(ws, "error")
        taps = [m["t"] for m in seen if m["type"] == "heard"]
        assert len(taps) == 16 and {m["pad"] for m in seen} == {None}
        r = c.post("/api/calibrate", json={"taps": taps, "clicks": clicks})
    assert abs(r.json()["offset_ms"] - 1000 * lag) < 1.5


def test_each_microphone_names_strokes_among_its_players_part() -> None:
    from onebeat.kit import DrumPiece
    from onebeat.play.protocol import MicAudio, PlayerSpec
    from onebeat.play.room import RoomInputs

    players = [
        PlayerSpec(name="ana", input="microphone"),
        PlayerSpec(name="bo", input="microphone"),
    ]
    inputs = RoomInputs(players, parts={"ana": {DrumPiece.KICK, DrumPiece.CRASH}})
    for p in (0, 1):
        inputs.audio(MicAudio(player=p, t=0.0, sr=44100, samples=np.zeros(2048, np.float32)))
    ana, bo = (inputs.streams[n].listener.profile for n in ("ana", "bo"))
    assert ana is not None and bo is not None
    # ana's part: kick and crash, and the kick, snare and hi-hats every part is heard for
    assert set(ana.kinds) == {
        DrumPiece.KICK, DrumPiece.SNARE, DrumPiece.HIHAT_CLOSED, DrumPiece.HIHAT_OPEN,
        DrumPiece.HIHAT_PEDAL, DrumPiece.CRASH,
    } & set(bo.kinds)  # fmt: skip
    assert DrumPiece.RIDE in bo.kinds  # no part given: the whole (shipped) kit


def test_what_a_first_frame_needs_is_decoded_before_it_is_heard() -> None:
    from onebeat.errors import CorruptAudioError
    from onebeat.play.protocol import MicAudio, PlayerSpec
    from onebeat.play.room import RoomError, RoomInputs

    asked: list[int] = []

    def reference(sr: int) -> None:
        asked.append(sr)

    players = [PlayerSpec(name="ana", input="microphone"), PlayerSpec(name="kb")]
    inputs = RoomInputs(players, reference=reference)
    block = MicAudio(player=0, t=0.0, sr=48000, samples=np.zeros(1024, np.float32))
    keys = MicAudio(player=1, t=0.0, sr=48000, samples=block.samples)
    assert not inputs.needs_prepare(keys)
    inputs.prepare(keys)
    assert asked == []  # the keyboard player has no microphone
    assert inputs.needs_prepare(block)
    inputs.prepare(block)  # the socket, off its event loop
    assert asked == [48000]
    inputs.audio(block)  # the stream is made (the library has the song decoded by now)
    assert not inputs.needs_prepare(block)
    inputs.prepare(block)
    assert asked == [48000, 48000]  # not again once the stream is there
    # a stream keeps its rate: a frame at another is refused, nothing decoded for it
    assert not inputs.needs_prepare(replace(block, sr=44100))
    with pytest.raises(RoomError, match="streams at 48000 Hz in this take, not 44100"):
        inputs.audio(replace(block, sr=44100))
    assert asked == [48000, 48000]

    def broken(sr: int) -> None:
        raise CorruptAudioError("song.ogg: not decodable")

    inputs = RoomInputs(players, reference=broken)
    inputs.prepare(block)  # says nothing: the frame itself says it, as before
    with pytest.raises(CorruptAudioError, match=r"song\.ogg"):
        inputs.audio(block)


def test_a_saved_kit_that_no_longer_reads_is_passed_over_and_kept(library) -> None:  # type: ignore[no-untyped-def]
    path = library._kit_path("zed")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"name": "zed\'s kit", "pieces": [')
    assert library.kit_for("zed") is None  # the default, as for a player with no kit
    assert path.read_text() == '{"name": "zed\'s kit", "pieces": ['  # not deleted


def test_a_drummer_in_headphones_has_nothing_of_the_song_taken_out() -> None:
    from onebeat.hearing import Reference
    from onebeat.play.protocol import MicAudio, PlayerSpec
    from onebeat.play.room import RoomInputs

    asked: list[int] = []
    song = (0.1 * np.sin(2 * np.pi * 220 * np.arange(48000 * 4) / 48000)).astype(np.float32)

    def reference(sr: int) -> Reference:
        asked.append(sr)
        return Reference(song, sr)

    players = [
        PlayerSpec(name="ana", input="microphone"),  # the song from speakers, in the room
        PlayerSpec(name="bo", input="microphone", headphones=True),
    ]
    inputs = RoomInputs(players, reference=reference)
    blocks = [
        MicAudio(player=p, t=0.0, sr=48000, samples=np.zeros(1024, np.float32)) for p in (0, 1)
    ]
    assert inputs.needs_prepare(blocks[0]) and not inputs.needs_prepare(blocks[1])
    for block in blocks:
        inputs.audio(block)
    assert asked == [48000]  # the song decoded for ana's microphone only
    assert inputs.streams["ana"].listener.reference is not None
    assert inputs.streams["bo"].listener.reference is None
    assert PlayerSpec.model_validate({"name": "x", "input": "microphone"}).headphones is False
