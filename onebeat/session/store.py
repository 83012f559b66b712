"""Sessions saved in SQLite, with schema migrations.

One database file (``sessions.sqlite3`` in the data folder, see :func:`data_dir`) holds
every session. It runs in write-ahead-log mode: each hit is committed as it is played
(on the recorder's own thread, :mod:`onebeat.session.writer`), a commit survives the
program being killed (the log is replayed when the file is next opened), and a reader
never sees half a transaction. ``synchronous=NORMAL`` keeps commits cheap; it can lose
the last commits only on a power cut, never corrupt the file.

The schema's version is SQLite's ``user_version``; :data:`MIGRATIONS` brings an older
file up to date in one transaction each, and a file from a newer onebeat is refused
rather than altered.
"""

from __future__ import annotations

import bisect
import builtins
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from onebeat import __version__
from onebeat._io import user_dir
from onebeat.chart.model import Chart
from onebeat.engine import Judgment
from onebeat.errors import ChartError, SessionError
from onebeat.session.model import (
    LessonRef,
    PlayerInfo,
    RecordedHit,
    Session,
    SongRef,
    hit_from_list,
    hit_to_list,
    judgment_from_list,
    judgment_to_list,
    settings_from_dict,
    settings_to_dict,
)
from onebeat.session.writer import StoreWriter

__all__ = ["MIGRATIONS", "SessionInfo", "SessionStore", "TakeInfo", "data_dir"]

