"""The recorder's own thread: a take's hits and judgments saved without the judge waiting.

A live judgment must never wait on a disk write: a commit is tens of microseconds on a
quiet SSD and milliseconds when SQLite checkpoints its log or the disk is busy. So the
:class:`~onebeat.session.record.Recorder` hands each hit and judgment to a
:class:`StoreWriter`, which saves them on a thread of its own, on its own connection to
the same database, in order. Whatever was queued while a commit ran goes into the next
commit (a group commit: one transaction for many hits when they come fast, one per hit
when they come one at a time), so a hit is committed about one commit time after it was
played.

What is kept:

- nothing committed is ever lost (SQLite's write-ahead log, as before);
- a take's end (:meth:`StoreWriter.flush`, which ``Recorder.finish`` calls) returns only
  when every hit and judgment queued before it is committed, and closing the store
  (the page's connection, the program at exit) does the same;
- a write that fails (a full disk) is said, with the database's file, by the next
  ``flush`` or ``close``; the take itself is still whole in memory (``Recorder.session``).

Why by hand: the standard library's :mod:`queue` and :mod:`threading` are all it takes;
an async database layer would move every store call of onebeat onto an event loop.
"""

from __future__ import annotations

import atexit
import queue
import sqlite3
import sys
import threading
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from onebeat.errors import SessionError

__all__ = ["Rows", "StoreWriter"]

#: One queued write: the statements (SQL, arguments) that save it, made on the writer's
#: thread (a generator, so that the judge's thread only queues it).
Rows = Iterable[tuple[str, Iterable[Any]]]

_STOP = object()
_live: weakref.WeakSet[StoreWriter] = weakref.WeakSet()


class StoreWriter:
    """Saves queued writes on its own thread, in order, many to a commit.

    Parameters
    ----------
    path : Path
        The session database (already created and migrated by a
        :class:`~onebeat.session.store.SessionStore`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Condition()
        self._queued = 0  # writes handed over
        self._done = 0  # writes committed (or failed)
        self._committed = 0  # writes committed, all of them up to this one
        self._error: str | None = None
        self._failed = False  # a write failed: what follows it is not counted as saved
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="onebeat-recorder", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise SessionError(self._error)
        _live.add(self)

    # -- the judge's side -----------------------------------------------------------------
    def put(self, rows: Rows) -> int:
        """Queue a write; returns at once, with the write's number (1, 2, ...): it is
        saved once :attr:`committed` reaches it."""
        if not self._thread.is_alive():
            raise SessionError(f"{self.path}: the recorder's writer is closed")
        with self._lock:
            self._queued += 1
            ticket = self._queued
            self._queue.put(rows)
        return ticket

    @property
    def committed(self) -> int:
        """The number of the last write saved with every write before it (it stops where
        a write failed)."""
        return self._committed

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every write queued so far is committed.

        Raises
        ------
        SessionError
            When a write failed (it names the file and SQLite's reason), or the wait
            outlasted ``timeout`` seconds.
        """
        with self._lock:
            target = self._queued
            if not self._lock.wait_for(lambda: self._done >= target, timeout):
                raise SessionError(
                    f"{self.path}: {target - self._done} recorded writes not saved after "
                    f"{timeout:g} s (is the disk busy?)"
                )
            error, self._error = self._error, None
        if error is not None:
            raise SessionError(error)

    @property
    def pending(self) -> int:
        """Writes queued and not yet committed."""
        with self._lock:
            return self._queued - self._done

    def close(self) -> None:
        """Save everything queued, then stop the thread (a second close does nothing)."""
        if not self._thread.is_alive():
            return
        self._queue.put(_STOP)
        self._thread.join()
        _live.discard(self)
        with self._lock:
            error, self._error = self._error, None
        if error is not None:
            raise SessionError(error)

    # -- the writer's thread ---------------------------------------------------------------
    def _run(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            self._error = f"{self.path}: cannot open it to record ({exc})"
            self._ready.set()
            return
        self._ready.set()
        try:
            stop = False
            while not stop:
                batch = [self._queue.get()]
                while True:  # everything queued meanwhile joins this commit
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if any(b is _STOP for b in batch):
                    stop = True
                    batch = [b for b in batch if b is not _STOP]
                if batch:
                    self._commit(db, batch)
        finally:
            db.close()

    def _commit(self, db: sqlite3.Connection, batch: list[Rows]) -> None:
        try:
            db.execute("BEGIN IMMEDIATE")
            for sql, args in _chain(batch):
                db.execute(sql, tuple(args))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            with self._lock:
                self._error = f"{self.path}: {len(batch)} recorded writes not saved ({exc})"
                self._failed = True
        with self._lock:
            self._done += len(batch)
            if not self._failed:
                self._committed = self._done
            self._lock.notify_all()


def _chain(batch: list[Rows]) -> Iterator[tuple[str, Iterable[Any]]]:
    for rows in batch:
        yield from rows


@atexit.register
def _close_all() -> None:
    """At exit, a program that did not close its store still saves what it queued."""
    for writer in list(_live):
        try:
            writer.close()
        except SessionError as exc:
            print(f"onebeat: {exc}", file=sys.stderr)
