"""Recording a session as it is played, and replaying a saved one.

:class:`Recorder` sits between the inputs and the judge: every hit is kept, every
judgment too, and with a store saved as it is played, on the recorder's own thread
(:mod:`onebeat.session.writer`), so that the judge never waits on the disk; the take's
end waits until all of it is committed. :func:`replay` judges a saved session's hits
again; because the judge never reads a clock and late hits keep their recorded verdict,
it gives back the same judgments and stats whatever the update times
(:func:`same_judgments` compares them).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass

from onebeat.engine import Hit, Judge, Judgment, PlayerStats
from onebeat.session.model import RecordedHit, Session, judgment_key, judgment_to_list
from onebeat.session.store import SessionStore

__all__ = ["Recorder", "Replay", "replay", "same_judgments", "stats_until", "summarize"]


#: How much longer the judge waits for a remote partner's hits (a remote duet's second
#: player, input "remote") before their notes are Misses [ms]: their strokes cross the
#: internet twice (to the relay, then here), 300 ms at 150 ms each way, and the page
#: forwards them as they come. A fixed wait, so that a replay judges alike.
REMOTE_WAIT_MS = 1500.0


def _judge_for(session: Session) -> Judge:
    return Judge(
        session.chart,
        players=session.player_names,
        settings=session.settings,
        offsets_ms={p.name: p.offset_ms for p in session.players},
        waits_ms={p.name: REMOTE_WAIT_MS for p in session.players if p.input_kind == "remote"},
    )


class Recorder:
    """Judge a session live and keep its record.

    Parameters
    ----------
    session : Session
        A new session (no hits yet).
    store : SessionStore or None
        Where to save it as it goes; None keeps it in memory only.
    """

    def __init__(self, session: Session, store: SessionStore | None = None) -> None:
        if session.hits or session.judgments or session.finished:
            raise ValueError("a recorder starts a new session")
        self.session = session
        self.store = store
        self.judge = _judge_for(session)
        # per write of hits queued: its number and the hits recorded up to it
        self._tickets: list[int] = []
        self._upto: list[int] = []
        if store is not None:
            store.create(session)

    def hit(self, hit: Hit, raw: str = "") -> bool:
        """Take one hit (judged by the next :meth:`update`); False if it came too late."""
        rec = self._take(hit, raw)
        if self.store is not None:
            self._queued(self.store.queue_hits(self.session.id, (rec,)))
        return not rec.late

    def hits(self, hits: Iterable[Hit]) -> None:
        """Take many hits at once (a recorded take), stored in one transaction."""
        recs = tuple(self._take(hit, "") for hit in hits)
        if self.store is not None and recs:
            self._queued(self.store.queue_hits(self.session.id, recs))

    def _queued(self, ticket: int) -> None:
        self._tickets.append(ticket)
        self._upto.append(len(self.session.hits))

    @property
    def saved_hits(self) -> int:
        """How many of the hits (the first ones, in arrival order) are committed: what
        the program may say is saved, because a kill no longer loses it. Never waits."""
        if self.store is None:
            return 0
        done = bisect.bisect_right(self._tickets, self.store.writer.committed)
        return self._upto[done - 1] if done else 0

    def _take(self, hit: Hit, raw: str) -> RecordedHit:
        """Push a hit to the judge and keep it, numbered in arrival order."""
        rec = RecordedHit(len(self.session.hits), hit, not self.judge.push(hit), raw)
        self.session.hits.append(rec)
        return rec

    def update(self, t: float) -> list[Judgment]:
        """Judge up to song time ``t``; the new judgments are kept and returned."""
        return self._keep(self.judge.update(t))

    def finish(self, stopped_at: float | None = None) -> Session:
        """Judge the rest of the chart, sum up, and mark the session finished.

        ``stopped_at``: the song time at which the player stopped the take [s] (None: it
        was played to its end). The summary leaves out the notes after it
        (:attr:`Session.played_until`): never reached, not missed."""
        self._keep(self.judge.finish())
        self.session.stopped_at = stopped_at
        self.session.summary = summarize(self.session, self.judge)
        self.session.finished = True
        if self.store is not None:
            self.store.flush()  # every hit and judgment saved before the take is marked done
            self.store.finish(self.session)
        return self.session

    def stats(self, player: str) -> PlayerStats:
        return self.judge.stats(player)

    def _keep(self, judgments: list[Judgment]) -> list[Judgment]:
        if judgments:
            start = len(self.session.judgments)
            self.session.judgments += judgments
            if self.store is not None:
                self.store.queue_judgments(self.session.id, start, tuple(judgments))
        return judgments


def stats_until(session: Session, judgments: Iterable[Judgment], player: str) -> PlayerStats:
    """A player's stats counted again from the judgments, over the chart notes up to
    :attr:`Session.played_until` and the stray hits before it (in emission order, as the
    judge counts them: the same stats as the judge's when the take ran to its end)."""
    until = session.played_until
    notes = session.chart.notes
    st = PlayerStats(notes=sum(1 for n in notes if n.time <= until))
    for j in judgments:
        if j.player != player:
            continue
        if j.grade is not None and j.note_index is not None:
            if notes[j.note_index].time <= until:
                st.add_note(j.grade, j.offset_ms, j.dynamic_ok)
        elif j.outcome is not None and not (math.isfinite(j.time) and j.time > until):
            st.add_stray(j.outcome)
    return st


def summarize(session: Session, judge: Judge | None = None) -> dict[str, dict[str, float | int]]:
    """Each player's summary over the notes up to :attr:`Session.played_until` (the
    judge's own stats for a take played to its end)."""
    if judge is not None and math.isinf(session.played_until):
        return {p: judge.stats(p).summary() for p in judge.players}
    return {p: stats_until(session, session.judgments, p).summary() for p in session.player_names}


@dataclass(frozen=True)
class Replay:
    """A saved session judged again."""

    judgments: list[Judgment]
    stats: dict[str, PlayerStats]

    def summary(self) -> dict[str, dict[str, float | int]]:
        return {p: s.summary() for p, s in self.stats.items()}


def replay(session: Session, *, updates: Iterable[float] = ()) -> Replay:
    """Judge a session's recorded hits again, with updates at the given song times
    (any times: the result is the same), then to the end of the chart."""
    judge = _judge_for(session)
    for rec in sorted(session.hits, key=lambda r: r.seq):
        judge.push(rec.hit, late=rec.late)
    out: list[Judgment] = []
    for t in sorted(updates):
        out += judge.update(t)
    out += judge.finish()
    if math.isinf(session.played_until):
        return Replay(out, {p: judge.stats(p) for p in judge.players})
    return Replay(out, {p: stats_until(session, out, p) for p in judge.players})


def same_judgments(a: Iterable[Judgment], b: Iterable[Judgment]) -> bool:
    """Whether two runs judged alike: the same judgments, in any emission order."""

    def canon(js: Iterable[Judgment]) -> list[list[object]]:
        return [judgment_to_list(j) for j in sorted(js, key=judgment_key)]

    return canon(a) == canon(b)
