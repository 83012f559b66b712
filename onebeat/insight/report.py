"""The report of a take: everything insight knows about it, as data.

:func:`build_report` gathers each player's :class:`~onebeat.insight.TakeStats`, the
pair's :class:`~onebeat.insight.PairStats` for two players, and (with the session
database) each player's progress on this song and level with the bests this take set.
:meth:`Report.to_dict` is what the web app shows; :mod:`onebeat.insight.render` makes
the HTML page and the summary card from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from onebeat.insight.advice import take_tips
from onebeat.insight.duet import PairStats, pair_stats
from onebeat.insight.progress import ProgressLine, progress
from onebeat.insight.stats import TakeStats, take_stats
from onebeat.session.model import Session
from onebeat.session.store import SessionStore

__all__ = ["Report", "build_report"]


@dataclass(frozen=True)
class Report:
    """A take, understood.

    Attributes
    ----------
    session : Session
    takes : list of TakeStats
        One per player, in the session's order.
    pair : PairStats or None
        For a session of two players.
    progress : list of ProgressLine
        The players' lines for this song, level and bars (with the database).
    new_bests : dict
        Per player, the personal bests this take set ("accuracy", "spread", "streak").
    """

    session: Session
    takes: list[TakeStats]
    pair: PairStats | None = None
    progress: list[ProgressLine] = field(default_factory=list)
    new_bests: dict[str, list[str]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.session.song.title or self.session.chart.title or "a take"

    @property
    def remote(self) -> str:
        """For a remote duet, the link it ran over ("relay, 82 ms one way, bar"); else ""."""
        return next((p.device for p in self.session.players if p.input_kind == "remote"), "")

    @property
    def subtitle(self) -> str:
        s = self.session
        parts = [f"level {s.chart.level}" if s.chart.level else "imported chart"]
        if s.settings.speed != 1.0:
            parts.append(f"{round(100 * s.settings.speed)} % speed")
        parts.append(" & ".join(s.player_names))
        if self.remote:
            parts.append(f"remote duet ({self.remote})")
        parts.append(s.created[:10])
        if not s.finished:
            parts.append("interrupted")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        s = self.session
        return {
            "session": s.id,
            "created": s.created,
            "title": self.title,
            "subtitle": self.subtitle,
            "chart": s.chart.title,
            "level": s.chart.level,
            "speed": s.settings.speed,
            "finished": s.finished,
            "players": [
                {"name": p.name, "input": p.input_kind, "offset_ms": p.offset_ms} for p in s.players
            ],
            "takes": [{**t.to_dict(), "tips": take_tips(t)} for t in self.takes],
            "pair": self.pair.to_dict() if self.pair is not None else None,
            "remote": self.remote or None,
            "progress": [ln.to_dict() for ln in self.progress],
            "new_bests": self.new_bests,
        }


def build_report(
    session: Session,
    *,
    store: SessionStore | None = None,
    sections: Sequence[float] | None = None,
    bootstrap: int = 100,
) -> Report:
    """The report of a session.

    Parameters
    ----------
    session : Session
    store : SessionStore, optional
        The database, for progress over days and personal bests.
    sections : sequence of float, optional
        Beat positions where the song's sections start (default: the chart's own).
    bootstrap : int
        Simulated duets for the pair's gain errors.
    """
    takes = [take_stats(session, p, sections=sections) for p in session.player_names]
    pair = None
    if len(session.players) == 2:
        pair = pair_stats(session, *session.player_names[:2], bootstrap=bootstrap)
    lines: list[ProgressLine] = []
    bests: dict[str, list[str]] = {}
    if store is not None:
        for name in session.player_names:
            # progress up to this take: a later take does not undo its personal bests
            upto = [t for t in store.takes(name) if t.created <= session.created]
            for line in progress(upto):
                if any(p.session_id == session.id for p in line.points):
                    lines.append(line)
                    if found := line.new_bests(session.id):
                        bests[name] = found
    return Report(session, takes, pair, lines, bests)
