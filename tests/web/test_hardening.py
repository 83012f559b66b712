"""The app against careless and hostile clients (issue 23): other web sites, phones that
try to do more than play, bodies over their limit, NaN in JSON, a restart right after a
crash, and songs added at the same moment."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from onebeat import library as library_module
from onebeat.library import Library
from onebeat.web import AppConfig, create_app
from onebeat.web.app import port_problem
from tests.web.helpers import LOCAL, PHONE, client


def test_a_phone_reaches_only_its_pads(library: Library) -> None:
    song = library.songs()[0].id
    with client(library, lan=True, who=PHONE) as c:
        assert c.get("/?code=s3cret").status_code == 200  # the page, and the code's cookie
        assert c.get("/static/pads.js").status_code == 200
        for path in ("/api/songs", "/api/sessions", f"/api/songs/{song}/audio", "/api/info"):
            r = c.get(path)
            assert r.status_code == 403, path
            assert "phone plays its pads" in r.json()["error"]
        r = c.post("/api/songs/upload", files={"file": ("x.ogg", b"OggS")})
        assert r.status_code == 403
        with (
            pytest.raises(WebSocketDisconnect),
            c.websocket_connect("ws://192.168.1.10:8765/ws/play") as ws,
        ):
            ws.receive_json()  # a take is started by the host's screen only
        with c.websocket_connect("ws://192.168.1.10:8765/ws/pad") as ws:
            ws.send_text(json.dumps({"type": "hello", "name": "ben"}))
            assert ws.receive_json()["type"] == "welcome"


def test_no_other_web_site_can_drive_the_app(library: Library) -> None:
    clicks = [1.0 + 0.75 * k for k in range(16)]
    body = {"taps": [c + 0.03 for c in clicks], "clicks": clicks}
    evil = {"origin": "https://evil.example"}
    with client(library) as c:
        r = c.post("/api/calibrate", json=body, headers=evil)
        assert r.status_code == 403 and "evil.example" in r.json()["error"]
        before = sorted((library.root / "songs").glob("*"))
        r = c.post("/api/songs/upload", headers=evil, files={"file": ("x.ogg", b"OggS")})
        assert r.status_code == 403
        assert sorted((library.root / "songs").glob("*")) == before
        for origin in ("https://evil.example", "null", "http://localhost.evil.example"):
            with (
                pytest.raises(WebSocketDisconnect),
                c.websocket_connect("ws://localhost/ws/play", headers={"origin": origin}) as ws,
            ):
                ws.receive_json()
        # the app's own page (same origin), and clients that are no web page, may
        assert c.post(
            "/api/calibrate", json=body, headers={"origin": "http://localhost"}
        ).is_success
        assert c.post("/api/calibrate", json=body).is_success
        with c.websocket_connect("ws://localhost/ws/play", headers={"origin": "http://localhost"}):
            pass
        # reading is not guarded by the origin (a page cannot read another site's answers)
        assert c.get("/api/songs", headers=evil).status_code == 200


def _post_streamed(
    app: Any, path: str, chunks: int, chunk: bytes
) -> tuple[int | None, int, list[dict[str, Any]]]:
    """POST a chunked body (no Content-Length) straight to the ASGI app, as a client that
    keeps sending would; returns the status, how many chunks the app took, and what it sent."""
    taken = 0
    sent: list[dict[str, Any]] = []
    boundary = b"xyz"
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="big.ogg"\r\nContent-Type: audio/ogg\r\n\r\n'
    )

    async def receive() -> dict[str, Any]:
        nonlocal taken
        taken += 1
        if taken > chunks:
            return {"type": "http.request", "body": b"\r\n--xyz--\r\n", "more_body": False}
        body = head + chunk if taken == 1 else chunk
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"multipart/form-data; boundary=" + boundary),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": LOCAL,
        "server": ("localhost", 80),
    }
    asyncio.run(app(scope, receive, send))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    return (starts[0]["status"] if starts else None), taken, starts


def test_a_streamed_upload_over_the_limit_is_refused_before_it_is_stored(
    library: Library,
) -> None:
    limit = 1 << 20
    app = create_app(AppConfig(data_dir=library.root, max_upload_bytes=limit), library)
    before = sorted((library.root / "songs").glob("*")) if (library.root / "songs").is_dir() else []
    chunk = b"\0" * 65536
    # a body that would go on for 64 MiB is cut just past the limit, with one answer
    status, taken, starts = _post_streamed(app, "/api/songs/upload", 1024, chunk)
    assert status == 413 and len(starts) == 1
    assert taken <= limit // len(chunk) + 3
    after = sorted((library.root / "songs").glob("*")) if (library.root / "songs").is_dir() else []
    assert after == before
    # any other body is held to 1 MiB the same way
    status, taken, _ = _post_streamed(app, "/api/calibrate", 1024, chunk)
    assert status == 413 and taken <= 20
    # a declared length over the limit is refused before a byte is read
    with TestClient(app, base_url="http://localhost", client=LOCAL) as c:
        big = {"content-length": str(limit * 3)}
        r = c.post("/api/songs/upload", headers=big, files={"file": ("x.ogg", b"0")})
        assert r.status_code == 413 and "larger than 1 MiB" in r.json()["detail"]


def test_nan_or_infinity_in_a_json_body_is_a_one_line_422(
    library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    clicks = ", ".join(str(1.0 + 0.75 * k) for k in range(16))
    with client(library) as c:
        for bad in ("NaN", "Infinity", "-Infinity"):
            body = f'{{"taps": [1.0, {bad}], "clicks": [{clicks}]}}'
            r = c.post("/api/calibrate", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 422, bad
            detail = r.json()["detail"]
            assert isinstance(detail, str) and detail.startswith("taps.1:"), detail
            assert "\n" not in detail and bad not in detail
        r = c.post("/api/calibrate", json={"taps": ["x" * 100_000], "clicks": [1, 2]})
        assert r.status_code == 422 and len(r.text) < 300  # the input is not echoed
    assert not [rec for rec in caplog.records if rec.exc_info]


def test_the_port_is_free_again_right_after_a_crash() -> None:
    """A server killed with a connection open leaves the port in TIME-WAIT for a minute;
    the next ``onebeat play`` must start at once."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        peer = socket.create_connection(("127.0.0.1", port))
        conn, _ = server.accept()
        conn.close()  # the server closes first: its side of the connection waits
        time.sleep(0.05)
        peer.close()
    with socket.socket() as plain, pytest.raises(OSError):  # what the old probe did fails
        plain.bind(("127.0.0.1", port))
    assert port_problem("127.0.0.1", port) is None
    with socket.socket() as running:
        running.bind(("127.0.0.1", 0))
        running.listen()
        taken = running.getsockname()[1]
        problem = port_problem("127.0.0.1", taken)
        assert problem is not None and f"port {taken}" in problem and "\n" not in problem


