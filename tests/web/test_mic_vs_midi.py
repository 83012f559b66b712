"""End to end: a groove played on an acoustic kit over the song, heard by a microphone
and streamed to a take, is judged like the same groove sent as MIDI.

The player first teaches onebeat their kit over the socket ("hit the kick 8 times", …).
Then they play the first bars of the demo song's level-3 chart (hi-hat eighths, kick and
snare) with a drummer's timing (each beat early or late, σ 30 ms, up to 80 ms; a tenth of
the beats left out) in a room where the song comes out of a speaker, 12 dB under the
drums. The same strokes, at the same moments, go to a second take as an electronic
kit's MIDI notes. The two takes must agree note for note: the same notes hit, on the
same grades, with their offsets within the microphone's stated timing error (5 ms),
except where the microphone named a stroke's drum wrong (at most a tenth of them, the
microphone's classification target); and the microphone makes up no note."""

from __future__ import annotations

from typing import Any

import numpy as np

from onebeat.audio.decode import load_audio
from onebeat.kit import GM_NOTES, DrumPiece
from onebeat.library import Library
from onebeat.simulate import kitsound as ks
from tests.web.helpers import client
from tests.web.test_mic_frames import _stream, _until, teach_kit

SECONDS = 12.0  # of the song played along to
PIECES = [DrumPiece.KICK, DrumPiece.SNARE, DrumPiece.HIHAT_CLOSED]


def _take(library: Library, name: str, kind: str, send: Any) -> list[dict[str, Any]]:
    """A take of the demo song's level 3 by one player; every judgment it made."""
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_json(
            {
                "type": "start",
                "song": library.songs()[0].id,
                "level": 3,
                "players": [{"name": name, "input": kind}],
            }
        )
        _, ready = _until(ws, "ready")
        send(ws, ready["chart"]["notes"])
        ws.send_json({"type": "finish"})
        seen, _ = _until(ws, "results")
    return [j for m in seen if m["type"] == "judged" for j in m["items"]]


def test_a_microphone_take_is_judged_like_the_same_groove_from_midi(library: Library) -> None:
    rng = np.random.default_rng(2024)
    strokes = ks.strokes(ks.SYNTH)
    room = ks.Room(
        rt60=0.4, drr_db=10.0, low_cut=80.0, high_cut=14000.0, noise_db=-50.0,
        bleed_db=-12.0, bleed_delay_s=0.004, gain_db=-6.0,
    )  # fmt: skip
    song = load_audio(library.songs()[0].path, sr=ks.SR).y[: round(SECONDS * ks.SR)]

    # the player teaches onebeat their kit, as the page's "Learn my kit" asks
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        _, kit = teach_kit(ws, "mo", PIECES, strokes, room, rng)
    assert kit["pieces"] == {str(p): 8 for p in PIECES}

    # what the drummer plays: each beat of the chart early or late, some left out
    performance: list[tuple[float, DrumPiece, int]] = []
    chart: list[list[Any]] = []

    def play_mic(ws: Any, notes: list[list[Any]]) -> None:
        chart.extend(notes)
        times = sorted({n[0] for n in notes if n[0] < SECONDS - 1.0})
        lean = {t: float(np.clip(rng.normal(0.0, 0.03), -0.08, 0.08)) for t in times}
        left_out = set(rng.choice(len(times), size=len(times) // 10, replace=False).tolist())
        for i, t in enumerate(times):
            if i not in left_out:
                for n in notes:
                    if n[0] == t:
                        performance.append((t + lean[t], DrumPiece(n[2]), int(n[3])))
        drums = ks.play(strokes, performance, len(song), rng)
        _stream(ws, 0, ks.microphone(drums, room, rng, song), ks.SR, 0.0)

    def play_midi(ws: Any, notes: list[list[Any]]) -> None:
        for t, piece, vel in performance:
            ws.send_json(
                {"type": "midi", "player": "mi", "data": [0x99, GM_NOTES[piece], vel], "t": t}
            )

    by_mic = _take(library, "mo", "microphone", play_mic)
    by_midi = _take(library, "mi", "midi", play_midi)

    def by_note(judged: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        return {j["note"]: j for j in judged if j["note"] is not None}

    mic, midi = by_note(by_mic), by_note(by_midi)
    played = [i for i, n in enumerate(chart) if n[0] < SECONDS - 1.0]
    assert set(played) <= midi.keys() and mic.keys() == midi.keys()
    grades = [midi[i]["grade"] for i in played]
    assert {"perfect", "great", "miss"} <= set(grades)  # the groove tests every judgment
    # the same grade on every note the microphone named right; a stroke it named wrong
    # (kick/snare/hi-hat: ≥ 90 % right is the microphone's target) is the player's
    # wrong pad, and its note a miss
    wrong = [j for j in by_mic if j["outcome"] == "wrong_pad"]
    assert len(wrong) <= 0.1 * len(performance)
    differ = [i for i in midi if mic[i]["grade"] != midi[i]["grade"]]
    assert len(differ) <= len(wrong)
    assert all(mic[i]["grade"] == "miss" for i in differ)
    apart = [
        abs(mic[i]["offset_ms"] - midi[i]["offset_ms"])
        for i in midi
        if i not in differ and midi[i]["offset_ms"] is not None
    ]
    assert len(apart) + len(differ) == len(performance) and max(apart) <= 5.0
    # no note made up by the microphone (a hi-hat heard over the last kick's ring as
    # "kick and hi-hat" was one), none by MIDI
    assert [j for j in by_mic + by_midi if j["note"] is None and j not in wrong] == []