#: Schema migrations; entry ``k`` takes a database from version ``k`` to ``k + 1``.
MIGRATIONS: list[str] = [
    # 1: sessions, their players, raw hits in arrival order, judgments in emission order
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        song_title TEXT NOT NULL,
        song_path TEXT NOT NULL,
        song_sha256 TEXT NOT NULL,
        chart_json TEXT NOT NULL,
        settings_json TEXT NOT NULL,
        finished INTEGER NOT NULL DEFAULT 0,
        summary_json TEXT NOT NULL DEFAULT '{}',
        app_version TEXT NOT NULL
    );
    CREATE TABLE players (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        input_kind TEXT NOT NULL,
        offset_ms REAL NOT NULL,
        PRIMARY KEY (session_id, idx)
    );
    CREATE TABLE hits (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        player TEXT NOT NULL,
        time REAL,
        piece TEXT,
        velocity INTEGER NOT NULL,
        late INTEGER NOT NULL,
        raw TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    CREATE TABLE judgments (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        player TEXT NOT NULL,
        time REAL,
        grade TEXT,
        outcome TEXT,
        note_index INTEGER,
        offset_ms REAL,
        dynamic_ok INTEGER,
        PRIMARY KEY (session_id, seq)
    );
    """,
    # 2: the device each player used (calibration is kept per device), and an index for
    # the progress queries over days
    """
    ALTER TABLE players ADD COLUMN device TEXT NOT NULL DEFAULT '';
    CREATE INDEX sessions_by_created ON sessions (created);
    """,
    # 3: where each player is in the lesson on each song (the tutor's coach)
    """
    CREATE TABLE lessons (
        player TEXT NOT NULL,
        song_sha256 TEXT NOT NULL,
        state_json TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (player, song_sha256)
    );
    """,
    # 4: where a take was stopped (song time [s]; NULL: played to its end)
    """
    ALTER TABLE sessions ADD COLUMN stopped_at REAL;
    """,
    # 5: the lesson a take is a pass of (NULL: a take of its own), so that a lesson is
    # kept, listed and reported as one, with its passes
    """
    ALTER TABLE sessions ADD COLUMN lesson_id TEXT;
    ALTER TABLE sessions ADD COLUMN lesson_pass INTEGER;
    ALTER TABLE sessions ADD COLUMN lesson_step TEXT;
    CREATE INDEX sessions_by_lesson ON sessions (lesson_id);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
DB_NAME = "sessions.sqlite3"


def data_dir() -> Path:
    """Where onebeat keeps what users make (sessions, uploads): ``$ONEBEAT_DATA_DIR``,
    else ``$XDG_DATA_HOME/onebeat``, else ``~/.local/share/onebeat``."""
    return user_dir("ONEBEAT_DATA_DIR", "XDG_DATA_HOME", ".local/share")


@dataclass(frozen=True)
class TakeInfo:
    """One player's finished take, for progress over days.

    Attributes
    ----------
    first_bar, last_bar : int
        The bars the chart's notes cover (a loop's passes cover a few).
    summary : dict
        The judge's summary for the player (accuracy, mean and SD of offsets, …).
    """

    session_id: str
    created: str
    title: str
    song_sha256: str
    player: str
    level: int
    chart_title: str
    first_bar: int
    last_bar: int
    summary: dict[str, float | int]


@dataclass(frozen=True)
class SessionInfo:
    """A line of the session list."""

    id: str
    created: str
    title: str
    players: list[str]
    finished: bool
    summary: dict[str, dict[str, float | int]]
    #: The lesson the take is a pass of (None: a take of its own).
    lesson: LessonRef | None = None


class SessionStore:
    """The session database.

    Parameters
    ----------
    path : path or None
        The database file; None: ``data_dir() / "sessions.sqlite3"``.

    Raises
    ------
    SessionError
        When the file is not a database or comes from a newer onebeat (it is left as is).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer: StoreWriter | None = None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise SessionError(f"{self.path}: not a usable session database ({exc})") from None

    # -- schema --------------------------------------------------------------------------
    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise SessionError(
                f"{self.path}: saved by a newer onebeat (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); update onebeat to open it"
            )
        for k in range(version, SCHEMA_VERSION):
            try:
                self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{MIGRATIONS[k]}\nPRAGMA user_version = {k + 1};\nCOMMIT;"
                )
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        row = self._db.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def integrity_ok(self) -> bool:
        """SQLite's own check of the file."""
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # -- writing -------------------------------------------------------------------------
    def _tx(self, statements: Iterable[tuple[str, Iterable[Any]]]) -> None:
        """Run statements in one transaction: all of them are saved, or none."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            for sql, args in statements:
                self._db.execute(sql, tuple(args))
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def create(self, session: Session) -> None:
        """Save a session, with whatever hits and judgments it has so far."""
        song = session.song
        rows: list[tuple[str, Iterable[Any]]] = [
            (
                "INSERT INTO sessions (id, created, song_title, song_path, song_sha256, "
                "chart_json, settings_json, finished, summary_json, app_version, "
                "lesson_id, lesson_pass, lesson_step) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    session.created,
                    song.title,
                    song.path,
                    song.sha256,
                    json.dumps(session.chart.to_dict()),
                    json.dumps(settings_to_dict(session.settings)),
                    int(session.finished),
                    json.dumps(session.summary),
                    __version__,
                    *(
                        (None, None, None)
                        if session.lesson is None
                        else (session.lesson.id, session.lesson.pass_no, session.lesson.step)
                    ),
                ),
            )
        ]
        for i, p in enumerate(session.players):
            rows.append(
                (
                    "INSERT INTO players (session_id, idx, name, input_kind, offset_ms, device) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (session.id, i, p.name, p.input_kind, p.offset_ms, p.device),
                )
            )
        rows += self._hit_rows(session.id, session.hits)
        rows += self._judgment_rows(session.id, 0, session.judgments)
        self._tx(rows)

    @staticmethod
    def _hit_rows(sid: str, hits: Iterable[RecordedHit]) -> Iterator[tuple[str, list[Any]]]:
        for h in hits:
            yield (
                "INSERT INTO hits (session_id, seq, player, time, piece, velocity, late, raw) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, *hit_to_list(h)],
            )

    @staticmethod
    def _judgment_rows(
        sid: str, start: int, judgments: Iterable[Judgment]
    ) -> Iterator[tuple[str, list[Any]]]:
        for k, j in enumerate(judgments):
            yield (
                "INSERT INTO judgments (session_id, seq, player, time, grade, outcome, "
                "note_index, offset_ms, dynamic_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, start + k, *judgment_to_list(j)],
            )

    def add_hits(self, session_id: str, hits: Iterable[RecordedHit]) -> None:
        """Append hits to a session, committed before this returns."""
        self._tx(self._hit_rows(session_id, hits))

    def add_judgments(self, session_id: str, start: int, judgments: Iterable[Judgment]) -> None:
        """Append judgments numbered from ``start``."""
        self._tx(self._judgment_rows(session_id, start, judgments))

    @property
    def writer(self) -> StoreWriter:
        """The recorder's thread for this database (started on first use, stopped by
        :meth:`close` once everything queued is saved)."""
        if self._writer is None:
            self._writer = StoreWriter(self.path)
        return self._writer

    def queue_hits(self, session_id: str, hits: tuple[RecordedHit, ...]) -> int:
        """Append hits to a session on the recorder's thread (:mod:`onebeat.session.writer`):
        returns at once, with the write's number (see :attr:`StoreWriter.committed`);
        :meth:`flush` waits for it."""
        return self.writer.put(self._hit_rows(session_id, hits))

    def queue_judgments(self, session_id: str, start: int, judgments: tuple[Judgment, ...]) -> int:
        """Append judgments numbered from ``start`` on the recorder's thread."""
        return self.writer.put(self._judgment_rows(session_id, start, judgments))

    def flush(self) -> None:
        """Wait until everything queued on the recorder's thread is committed."""
        if self._writer is not None:
            self._writer.flush()

    def finish(self, session: Session) -> None:
        """Mark a session finished, with its summary."""
        self._tx(
            [
                (
                    "UPDATE sessions SET finished = 1, summary_json = ?, stopped_at = ? "
                    "WHERE id = ?",
                    (json.dumps(session.summary), session.stopped_at, session.id),
                )
            ]
        )

    def save_lesson(self, player: str, song_sha256: str, state: dict[str, Any]) -> None:
        """Remember where ``player`` is in the lesson on a song (see
        :meth:`onebeat.tutor.Coach.state`)."""
        self._tx(
            [
                (
                    "INSERT INTO lessons (player, song_sha256, state_json, updated) "
                    "VALUES (?, ?, ?, datetime('now')) ON CONFLICT (player, song_sha256) "
                    "DO UPDATE SET state_json = excluded.state_json, updated = excluded.updated",
                    (player, song_sha256, json.dumps(state)),
                )
            ]
        )

    def lesson(self, player: str, song_sha256: str) -> dict[str, Any] | None:
        """Where ``player`` was in the lesson on a song; None before their first."""
        row = self._db.execute(
            "SELECT state_json FROM lessons WHERE player = ? AND song_sha256 = ?",
            (player, song_sha256),
        ).fetchone()
        if row is None:
            return None
        state = json.loads(row[0])
        return state if isinstance(state, dict) else None

    def delete(self, session_id: str) -> None:
        self._tx([("DELETE FROM sessions WHERE id = ?", (self.resolve(session_id),))])

    # -- reading -------------------------------------------------------------------------
    def resolve(self, ref: str) -> str:
        """The full id of a session from its id, a unique prefix of it (4+ characters),
        or ``latest``."""
        if ref == "latest":
            row = self._db.execute(
                "SELECT id FROM sessions ORDER BY created DESC, rowid DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise SessionError(f"{self.path}: no sessions saved yet")
            return str(row[0])
        if len(ref) < 4 or not all(c in "0123456789abcdef" for c in ref.lower()):
            raise SessionError(f"session {ref!r}: give its id (or 4+ first characters)")
        rows = self._db.execute(
            "SELECT id FROM sessions WHERE id >= ? AND id < ? LIMIT 2",
            (ref.lower(), ref.lower() + "g"),
        ).fetchall()
        if not rows:
            raise SessionError(f"session {ref!r}: not in {self.path}")
        if len(rows) > 1:
            raise SessionError(f"session {ref!r}: several sessions start so; give more of it")
        return str(rows[0][0])

    def load(self, ref: str) -> Session:
        """A saved session (finished or not), by :meth:`resolve`'s reference."""
        sid = self.resolve(ref)
        row = self._db.execute(
            "SELECT created, song_title, song_path, song_sha256, chart_json, settings_json, "
            "finished, summary_json, stopped_at, lesson_id, lesson_pass, lesson_step "
            "FROM sessions WHERE id = ?",
            (sid,),
        ).fetchone()
        created, title, path, sha, chart_json, settings_json, finished, summary_json, stop = row[:9]
        lesson = _lesson_of(*row[9:12])
        players = [
            PlayerInfo(name, kind, float(off), device)
            for name, kind, off, device in self._db.execute(
                "SELECT name, input_kind, offset_ms, device FROM players "
                "WHERE session_id = ? ORDER BY idx",
                (sid,),
            )
        ]
        hits = [
            hit_from_list(list(r))
            for r in self._db.execute(
                "SELECT seq, player, time, piece, velocity, late, raw FROM hits "
                "WHERE session_id = ? ORDER BY seq",
                (sid,),
            )
        ]
        judgments = [
            judgment_from_list(list(r))
            for r in self._db.execute(
                "SELECT player, time, grade, outcome, note_index, offset_ms, dynamic_ok "
                "FROM judgments WHERE session_id = ? ORDER BY seq",
                (sid,),
            )
        ]
        try:
            return Session(
                id=sid,
                created=created,
                song=SongRef(title, path, sha),
                chart=Chart.from_dict(json.loads(chart_json), source=f"session {sid}"),
                settings=settings_from_dict(json.loads(settings_json)),
                players=players,
                hits=hits,
                judgments=judgments,
                summary=json.loads(summary_json),
                finished=bool(finished),
                stopped_at=None if stop is None else float(stop),
                lesson=lesson,
            )
        except (ValueError, KeyError, TypeError, ChartError) as exc:
            raise SessionError(f"session {sid} in {self.path}: damaged ({exc})") from None

    def list(self, limit: int = 50) -> list[SessionInfo]:
        """The latest sessions, newest first."""
        return self._infos(
            "SELECT id, created, song_title, finished, summary_json, lesson_id, lesson_pass, "
            "lesson_step FROM sessions ORDER BY created DESC, rowid DESC LIMIT ?",
            (limit,),
        )

    def lesson_passes(self, lesson_id: str) -> builtins.list[SessionInfo]:
        """A lesson's passes, first to last (by its id, or a unique prefix of it: 4+
        characters)."""
        if len(lesson_id) < 4:
            raise SessionError(f"lesson {lesson_id!r}: give 4 or more characters of its id")
        ids = {
            r[0]
            for r in self._db.execute(
                "SELECT DISTINCT lesson_id FROM sessions WHERE lesson_id LIKE ? || '%'",
                (lesson_id,),
            )
        }
        if len(ids) != 1:
            why = "no lesson has" if not ids else f"{len(ids)} lessons have"
            raise SessionError(f"lesson {lesson_id!r}: {why} that id in {self.path}")
        return self._infos(
            "SELECT id, created, song_title, finished, summary_json, lesson_id, lesson_pass, "
            "lesson_step FROM sessions WHERE lesson_id = ? ORDER BY lesson_pass, rowid",
            (ids.pop(),),
        )

    def _infos(self, sql: str, args: tuple[Any, ...]) -> builtins.list[SessionInfo]:
        out: builtins.list[SessionInfo] = []
        for sid, created, title, finished, summary_json, lid, lpass, lstep in self._db.execute(
            sql, args
        ).fetchall():
            names = [
                r[0]
                for r in self._db.execute(
                    "SELECT name FROM players WHERE session_id = ? ORDER BY idx", (sid,)
                )
            ]
            lesson = _lesson_of(lid, lpass, lstep)
            out.append(
                SessionInfo(
                    sid, created, title, names, bool(finished), json.loads(summary_json), lesson
                )
            )
        return out

    def takes(self, player: str | None = None) -> builtins.list[TakeInfo]:
        """Every finished take, oldest first, one row per player (or only ``player``'s):
        for progress over days. The bars a take covers come from its chart's notes, so a
        loop's passes are told from takes of the whole song."""
        sql = (
            "SELECT s.id, s.created, s.song_title, s.song_sha256, s.summary_json, p.name, "
            "json_extract(s.chart_json, '$.level'), "
            "json_extract(s.chart_json, '$.notes[0][1]'), "
            "json_extract(s.chart_json, '$.notes[#-1][1]'), "
            "json_extract(s.chart_json, '$.beat_positions'), "
            "json_extract(s.chart_json, '$.title') "
            "FROM sessions s JOIN players p ON p.session_id = s.id "
            "WHERE s.finished = 1"
            + (" AND p.name = ?" if player is not None else "")
            + " ORDER BY s.created, s.rowid, p.idx"
        )
        out = []
        for (
            sid,
            created,
            title,
            sha,
            summary_json,
            name,
            level,
            b0,
            b1,
            pos_json,
            ctitle,
        ) in self._db.execute(sql, (player,) if player is not None else ()):
            summary = json.loads(summary_json).get(name)
            if not summary or not summary.get("notes"):
                continue
            down = [i for i, p in enumerate(json.loads(pos_json)) if p == 1]

            def bar(beat: float, down: list[int] = down) -> int:
                return max(1, bisect.bisect_right(down, int(beat + 1e-6)))

            out.append(
                TakeInfo(
                    sid,
                    created,
                    title,
                    sha,
                    name,
                    int(level),
                    str(ctitle),
                    bar(b0),
                    bar(b1),
                    summary,
                )
            )
        return out

    def count_hits(self, session_id: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM hits WHERE session_id = ?", (session_id,))
        return int(row.fetchone()[0])

    def close(self) -> None:
        """Save what the recorder's thread still holds, then close the file."""
        try:
            if self._writer is not None:
                self._writer.close()
        finally:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _lesson_of(lesson_id: str | None, pass_no: Any, step: Any) -> LessonRef | None:
    """A session row's lesson columns (NULL id: a take of its own)."""
    return None if lesson_id is None else LessonRef(lesson_id, int(pass_no), str(step))
