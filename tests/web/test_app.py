"""The web app's routes and play socket without a browser: validation, security, play."""

from __future__ import annotations

import io
import json
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from starlette.websockets import WebSocketDisconnect

from onebeat.analysis.barfix import BarFixes
from onebeat.library import MAX_UPLOAD_BYTES, Library
from onebeat.session import SessionStore
from onebeat.web import AppConfig, create_app
from tests.web.helpers import LOCAL, PHONE, client, pair


def start_msg(library: Library, **kw: Any) -> str:
    msg = {"type": "start", "song": library.songs()[0].id, "level": 2, "players": [{"name": "ana"}]}
    return json.dumps({**msg, **kw})


def test_play_over_the_socket(library: Library) -> None:
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_text(
            start_msg(library, players=[{"name": "ana"}, {"name": "ben", "input": "midi"}])
        )
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["keymap"]["players"]["ana"]["d"] == "snare"
        notes = ready["chart"]["notes"]
        kick = next(n for n in notes if n[2] == "kick")
        ws.send_text(json.dumps({"type": "key", "key": "c", "t": kick[0] + 0.05}))
        judged = ws.receive_json()
        hit = [j for j in judged["items"] if j["outcome"] == "note"]
        assert hit[0]["grade"] == "great" and hit[0]["offset_ms"] == pytest.approx(50.0)
        ws.send_text(
            json.dumps({"type": "midi", "player": "ben", "data": [0x99, 36, 90], "t": kick[0]})
        )
        judged = ws.receive_json()
        assert [j["grade"] for j in judged["items"] if j["player"] == "ben"][-1] == "perfect"
        ws.send_text(json.dumps({"type": "pad", "player": "ben", "pad": "crash", "t": 40.0}))
        ws.send_text(json.dumps({"type": "finish"}))
        while (msg := ws.receive_json())["type"] != "results":
            pass
        assert msg["summary"]["ana"]["great"] == 1 and msg["summary"]["ben"]["perfect"] == 1

        # the results screen's report, card and full report of the take
        r = c.get(f"/api/sessions/{msg['session']}/report")
        assert r.status_code == 200
        report = r.json()
        assert [t["player"] for t in report["takes"]] == ["ana", "ben"]
        assert report["takes"][0]["counts"]["great"] == 1 and report["pair"]["common"] == 1
        assert report["pair"]["mean_ms"] == pytest.approx(50.0)  # both hit one kick
        card = c.get(f"/api/sessions/{msg['session']}/card.png")
        assert card.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(card.content)).size == (1200, 630)
        page = c.get(f"/api/sessions/{msg['session']}/report.html")
        assert page.headers["content-type"].startswith("text/html") and "ana &amp; ben" in page.text
        for bad, said in [
            ("../../etc", "Not Found"),
            ("zz" * 16, "not a session id"),
            ("ab" * 16, "not in"),
        ]:
            r = c.get(f"/api/sessions/{bad}/report")
            assert r.status_code == 404 and said in r.text, (bad, r.text)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("{not json", "Invalid JSON"),
        (json.dumps({"type": "dance"}), "does not match any of the expected tags"),
        (
            json.dumps({"type": "key", "key": "d", "t": "soon"}),
            "key.t: Input should be a valid number",
        ),
        ('{"type": "tick", "t": NaN}', "tick.t: Input should be a finite number"),
        (json.dumps({"type": "tick", "t": 1e6}), "tick.t: Input should be less than or equal"),
        (json.dumps({"type": "midi", "player": "ana", "data": [1, 2, 3, 4], "t": 1}), "midi.data"),
        (json.dumps({"type": "key", "key": "d", "t": 1, "extra": 1}), "key.extra: Extra inputs"),
        (
            json.dumps({"type": "start", "song": "../../etc", "level": 2, "players": []}),
            "start.song",
        ),
        (json.dumps({"type": "pad", "player": "<b>", "t": 1}), "pad.player"),
        ("x" * 5000, "message of 5000 bytes"),
        (json.dumps({"type": "tick", "t": 1.0}), "'tick' before 'start'"),
    ],
)
def test_bad_messages_are_dropped_and_the_session_goes_on(
    library: Library, raw: str, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        with caplog.at_level(logging.WARNING, logger="onebeat.web"):
            ws.send_text(raw)
            reply = ws.receive_json()
        assert reply["type"] == "error" and error in reply["message"]
        assert "\n" not in reply["message"]
        assert any("dropped a message" in r.message for r in caplog.records)
        ws.send_bytes(b"\x00\x01")
        assert "JSON text" in ws.receive_json()["message"]
        ws.send_text(start_msg(library))  # still alive
        assert ws.receive_json()["type"] == "ready"


def test_a_flood_is_cut_to_the_rate_limit(library: Library) -> None:
    with (
        client(library, rate_per_s=2.0, burst=5.0) as c,
        c.websocket_connect("ws://localhost/ws/play") as ws,
    ):
        ws.send_text(start_msg(library))
        assert ws.receive_json()["type"] == "ready"
        for _ in range(50):  # a hostile page: 50 bad messages at once
            ws.send_text(json.dumps({"type": "pad", "player": "nobody", "t": 1.0}))
        time.sleep(0.6)  # one token comes back
        ws.send_text(json.dumps({"type": "finish"}))
        replies = []
        while (msg := ws.receive_json())["type"] != "results":
            replies.append(msg)
        # the burst took the start and 4 of the flood; the other 46 were dropped unanswered
        assert len(replies) == 4 and all("'nobody' is not in" in r["message"] for r in replies)


def test_a_flood_of_microphone_audio_is_cut_to_its_rate_limit(library: Library) -> None:
    import numpy as np

    from onebeat.play.protocol import audio_frame

    mic = [{"name": "mo", "input": "microphone"}]
    with (
        client(library, audio_per_s=1000.0, audio_burst=4096.0) as c,
        c.websocket_connect("ws://localhost/ws/play") as ws,
    ):
        ws.send_text(start_msg(library, players=mic))
        assert ws.receive_json()["type"] == "ready"
        frame = audio_frame(0, 0.0, 44100, np.zeros(1024, np.float32))
        for _ in range(10):  # 10 blocks of 1024 samples at once: the burst takes 4
            ws.send_bytes(frame)
        reply = ws.receive_json()
        assert reply == {
            "type": "error",
            "message": "audio frame: over 1000 samples a second; 1 frames dropped",
        }
        ws.send_text(json.dumps({"type": "finish"}))
        assert ws.receive_json()["type"] == "results"  # the other 5 dropped, said once


def test_localhost_only_unless_lan_and_then_with_the_code(library: Library) -> None:
    with client(library, who=PHONE) as c:
        r = c.get("/api/songs")
        assert r.status_code == 403 and "this machine only" in r.json()["error"]
    with client(library, lan=True, who=PHONE) as c:
        r = c.get("/static/pads.js")
        assert r.status_code == 403 and "join code" in r.json()["error"]
        r = c.get("/?code=s3cret")
        assert r.status_code == 200 and c.cookies.get("onebeat_code") == "s3cret"
        assert c.get("/static/pads.js").status_code == 200  # the cookie from now on
        assert c.post("/api/songs/path", json={"path": "/etc/passwd"}).status_code == 403
    with client(library, lan=True) as c:
        info = c.get("/api/info").json()
        assert info["join"] == "http://192.168.1.10:8765/?code=s3cret#join"
        assert c.get("/api/join.svg").text.startswith("<svg")
    # the loopback address as a Host, with or without a port
    for host in ("http://[::1]", "http://[::1]:8765", "http://127.0.0.1:8765"):
        app = create_app(AppConfig(data_dir=library.root), library)
        with TestClient(app, base_url=host, client=LOCAL) as c:
            assert c.get("/api/songs").status_code == 200, host
    # a page of another site reaching the app by DNS rebinding carries another Host
    with TestClient(
        create_app(AppConfig(data_dir=library.root), library),
        base_url="http://evil.example",
        client=LOCAL,
    ) as c:
        assert c.get("/api/songs").status_code == 403


def test_uploads_are_checked_and_stored_in_the_data_folder(
    library: Library, tmp_path: Path
) -> None:
    with client(library) as c:
        r = c.post("/api/songs/upload", files={"file": ("notes.txt", io.BytesIO(b"hello"))})
        assert r.status_code == 400 and "not a song file" in r.json()["detail"]
        demo = library.songs()[0].path
        r = c.post("/api/songs/upload", files={"file": ("../../My Song.ogg", demo.read_bytes())})
        assert r.status_code == 200 and r.json()["id"] == library.songs()[0].id  # same audio
        stored = list((library.root / "songs").iterdir())
        assert [p.suffix for p in stored] == [".ogg"] and stored[0].parent == library.root / "songs"
        r = c.post("/api/songs/path", json={"path": str(tmp_path / "none.mp3")})
        assert r.status_code == 400 and "no such file" in r.json()["detail"]
        big = {"content-length": str(MAX_UPLOAD_BYTES * 2)}
        r = c.post("/api/songs/upload", headers=big, files={"file": ("x.ogg", b"0")})
        assert r.status_code == 413
        assert c.get("/api/songs/0000000000000000/audio").status_code == 404
        assert c.get(f"/api/songs/{library.songs()[0].id}/audio").content[:4] == b"OggS"


def test_calibration_endpoint(library: Library) -> None:
    clicks = [1.0 + 0.75 * k for k in range(16)]
    taps = [c + 0.031 for c in clicks[:12]] + [clicks[12] + 0.3]  # one flub
    with client(library) as c:
        r = c.post("/api/calibrate", json={"taps": taps, "clicks": clicks})
        assert r.status_code == 200
        body = r.json()
        assert body["offset_ms"] == pytest.approx(31.0) and body["used"] == 12
        r = c.post("/api/calibrate", json={"taps": taps[:5], "clicks": clicks})
        assert r.status_code == 400 and "5 usable taps" in r.json()["detail"]
        r = c.post("/api/calibrate", json={"taps": [1e300], "clicks": clicks})
        assert r.status_code == 422


def test_audio_at_a_practice_speed_is_stretched_once_and_cached(library: Library) -> None:
    import soundfile as sf

    song = library.songs()[0]
    with client(library) as c:
        r = c.get(f"/api/songs/{song.id}/audio?speed=0.8")
        assert r.status_code == 200 and r.content[:4] == b"OggS"
        path = library.audio(song.id, 0.8)
        info = sf.info(path)
        original = sf.info(song.path)
        assert info.frames == pytest.approx(original.frames / 0.8, abs=2)
        before = path.stat().st_mtime_ns
        assert c.get(f"/api/songs/{song.id}/audio?speed=0.8").status_code == 200
        assert path.stat().st_mtime_ns == before  # served from the cache
        assert c.get(f"/api/songs/{song.id}/audio?speed=0.3").status_code == 422


def test_the_song_without_its_drums_at_a_speed_is_made_once(library: Library) -> None:
    """Drums down (issue 27): "off" and "guide" are the song with its drums taken out or
    turned down, stretched like any practice copy; a level not known is refused."""
    import soundfile as sf

    song = library.songs()[0]
    with client(library) as c:
        r = c.get(f"/api/songs/{song.id}/audio?drums=off")
        assert r.status_code == 200 and r.content[:4] == b"OggS"
        assert library.get(song.id).to_json()["drumless"] == "ready"
        assert 0.5 <= library.get(song.id).to_json()["bar_one_sure"] <= 1.0  # the demo: sure
        off = library.audio(song.id, 1.0, "off")
        assert off != song.path
        r = c.get(f"/api/songs/{song.id}/audio?speed=0.8&drums=guide")
        assert r.status_code == 200
        slow = library.audio(song.id, 0.8, "guide")
        assert slow not in (off, library.audio(song.id, 0.8))
        assert sf.info(slow).frames == pytest.approx(sf.info(song.path).frames / 0.8, abs=2)
        # the drumless song is the song less its drums: quieter where the drums play
        full, _ = sf.read(song.path)
        less, _ = sf.read(off)
        n = min(len(full), len(less))
        assert np.std(less[:n]) < np.std(full[:n])
        assert c.get(f"/api/songs/{song.id}/audio?drums=loud").status_code == 422


class _Device:
    """A test socket that answers pings at once on its own clock (in a thread, as a
    browser would while the test does other things) and queues everything else."""

    def __init__(self, ws: Any, origin_s: float) -> None:
        self.ws, self.origin_s = ws, origin_s
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.lock = threading.Lock()  # the test and the pong thread both send
        self.error: BaseException | None = None
        threading.Thread(target=self._run, daemon=True).start()

    def send_text(self, text: str) -> None:
        with self.lock:
            self.ws.send_text(text)

    def clock_ms(self, at: float | None = None) -> float:
        return ((time.perf_counter() if at is None else at) - self.origin_s) * 1000

    def _run(self) -> None:
        try:
            while True:
                msg = self.ws.receive_json()
                if msg["type"] == "ping":
                    pong = {"type": "pong", "id": msg["id"], "c": self.clock_ms()}
                    self.send_text(json.dumps(pong))
                else:
                    self.inbox.put(msg)
        except Exception as exc:  # the socket closed at the end of the test (or broke)
            self.error = exc
            return

    def next(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {kind!r} message; the socket: {self.error!r}") from None
            if msg["type"] == kind:
                return msg


def test_a_phone_joins_with_the_code_and_its_taps_reach_the_host_on_its_clock(
    library: Library,
) -> None:
    with pair(library) as (host_c, c):
        with (
            pytest.raises(WebSocketDisconnect),
            c.websocket_connect("ws://192.168.1.10:8765/ws/pad") as ws,
        ):
            ws.receive_json()  # no code: closed at once
        code = "?code=s3cret"
        with (
            host_c.websocket_connect("ws://localhost/ws/play") as host_ws,
            c.websocket_connect(f"ws://192.168.1.10:8765/ws/pad{code}") as phone_ws,
        ):
            host = _Device(host_ws, origin_s=-5.0)
            host.send_text(json.dumps({"type": "sync"}))
            assert host.next("phones")["phones"] == []
            phone = _Device(phone_ws, origin_s=100.0)
            phone.send_text(json.dumps({"type": "tap", "pad": "snare", "c": 1.0}))
            assert "hello" in phone.next("error")["message"]
            phone.send_text(json.dumps({"type": "hello", "name": "ben"}))
            assert phone.next("welcome")["name"] == "ben"
            synced = phone.next("synced")
            assert synced["name"] == "ben" and synced["error_ms"] > 0
            while not (p := host.next("phones")["phones"]) or not p[0]["synced"]:
                pass
            # how far a mapped tap may be off is what the sync says of itself: half the
            # trusted round trips of each link (the host's as the phone's, same machine;
            # a few ms here, tens on a loaded one), not a figure set by this machine's luck
            bound_ms = max(5.0, 2 * p[0]["error_ms"] + 2.0)
            time.sleep(0.5)  # the host's own clock is pinged too

            # a tap stamped 30 ms ago on the phone's clock reaches the host page on its
            # clock, 30 ms ago there too
            at = time.perf_counter() - 0.030
            phone.send_text(
                json.dumps({"type": "tap", "pad": "snare", "v": 90, "c": phone.clock_ms(at)})
            )
            tap = host.next("tap")
            assert tap["player"] == "ben" and tap["pad"] == "snare" and tap["v"] == 90
            assert tap["c"] == pytest.approx(host.clock_ms(at), abs=bound_ms)

            # the page judges it as ben's touch hit; ben's phone gets its judgment
            host.send_text(
                start_msg(library, players=[{"name": "ana"}, {"name": "ben", "input": "touch"}])
            )
            ready = host.next("ready")
            assert phone.next("take")["title"] == ready["chart"]["title"]
            snare = next(n for n in ready["chart"]["notes"] if n[2] == "snare")
            host.send_text(
                json.dumps({"type": "pad", "player": "ben", "pad": "snare", "t": snare[0] - 0.02})
            )
            host.next("judged")
            mine = phone.next("judged")
            assert {j["player"] for j in mine["items"]} == {"ben"}  # its own player's only
            assert mine["items"][-1]["grade"] == "perfect"  # (notes before it were missed)
            assert mine["stats"]["streak"] == 1
            host.send_text(json.dumps({"type": "pad", "player": "ana", "t": 1.0}))
            assert "does not play touch pads" in host.next("error")["message"]
            host.send_text(json.dumps({"type": "finish"}))
            assert phone.next("results")["summary"]["perfect"] == 1


def test_a_loop_of_bars_is_one_session_per_pass(library: Library) -> None:
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_text(start_msg(library, loop=[2, 3]))
        ready = ws.receive_json()
        loop, notes = ready["loop"], ready["chart"]["notes"]
        assert (loop["first"], loop["last"]) == (2, 3)
        assert ready["chart"]["title"].endswith("bars 2–3")
        assert all(loop["start"] - 1e-6 <= n[0] < loop["end"] for n in notes)
        length = loop["end"] - loop["start"]
        key = {"kick": "c", "snare": "d"}

        def play(p: int, early_ms: float = 0.0, upto: int | None = None) -> None:
            for n in notes[:upto]:
                u = n[0] + p * length - early_ms / 1000
                ws.send_text(json.dumps({"type": "key", "key": key[n[2]], "t": u}))

        play(0)
        play(1, early_ms=30.0)  # the first note of pass 2 lies just before the seam
        play(2, upto=len(notes) // 2)
        ws.send_text(json.dumps({"type": "tick", "t": notes[len(notes) // 2][0] + 2 * length}))
        ws.send_text(json.dumps({"type": "finish"}))
        passes, judged = [], []
        while (msg := ws.receive_json())["type"] != "results":
            if msg["type"] == "pass":
                passes.append(msg)
            elif msg["type"] == "judged":
                judged += msg["items"]
        first = [j for j in judged if j["note"] == 0 and j["pass"] == 1 and j["grade"]]
        assert first[0]["offset_ms"] == pytest.approx(-30.0)
        assert first[0]["t"] == pytest.approx(loop["start"] + length - 0.03, abs=1e-3)
        # two passes played through; the third was stopped half-way
        assert [p["pass"] for p in passes] == [0, 1]
        assert passes[0]["summary"]["ana"]["perfect"] == len(notes)
        assert passes[1]["summary"]["ana"]["perfect"] == len(notes)  # -30 ms is Perfect
        assert [p["session"] for p in msg["passes"]] == [p["session"] for p in passes]
        assert msg["session"] == passes[1]["session"]

    with SessionStore(library.root / "sessions.sqlite3") as store:
        listed = {i.id: i for i in store.list(50)}
        titles = {i: store.load(i).chart.title for i in listed}
        for p in passes:
            assert listed[p["session"]].finished
            assert titles[p["session"]].endswith(f"bars 2–3 · pass {p['pass'] + 1}")
        third = [i for i, title in titles.items() if title.endswith("bars 2–3 · pass 3")]
        assert len(third) == 1 and not listed[third[0]].finished  # kept, as interrupted


def test_a_loop_of_bars_that_are_not_there_is_refused(library: Library) -> None:
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_text(start_msg(library, loop=[5, 2000]))
        reply = ws.receive_json()
        assert reply["type"] == "error" and "bars 5–2000 are not in" in reply["message"]
        ws.send_text(start_msg(library, loop=[3, 2]))
        assert "are not in" in ws.receive_json()["message"]


def test_bar_one_is_moved_by_a_beat_and_the_chart_and_the_song_keep_it(library: Library) -> None:
    entry = library.songs()[0]
    assert entry.songmap is not None
    beats = entry.songmap.beats
    first = entry.to_json()["first_downbeat"]
    snares = [n.time for n in library.chart(entry.id, 2).notes if n.piece.name == "SNARE"]
    try:
        with client(library) as c:
            r = c.post(f"/api/songs/{entry.id}/bar-one", json={"beats": 1})
            assert r.status_code == 200
            body = r.json()
            assert body["bar_shift"] == 1
            i = int(np.argmin(np.abs(beats - first)))
            assert body["first_downbeat"] == pytest.approx(beats[i + 1], abs=1e-3)
            # the backbeat moves with bar 1: the level-2 snares are on other beats now
            moved = [n.time for n in library.chart(entry.id, 2).notes if n.piece.name == "SNARE"]
            assert not set(np.round(moved, 3)) & set(np.round(snares, 3))
            # kept with the song: a library opened on the same data folder finds it there
            assert BarFixes(library.root).get(entry.sha256) == 1
            assert c.post(f"/api/songs/{entry.id}/bar-one", json={"beats": 99}).status_code == 422
            r = c.post("/api/songs/nosuchsong/bar-one", json={"beats": 1})
            assert r.status_code == 404 and "nosuchsong" in r.json()["detail"]
    finally:
        library.shift_bars(entry.id, -1)
    assert library.get(entry.id).to_json()["bar_shift"] == 0
    assert BarFixes(library.root).get(entry.sha256) == 0


def test_a_song_is_titled_from_its_tags_and_can_be_renamed(tmp_path: Path) -> None:
    import av

    from onebeat.audio import song_title

    # a tagged FLAC file: FFmpeg writes the title and artist as Vorbis comments
    path = tmp_path / "track07.flac"
    with av.open(str(path), "w") as out:
        out.metadata["title"] = "Golden Hour"
        out.metadata["artist"] = "The Testers"
        stream = out.add_stream("flac", rate=22050)
        t = np.arange(22050 * 6) / 22050
        y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[None, :]
        pcm = (y * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = 22050
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    assert song_title(path) == "The Testers – Golden Hour"
    assert song_title(tmp_path / "nothing-here.flac") is None
    lib = Library(tmp_path / "data")
    try:
        entry = lib.add_path(path)
        assert entry.title == "The Testers – Golden Hour"
        with client(lib) as c:
            r = c.post(f"/api/songs/{entry.id}/title", json={"title": "  Golden   (live) "})
            assert r.status_code == 200 and r.json()["title"] == "Golden (live)"
            assert c.post(f"/api/songs/{entry.id}/title", json={"title": "   "}).status_code == 400
            assert c.post(f"/api/songs/{entry.id}/title", json={}).status_code == 422
    finally:
        lib.close()
    again = Library(tmp_path / "data")  # kept in the library's list
    try:
        assert [e.title for e in again.songs() if e.path == path.resolve()] == ["Golden (live)"]
    finally:
        again.close()


def test_the_printed_join_address_opens_the_phone_pads(tmp_path: Path) -> None:
    config = AppConfig(data_dir=tmp_path, lan=True, lan_host="192.168.1.7", port=8800, code="abc")
    assert config.join_url == "http://192.168.1.7:8800/?code=abc#join"


def test_the_kits_hit_sounds_are_served_to_the_page_and_to_phones(library: Library) -> None:
    import soundfile as sf

    from onebeat.audio.drumsynth import drum_sound
    from onebeat.kit import DrumPiece

    with client(library) as c:
        r = c.get("/api/hit-sounds/snare.wav?kit=electronic")
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        y, sr = sf.read(io.BytesIO(r.content), dtype="float32")
        assert sr == 44100 and len(y) == len(drum_sound(DrumPiece.SNARE, 44100))
        assert float(np.max(np.abs(y))) > 0.9  # the kit's snare, at full level, from its start
        assert float(np.max(np.abs(y[:64]))) > 0.05
        # the sampled acoustic kit (the default): every piece, each stroke from its start
        for piece in DrumPiece:
            r = c.get(f"/api/hit-sounds/{piece.value}.wav")
            assert r.status_code == 200, piece
            y, sr = sf.read(io.BytesIO(r.content), dtype="float32")
            peak = float(np.max(np.abs(y)))
            assert sr == 44100 and 0.8 < peak <= 0.95 and 0.1 < len(y) / sr <= 2.0, piece
            attack = int(np.flatnonzero(np.abs(y) > 0.1 * peak)[0])
            assert attack < 0.015 * sr, (piece, attack)  # heard when it is played
        assert c.get("/api/hit-sounds/cowbell.wav").status_code == 422
        assert c.get("/api/hit-sounds/kick.wav?kit=toy").status_code == 422
    with client(library, lan=True, who=PHONE) as phone:
        assert phone.get("/?code=s3cret").status_code == 200  # joined with the code
        assert phone.get("/api/hit-sounds/kick.wav").status_code == 200  # the pads play it
        assert phone.get("/api/songs").status_code == 403  # and no more than before


def test_a_library_opens_without_hashing_its_songs_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import onebeat.library as library_module
    from onebeat.demo import demo_song_path

    song = tmp_path / "song.ogg"
    shutil.copy(demo_song_path(), song)
    song.write_bytes(song.read_bytes() + b"\0")  # another song than the demo, to its hash
    lib = Library(tmp_path / "data")
    sha = lib.add_path(song).sha256
    lib.close()
    hashed: list[Path] = []
    real = library_module.file_sha256

    def counting(path: Any) -> str:
        hashed.append(Path(path))
        return real(path)

    monkeypatch.setattr(library_module, "file_sha256", counting)
    again = Library(tmp_path / "data")
    try:
        assert [e.sha256 for e in again.songs() if e.path == song.resolve()] == [sha]
        assert song.resolve() not in hashed  # the list's hash, the file unchanged
    finally:
        again.close()
    song.write_bytes(song.read_bytes() + b"\0")  # changed: hashed again
    third = Library(tmp_path / "data")
    try:
        assert song.resolve() in hashed
        assert [e.sha256 for e in third.songs() if e.path == song.resolve()] != [sha]
    finally:
        third.close()
    # a list that kept no hashes (an older onebeat's) keeps them once it has been opened
    index = tmp_path / "data" / "library.json"
    index.write_text(json.dumps({"songs": [{"path": str(song), "title": "old"}]}))
    Library(tmp_path / "data").close()
    hashed.clear()
    Library(tmp_path / "data").close()
    assert song.resolve() not in hashed
    assert json.loads(index.read_text())["songs"][0]["sha256"] == real(song)


def test_analysis_progress_is_said_in_a_players_words(tmp_path: Path) -> None:
    from onebeat.library import BEATS_NEXT, DRUMS_NEXT

    lib = Library(tmp_path / "data")
    seen: list[str] = []
    try:
        entry = lib.songs()[0]
        while entry.status in ("queued", "analysing"):
            if entry.step and entry.step not in seen:
                seen.append(entry.step)
            time.sleep(0.005)
        lib.wait(entry.id, timeout=600)
    finally:
        lib.close()
    assert entry.status == "ready" and entry.step == "done"
    words = set(BEATS_NEXT.values()) | set(DRUMS_NEXT.values())
    assert set(seen) <= words  # never the models' own names ("downbeat activations")
    assert "decoded" not in seen and "texture" not in seen


def test_an_empty_path_is_refused_in_words(library: Library) -> None:
    with client(library) as c:
        r = c.post("/api/songs/path", json={"path": ""})
    detail = r.json()["detail"]
    assert r.status_code == 422 and isinstance(detail, str) and "path" in detail  # one line
