"""The recorder's own thread: the judge never waits on the database, and nothing queued
is lost at a take's end or when the store closes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from onebeat.chart import Chart, Note
from onebeat.engine import Hit, JudgeSettings
from onebeat.errors import SessionError
from onebeat.kit import DrumPiece
from onebeat.session import PlayerInfo, Recorder, Session, SessionStore, SongRef


def _session() -> Session:
    beats = np.arange(0.0, 60.5, 0.5)
    notes = tuple(Note(float(t), float(i), DrumPiece.SNARE) for i, t in enumerate(beats[:-1]))
    chart = Chart(notes, beats, np.arange(len(beats)) % 4 + 1, 4, title="steady")
    return Session(
        chart=chart, settings=JudgeSettings(), players=[PlayerInfo("ana")], song=SongRef("steady")
    )


def _play(rec: Recorder, n: int) -> None:
    for k in range(n):
        t = 0.5 * k + 0.003
        rec.hit(Hit("ana", t, DrumPiece.SNARE, 90), raw=f"#{k}")
        rec.update(t)


def test_hits_are_judged_while_the_database_is_locked_and_saved_after(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    with SessionStore(db) as store:
        rec = Recorder(_session(), store)
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the file: no commit can land
        try:
            _play(rec, 50)  # returns although nothing can be written
            judged = [j for j in rec.session.judgments if j.grade is not None]
            assert len(judged) == 50
            assert rec.saved_hits == 0
            assert store.writer.pending == 100  # 50 hits and 50 judgments, all waiting
        finally:
            other.execute("COMMIT")
            other.close()
        session = rec.finish()  # waits for every queued write
        assert rec.saved_hits == 50
        assert store.count_hits(session.id) == 50
        loaded = store.load(session.id)
    assert loaded.finished
    assert [h.raw for h in loaded.hits] == [f"#{k}" for k in range(50)]
    assert len(loaded.judgments) == len(session.judgments)


def test_closing_the_store_saves_an_unfinished_take(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    store = SessionStore(db)
    rec = Recorder(_session(), store)
    _play(rec, 30)
    store.close()  # no finish: a page that went away mid-take
    with SessionStore(db) as again:
        loaded = again.load(rec.session.id)
    assert not loaded.finished
    assert len(loaded.hits) == 30
    assert [j.time for j in loaded.judgments] == [j.time for j in rec.session.judgments]


def test_a_failed_write_is_said_with_the_file_and_the_take_stays_in_memory(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.sqlite3"
    with SessionStore(db) as store:
        rec = Recorder(_session(), store)
        _play(rec, 5)
        store.flush()
        store.delete(rec.session.id)  # its hits can no longer be saved (foreign key)
        _play(rec, 10)
        with pytest.raises(SessionError, match=r"s\.sqlite3: .*not saved"):
            store.flush()
        assert rec.saved_hits == 5  # what was saved before the failure, and no more
        assert len(rec.session.hits) == 15