def test_songs_added_at_the_same_moment_are_all_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each add that returned is in the library after a restart, however the adds' saves
    interleave (the first save is made slow, so that the others overtake it)."""
    real_write = library_module.atomic_write_text
    first = threading.Event()

    def slow_first_write(path: Path, text: str) -> None:
        if not first.is_set():
            first.set()
            time.sleep(0.3)
        real_write(path, text)

    monkeypatch.setattr(library_module, "atomic_write_text", slow_first_write)
    files = []
    for k in range(8):
        f = tmp_path / f"song{k}.wav"
        f.write_bytes(f"not audio {k}".encode())  # its analysis fails; it stays listed
        files.append(f)
    lib = Library(tmp_path / "data")
    try:
        threads = [threading.Thread(target=lib.add_path, args=(f,)) for f in files]
        for t in threads:
            t.start()
            time.sleep(0.01)
        for t in threads:
            t.join()
    finally:
        lib.close()
    again = Library(tmp_path / "data")
    try:
        kept = {e.path.name for e in again.songs()}
    finally:
        again.close()
    assert {f.name for f in files} <= kept


def test_uploads_and_adds_still_work_from_the_page(library: Library) -> None:
    demo = library.songs()[0].path
    with client(library) as c:
        r = c.post(
            "/api/songs/upload",
            headers={"origin": "http://localhost"},
            files={"file": ("Mine.ogg", io.BytesIO(demo.read_bytes()))},
        )
        assert r.status_code == 200 and r.json()["id"] == library.songs()[0].id


def test_song_references_for_microphones_are_bounded_in_memory(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client sending frames at many rates once decoded the song at each and kept them
    all (12 rates: +556 MB); the cache now holds a bounded number of bytes."""
    budget = 30 * 2**20
    monkeypatch.setattr(library_module, "REFERENCE_CACHE_BYTES", budget)
    song = library.songs()[0].id
    for sr in (8000, 11025, 16000, 22050, 24000, 32000):
        ref = library.reference(song, 1.0, sr)
        assert ref.sr == sr
        assert library.reference_bytes <= max(budget, ref.nbytes)
    assert library.reference(song, 1.0, 32000) is ref  # the latest is kept


