"""A microphone's binary frames: read back exactly, refused with one line when bad, and
streamed to a take as a microphone player's hits."""

from __future__ import annotations

import numpy as np
import pytest

from onebeat.web.protocol import audio_frame, parse_audio
from tests.web.helpers import client


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


def test_a_take_hears_a_streamed_microphone(library) -> None:  # type: ignore[no-untyped-def]
    from onebeat.audio.drumsynth import drum_sound
    from onebeat.kit import DrumPiece

    song = library.songs()[0].id
    sr = 44100
    y = np.zeros(6 * sr, dtype=np.float32)
    for k in range(8):  # a snare every half second from 2 s
        i = round((2.0 + 0.5 * k) * sr)
        s = drum_sound(DrumPiece.SNARE, sr) * np.linspace(
            1, 0, len(drum_sound(DrumPiece.SNARE, sr))
        )
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
        heard = []
        for i in range(0, len(y), 1024):
            ws.send_bytes(audio_frame(0, i / sr, sr, y[i : i + 1024]))
        ws.send_json({"type": "finish"})
        while True:
            msg = ws.receive_json()
            if msg["type"] == "heard":
                heard.append(msg["t"])
            if msg["type"] == "results":
                break
    assert len(heard) >= 8
    assert all(any(abs(t - (2.0 + 0.5 * k)) < 0.005 for k in range(8)) for t in heard)
