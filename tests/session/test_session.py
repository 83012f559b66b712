"""Sessions: recorded live, stored, exported, and replayed to the same judgments."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onebeat.chart import Chart, Note
from onebeat.engine import Hit, HitOutcome, JudgeSettings
from onebeat.errors import SessionError
from onebeat.inputs import read_take
from onebeat.kit import DrumPiece as P
from onebeat.session import (
    MIGRATIONS,
    PlayerInfo,
    Recorder,
    Session,
    SessionStore,
    SongRef,
    read_session_json,
    replay,
    same_judgments,
    write_session_json,
    write_session_midi,
)
from onebeat.session.model import judgment_to_list
from onebeat.session.record import stats_until

PIECES = [P.KICK, P.SNARE, P.HIHAT_CLOSED]


def groove(bars: int = 8, ibi: float = 0.5) -> Chart:
    """Hi-hat eighths, kick on 1 and 3, snare on 2 and 4, on a slightly drifting grid."""
    n_beats = bars * 4 + 2
    beats = 1.0 + np.cumsum(np.full(n_beats, ibi) * np.linspace(1.0, 0.97, n_beats)) - ibi
    notes = []
    for b in range(bars * 4):
        t0, t1 = beats[b], beats[b + 1]
        notes.append(Note(float(t0), float(b), P.HIHAT_CLOSED))
        notes.append(Note(float((t0 + t1) / 2), b + 0.5, P.HIHAT_CLOSED))
        notes.append(Note(float(t0), float(b), P.KICK if b % 2 == 0 else P.SNARE))
    return Chart(tuple(notes), beats, np.arange(n_beats) % 4 + 1, 4, level=4, title="groove")


def new_session(chart: Chart, players: list[str], **kw: object) -> Session:
    return Session(
        chart=chart,
        settings=JudgeSettings(**kw),  # type: ignore[arg-type]
        players=[PlayerInfo(p, "keyboard", 10.0 * i) for i, p in enumerate(players)],
        song=SongRef("groove", "/songs/groove.ogg", "ab" * 32),
    )


def noisy_hits(chart: Chart, player: str, rng: np.random.Generator, sd: float) -> list[Hit]:
    hits = []
    for n in chart.notes:
        if rng.random() < 0.1:
            continue  # a miss
        hits.append(Hit(player, n.time + rng.normal(0, sd), n.piece, int(rng.integers(40, 128))))
        if rng.random() < 0.05:
            hits.append(Hit(player, n.time + rng.uniform(-0.3, 0.3), PIECES[rng.integers(3)]))
    return hits


def play_live(
    session: Session, hits: list[Hit], rng: np.random.Generator, store: SessionStore | None
) -> Session:
    """Each player's hits reach the recorder in order over their own connection, after a
    random delay of 0–80 ms (network, USB); each is judged as it arrives, and the song
    clock drives updates at random moments in between."""
    arrivals = []
    last: dict[str, float] = {}
    order = sorted(enumerate(hits), key=lambda kh: (kh[1].player, kh[1].time))
    for rank, (k, h) in enumerate(order):
        # a hit with a broken time (NaN, infinite) arrives at the end
        a = h.time + rng.uniform(0.0, 0.08) if math.isfinite(h.time) else 1e3
        last[h.player] = a = max(a, last.get(h.player, -math.inf))
        arrivals.append((a, rank, k))
    arrivals.sort()
    rec = Recorder(session, store)
    clock = 0.0
    for arrival, _, k in arrivals:
        while clock + 0.03 < arrival:
            clock += rng.uniform(0.0, 0.03)
            rec.update(clock)
        rec.hit(hits[k], raw=f"key {k}")
        rec.update(hits[k].time if math.isfinite(hits[k].time) else arrival)
    return rec.finish()


def test_store_keeps_everything_and_replay_matches(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    chart = groove()
    session = new_session(chart, ["ana", "ben"], grace_ms=50.0)
    hits = noisy_hits(chart, "ana", rng, 0.015) + noisy_hits(chart, "ben", rng, 0.03)
    hits.append(Hit("ana", math.nan, P.SNARE))  # bad input is kept as it came
    with SessionStore(tmp_path / "s.sqlite3") as store:
        played = play_live(session, hits, rng, store)
        loaded = store.load(played.id[:6])
    assert loaded.finished and loaded.summary == played.summary
    assert [judgment_to_list(j) for j in loaded.judgments] == [
        judgment_to_list(j) for j in played.judgments
    ]
    assert len(loaded.hits) == len(hits) and loaded.hits[5] == played.hits[5]
    assert loaded.hits[-1].hit.piece is P.SNARE and math.isnan(loaded.hits[-1].hit.time)
    assert loaded.players[1] == PlayerInfo("ben", "keyboard", 10.0)
    assert loaded.chart.to_dict() == chart.to_dict()
    again = replay(loaded, updates=rng.uniform(0, 20, 50))
    assert same_judgments(again.judgments, played.judgments)
    assert again.summary() == played.summary
    s = played.summary["ana"]
    assert s["invalid"] >= 1 and 0.6 < float(s["accuracy"]) < 1.0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), grace=st.sampled_from([0.0, 30.0, 100.0]))
def test_replay_equals_the_live_take_whatever_the_update_times(seed: int, grace: float) -> None:
    rng = np.random.default_rng(seed)
    chart = groove(bars=2)
    session = new_session(chart, ["ana", "ben"], grace_ms=grace)
    hits = noisy_hits(chart, "ana", rng, 0.02) + noisy_hits(chart, "ben", rng, 0.04)
    played = play_live(session, hits, rng, None)
    # with grace 0 and random delays some hits come late; they must stay late
    late = sum(r.late for r in played.hits)
    assert late == sum(1 for j in played.judgments if j.outcome is HitOutcome.LATE)
    for updates in ([], list(rng.uniform(-1, 8, 30)), list(np.arange(0, 8, 0.001))):
        again = replay(played, updates=updates)
        assert same_judgments(again.judgments, played.judgments)
        assert again.summary() == played.summary


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), grace=st.sampled_from([0.0, 30.0, 100.0]))
def test_the_summary_counted_from_the_judgments_is_the_judges(seed: int, grace: float) -> None:
    """One definition: the stats counted again from a take's judgments (what a stopped
    take's summary is made of) equal the judge's own for a take played to its end."""
    rng = np.random.default_rng(seed)
    chart = groove(bars=2)
    session = new_session(chart, ["ana", "ben"], grace_ms=grace)
    hits = noisy_hits(chart, "ana", rng, 0.02) + noisy_hits(chart, "ben", rng, 0.04)
    hits.append(Hit("ben", math.nan, P.SNARE))
    played = play_live(session, hits, rng, None)
    for p in ("ana", "ben"):
        assert stats_until(played, played.judgments, p).summary() == played.summary[p]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), stop=st.floats(0.5, 15.0))
def test_a_stopped_take_counts_only_the_notes_it_reached(seed: int, stop: float) -> None:
    """Notes after the stop (and its Good window) were never reached: not missed in the
    summary, the saved session, its replay or its JSON."""
    rng = np.random.default_rng(seed)
    chart = groove()
    session = new_session(chart, ["ana"])
    hits = [h for h in noisy_hits(chart, "ana", rng, 0.015) if h.time < stop]
    rec = Recorder(session)
    rec.hits(hits)
    played = rec.finish(stopped_at=stop)
    until = stop + played.settings.windows.good_ms / 1000
    assert played.played_until == pytest.approx(until)
    reached = [n for n in chart.notes if n.time <= until]
    s = played.summary["ana"]
    assert s["notes"] == len(reached)
    assert s["perfect"] + s["great"] + s["good"] + s["miss"] == len(reached)
    again = replay(played, updates=rng.uniform(0, 20, 20))
    assert again.summary() == played.summary
    back = Session.from_dict(json.loads(json.dumps(played.to_dict())))
    assert back.stopped_at == stop and back.played_until == played.played_until


def test_a_stopped_take_is_saved_with_its_stop(tmp_path: Path) -> None:
    chart = groove()
    with SessionStore(tmp_path / "s.sqlite3") as store:
        rec = Recorder(new_session(chart, ["ana"]), store)
        rec.hits([Hit("ana", n.time, n.piece) for n in chart.notes if n.time < 4.0])
        played = rec.finish(stopped_at=4.0)
        loaded = store.load(played.id)
        listed = store.list(5)[0]
    assert loaded.stopped_at == 4.0 and loaded.summary == played.summary
    assert listed.summary["ana"]["accuracy"] == 1.0  # not the rest of the song as missed
    assert played.summary["ana"]["notes"] < len(chart.notes)


def test_a_lesson_is_kept_and_listed_as_one_with_its_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from onebeat.cli import main
    from onebeat.session import LessonRef

    chart = groove()
    db = tmp_path / "s.sqlite3"
    with SessionStore(db) as store:
        Recorder(new_session(chart, ["ana"]), store).finish()  # a take of its own
        for k, step in enumerate(["pulse", "pulse", "hihat"], 1):
            session = replace(new_session(chart, ["ana"]), lesson=LessonRef("ab12cd34ef", k, step))
            rec = Recorder(session, store)
            rec.hits([Hit("ana", n.time, n.piece) for n in chart.notes][: 10 * k])
            rec.finish()
        back = store.load(session.id)
        passes = store.lesson_passes("ab12")
        with pytest.raises(SessionError, match="no lesson has that id"):
            store.lesson_passes("ffff")
    assert back.lesson == LessonRef("ab12cd34ef", 3, "hihat")
    assert [p.lesson.pass_no for p in passes if p.lesson] == [1, 2, 3]
    assert Session.from_dict(back.to_dict()).lesson == back.lesson  # the JSON export keeps it
    assert main(["sessions", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # the lesson on one line, the take, the hint
    assert lines[0].startswith("lesson ab12cd34") and "3 passes, pulse → hihat" in lines[0]
    assert main(["sessions", "--db", str(db), "--lesson", "ab12"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_enough_grace_means_no_hit_is_late() -> None:
    rng = np.random.default_rng(7)
    chart = groove()
    hits = noisy_hits(chart, "ana", rng, 0.02) + noisy_hits(chart, "ben", rng, 0.02)
    strict = play_live(new_session(chart, ["ana", "ben"]), hits, np.random.default_rng(1), None)
    graced = play_live(
        new_session(chart, ["ana", "ben"], grace_ms=100.0), hits, np.random.default_rng(1), None
    )
    assert sum(r.late for r in strict.hits) > 0  # 0–80 ms delays with no grace
    assert sum(r.late for r in graced.hits) == 0


def test_json_export_reads_back_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    chart = groove()
    session = new_session(chart, ["ana"], any_pad=True)
    hits = [Hit("ana", t, None) for t in np.sort(rng.uniform(0, 15, 40))]
    hits.append(Hit("ana", math.inf, None, 500))
    played = play_live(session, hits, rng, None)
    path = tmp_path / "take.json"
    write_session_json(played, path)
    back = read_session_json(path)
    assert back.to_dict() == json.loads(path.read_text())
    assert back.summary == played.summary and back.settings == played.settings
    assert replay(back).summary() == played.summary
    path.write_text(json.dumps({"format": "onebeat-session", "version": 1, "id": "x"}))
    with pytest.raises(SessionError, match=r"take\.json: malformed session \(KeyError"):
        read_session_json(path)
    path.write_text("[1, 2")
    with pytest.raises(SessionError, match="not a readable session file"):
        read_session_json(path)


def test_midi_export_has_a_track_per_player_and_scores_the_same(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    chart = groove()
    session = new_session(chart, ["ana", "ben"], grace_ms=100.0)
    hits = noisy_hits(chart, "ana", rng, 0.012) + noisy_hits(chart, "ben", rng, 0.012)
    played = play_live(session, hits, rng, None)
    path = tmp_path / "take.mid"
    write_session_midi(played, path)
    back = read_take(path)
    assert {h.player for h in back} == {"ana", "ben"}
    # the MIDI holds calibrated times: score it again with no offsets
    rescored = Session(
        chart=chart,
        settings=played.settings,
        players=[PlayerInfo("ana"), PlayerInfo("ben")],
        song=played.song,
    )
    rec = Recorder(rescored)
    rec.hits(back)
    rec.finish()
    for p in ("ana", "ben"):
        a, b = played.summary[p], rescored.summary[p]
        assert (b["miss"], b["extra"], b["wrong_pad"]) == (a["miss"], a["extra"], a["wrong_pad"])
        assert b["mean_offset_ms"] == pytest.approx(a["mean_offset_ms"], abs=2.0)


def _v1_database(path: Path) -> None:
    """A database as the first schema made it, with one session in it."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    chart = groove(bars=1)
    db.execute(
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "0123456789abcdef",
            "2026-01-01T10:00:00.000+00:00",
            "old song",
            "",
            "",
            json.dumps(chart.to_dict()),
            json.dumps(
                __import__("onebeat.session.model", fromlist=["x"]).settings_to_dict(
                    JudgeSettings()
                )
            ),
            1,
            "{}",
            "0.1",
        ),
    )
    db.execute("INSERT INTO players VALUES ('0123456789abcdef', 0, 'ana', 'midi', 12.5)")
    db.execute(
        "INSERT INTO hits VALUES ('0123456789abcdef', 0, 'ana', ?, 'snare', 90, 0, 'note 38')",
        (chart.notes[2].time,),
    )
    db.close()