def _start(library: Library) -> str:
    song = library.songs()[0].id
    return json.dumps({"type": "start", "song": song, "level": 2, "players": [{"name": "ana"}]})


def _drain(ws: Any) -> list[dict[str, Any]]:
    """Every reply until the server closes the socket."""
    out = []
    with pytest.raises(WebSocketDisconnect):
        while True:
            out.append(ws.receive_json())
    return out


def test_a_flood_of_starts_starts_a_few_takes_and_logs_a_few_lines(
    library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    """5 s of start messages once saved 8,967 sessions and stalled every other player: a
    take is costly work, allowed a few at once and then one a second."""
    with SessionStoreCount(library) as count, caplog.at_level("WARNING", logger="onebeat.web"):
        with (
            client(library, work_per_s=1.0, work_burst=3.0) as c,
            c.websocket_connect("ws://localhost/ws/play") as ws,
        ):
            t0 = time.monotonic()
            for _ in range(300):
                ws.send_text(_start(library))
            ws.send_text(json.dumps({"type": "finish"}))
            replies = []
            while (msg := ws.receive_json())["type"] != "results":
                replies.append(msg)
            took = time.monotonic() - t0
        ready = sum(r["type"] == "ready" for r in replies)
        errors = [r for r in replies if r["type"] == "error"]
        assert 1 <= ready <= 3 + took + 1
        assert len(errors) <= 20 + 10 * took + 1  # answers are limited too
        assert all("start: at most 3 at once" in e["message"] for e in errors)
        assert count.new() <= ready  # a session per take started, no more
    assert len(caplog.records) <= 3 + took  # not a line per message


class SessionStoreCount:
    """How many sessions a block saved."""

    def __init__(self, library: Library) -> None:
        from onebeat.session import SessionStore

        self.store = SessionStore(library.root / "sessions.sqlite3")

    def __enter__(self) -> SessionStoreCount:
        self.before = len(self.store.list(100_000))
        return self

    def new(self) -> int:
        return len(self.store.list(100_000)) - self.before

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def test_every_frame_pays_for_itself(library: Library) -> None:
    """Binary frames that are not audio, text over the size limit and 1-sample audio
    frames once skipped the rate limit (50,000 in 5 s: 50,000 replies)."""
    import numpy as np

    from onebeat.play.protocol import audio_frame

    def until_results(ws: Any) -> list[dict[str, Any]]:
        ws.send_text(json.dumps({"type": "finish"}))
        out = []
        while (msg := ws.receive_json())["type"] != "results":
            out.append(msg)
        return out

    with (
        client(library, rate_per_s=1.0, burst=5.0) as c,
        c.websocket_connect("ws://localhost/ws/play") as ws,
    ):
        ws.send_text(_start(library))
        assert ws.receive_json()["type"] == "ready"
        t0 = time.monotonic()
        for _ in range(40):
            ws.send_bytes(b"\x00\x01junk")
        for _ in range(40):
            ws.send_text("x" * 70_000)
        time.sleep(1.2)  # a token back, for the finish
        replies = until_results(ws)
        # the rest of the burst answered (and a token a second), the others dropped
        assert 4 <= len(replies) <= 4 + (time.monotonic() - t0)
    mic = [{"name": "mo", "input": "microphone"}]
    one = audio_frame(0, 0.0, 44100, np.zeros(1, np.float32))
    with (
        client(library, audio_per_s=1.0, audio_burst=2048.0) as c,
        c.websocket_connect("ws://localhost/ws/play") as ws,
    ):
        start = {"type": "start", "song": library.songs()[0].id, "level": 2, "players": mic}
        ws.send_text(json.dumps(start))
        assert ws.receive_json()["type"] == "ready"
        for _ in range(20):  # each costs at least 256 samples: the burst takes 8
            ws.send_bytes(one)
        errors = [r["message"] for r in until_results(ws) if r["type"] == "error"]
        assert errors == ["audio frame: over 1 samples a second; 1 frames dropped"]


def test_a_connection_that_keeps_flooding_is_closed(library: Library) -> None:
    with (
        client(library, rate_per_s=1.0, burst=5.0) as c,
        c.websocket_connect("ws://localhost/ws/play") as ws,
    ):
        t0 = time.monotonic()
        for _ in range(1100):
            ws.send_text(json.dumps({"type": "tick", "t": 1.0}))
        replies = _drain(ws)  # closed by the server
        assert len(replies) <= 5 + (time.monotonic() - t0)  # the burst, a token a second


def test_open_connections_are_capped(library: Library) -> None:
    with (
        client(library, max_sockets=2) as c,
        c.websocket_connect("ws://localhost/ws/play"),
        c.websocket_connect("ws://localhost/ws/play"),
        pytest.raises(WebSocketDisconnect),
        c.websocket_connect("ws://localhost/ws/play") as third,
    ):
        third.receive_json()
    with (
        client(library, max_sockets=2) as c,
        c.websocket_connect("ws://localhost/ws/play"),
        c.websocket_connect("ws://localhost/ws/play") as again,  # the first two left
    ):
        again.send_text(_start(library))
        assert again.receive_json()["type"] == "ready"


def test_a_take_stopped_early_counts_only_what_was_reached(library: Library) -> None:
    """Stopped at 5 s of an 83 s song: the results, the sessions list and the report
    count the notes up to the stop, not the rest of the song as missed (it said 27 % on
    the results' cards, 85 % on the card beside them)."""
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        ws.send_text(_start(library))
        ready = ws.receive_json()
        notes = ready["chart"]["notes"]
        for n in notes:
            if n[0] < 5.0:
                ws.send_text(json.dumps({"type": "key", "key": "d", "t": n[0]}))
        ws.send_text(json.dumps({"type": "tick", "t": 5.0}))
        ws.send_text(json.dumps({"type": "finish"}))
        while (msg := ws.receive_json())["type"] != "results":
            pass
        s = msg["summary"]["ana"]
        reached = sum(1 for n in notes if n[0] <= 5.0 + 0.110)
        assert s["notes"] == reached < len(notes)
        assert s["miss"] <= reached - sum(1 for n in notes if n[0] < 5.0 and n[2] == "snare")
        listed = next(x for x in c.get("/api/sessions").json() if x["id"] == msg["session"])
        assert listed["summary"] == msg["summary"]
        report = c.get(f"/api/sessions/{msg['session']}/report").json()
        assert report["takes"][0]["notes"] == reached


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_KINDS = st.sampled_from(
    ["start", "learn", "key", "midi", "pad", "tick", "finish", "listen", "kit", "sync", "pong"]
)
_FIELDS = st.sampled_from(
    [
        "song",
        "level",
        "players",
        "t",
        "key",
        "player",
        "pad",
        "v",
        "data",
        "loop",
        "speed",
        "name",
        "piece",
        "id",
        "c",
        "windows",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    messages=st.lists(
        st.one_of(
            st.fixed_dictionaries({"type": _KINDS}).flatmap(
                lambda base: st.dictionaries(_FIELDS, _JSON, max_size=5).map(
                    lambda extra: {**extra, **base}
                )
            ),
            _JSON,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_socket_message_gets_an_answer_or_a_one_line_error(
    library: Library, messages: list[Any]
) -> None:
    """Fuzzed play-socket messages (every kind, any fields, any JSON): the socket stays
    open, each error is one line naming what was wrong, and the server still plays."""
    with client(library) as c, c.websocket_connect("ws://localhost/ws/play") as ws:
        for m in messages:
            ws.send_text(json.dumps(m))
        # a marker: the answers to everything before it come before its error
        ws.send_text(json.dumps({"type": "marker-9f3"}))
        while "marker-9f3" not in (reply := ws.receive_json()).get("message", ""):
            if reply["type"] == "error":
                assert "\n" not in reply["message"] and len(reply["message"]) < 400
        ws.send_text(_start(library))
        while (reply := ws.receive_json())["type"] not in ("ready", "error"):
            pass
        assert reply["type"] == "ready" or "at most" in reply["message"]