def test_an_old_database_is_migrated_and_keeps_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _v1_database(path)
    with SessionStore(path) as store:
        assert store.schema_version == len(MIGRATIONS) == 5
        s = store.load("0123")
        assert s.stopped_at is None and s.lesson is None  # (not kept then)
        assert s.players == [PlayerInfo("ana", "midi", 12.5, "")]
        assert s.hits[0].raw == "note 38"
        assert replay(s).stats["ana"].notes == len(s.chart.notes)
        assert store.integrity_ok()
        # the lessons table came with the migration: a player's place is kept per song
        assert store.lesson("ana", "abc") is None
        store.save_lesson("ana", "abc", {"step": "kick", "speed": 0.75})
        store.save_lesson("ana", "abc", {"step": "backbeat", "speed": 0.8})
        store.save_lesson("ana", "def", {"step": "pulse", "speed": 0.7})
    with SessionStore(path) as store:
        assert store.lesson("ana", "abc") == {"step": "backbeat", "speed": 0.8}
        assert store.lesson("ana", "def") == {"step": "pulse", "speed": 0.7}
        assert store.lesson("ben", "abc") is None


def test_refuses_newer_and_damaged_files_without_touching_them(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    db = sqlite3.connect(newer)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(SessionError, match="saved by a newer onebeat"):
        SessionStore(newer)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"my notes, not a database" * 100)
    before = junk.read_bytes()
    with pytest.raises(SessionError, match=r"junk\.sqlite3: not a usable session database"):
        SessionStore(junk)
    assert junk.read_bytes() == before


def test_session_references(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "s.sqlite3") as store:
        with pytest.raises(SessionError, match="no sessions saved yet"):
            store.resolve("latest")
        ids = []
        for k in range(3):
            s = new_session(groove(bars=1), ["ana"])
            s.id = f"abcd{k:012x}"
            s.created = f"2026-11-2{k}T10:00:00.000+00:00"
            Recorder(s, store).finish()
            ids.append(s.id)
        assert store.resolve("latest") == ids[2]
        assert store.resolve(ids[1]) == ids[1]
        with pytest.raises(SessionError, match="several sessions start so"):
            store.resolve("abcd")
        with pytest.raises(SessionError, match="not in"):
            store.resolve("ffff")
        with pytest.raises(SessionError, match="give its id"):
            store.resolve("x; DROP TABLE")
        assert [i.id for i in store.list()] == ids[::-1]
        store.delete(ids[0])
        assert len(store.list()) == 2 and store.count_hits(ids[0]) == 0
