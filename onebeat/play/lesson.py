"""A lesson over the play socket: the coach's passes, one after another.

Like :class:`~onebeat.play.room.PlayRoom`, the lesson room knows nothing of sockets:
:meth:`LessonRoom.handle` takes one validated message and returns the replies, so the
browser and the terminal (``onebeat learn --keyboard``) drive the same lesson, and tests
drive it without either.

A ``learn`` message asks for the next pass. The room answers ``lesson``: the bars, the
speed and, per player, the step and their part (their own chart: in a pair lesson the two
parts differ). The page counts in a bar, plays the bars once and sends the hits, ticks
and ``finish``; each player's pass is judged and saved as its own session. After
``finish`` the room answers ``coached``: each coach's decision and sentence, how together
a pair was, and whether the lesson is done; where each player is goes into the database,
so the next lesson on this song starts there. A pass stopped half-way is saved as an
interrupted session and not coached.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import replace
from typing import Any

from onebeat.engine import PRESETS, Hit, JudgeSettings, LoopPlan
from onebeat.errors import OnebeatError
from onebeat.library import Library
from onebeat.play.protocol import (
    FinishMsg,
    KeyMsg,
    LearnMsg,
    MicAudio,
    MidiMsg,
    PadMsg,
    PlayMessage,
    TickMsg,
)
from onebeat.play.replies import (
    CoachedPlayer,
    CoachedReply,
    JudgedReply,
    JudgmentItem,
    LessonPlayer,
    LessonReply,
    Reply,
    Running,
    StepInfo,
    TogetherInfo,
)
from onebeat.play.room import (
    GRACE_MS,
    RoomError,
    RoomInputs,
    judgment_json,
    loop_json,
    running_stats,
)
from onebeat.session import LessonRef, PlayerInfo, Recorder, Session, SessionStore, SongRef
from onebeat.tutor import Coach, LessonPlan, PairCoach, lesson_plan

__all__ = ["COUNT_IN_SLACK_S", "LessonRoom"]

#: Hits this long before a pass's first downbeat [s] or earlier are taps along with the
#: count-in, not strays: they are neither judged nor kept.
COUNT_IN_SLACK_S = 0.25


class LessonRoom:
    """One lesson (one player, or a pair) on one song, pass by pass."""

    def __init__(self, library: Library, store: SessionStore) -> None:
        self.library = library
        self.store = store
        self.key: tuple[str, tuple[str, ...]] | None = None
        self.plan: LessonPlan | None = None
        self.coaches: dict[str, Coach] = {}
        self.pair: PairCoach | None = None
        self.inputs: RoomInputs | None = None
        self.song: SongRef | None = None
        self.recorders: dict[str, Recorder] = {}  # the pass being played, one per player
        self.loop: LoopPlan | None = None
        self._clock = -math.inf
        self.finished = False
        self.passes = 0  # passes of this lesson so far (each its own session, numbered)
        self.lesson_id = ""  # one id for the lesson's passes (kept with each pass's session)

    # -- messages ------------------------------------------------------------------------
    def handle(self, msg: PlayMessage | MicAudio) -> list[Reply]:
        """Act on one validated message; the replies, in order."""
        if isinstance(msg, LearnMsg):
            return [self._learn(msg)]
        if not self.recorders or self.inputs is None or self.loop is None:
            raise RoomError(f"'{msg.type}' before 'learn'")
        if isinstance(msg, TickMsg):
            return self._tick(msg.t)
        if isinstance(msg, FinishMsg):
            return [self._finish()]
        if not isinstance(msg, KeyMsg | MidiMsg | PadMsg | MicAudio):
            raise RoomError(f"'{msg.type}' is not a message for a lesson")
        hits, out = self.inputs.hits(msg)
        for hit, raw in hits:
            out += self._hit(hit, raw)
        return out

    def _hit(self, hit: Hit, raw: str) -> list[Reply]:
        assert self.loop is not None
        if hit.time < self.loop.start - COUNT_IN_SLACK_S:
            return []  # playing along with the count-in: not part of the pass
        self.recorders[hit.player].hit(hit, raw)
        return self._tick(hit.time)

    def _learn(self, msg: LearnMsg) -> LessonReply:
        self.recorders.clear()  # a pass not finished stays saved as interrupted
        self.inputs = inputs = RoomInputs(msg.players)  # checks the names first
        key = (msg.song, tuple(inputs.names))
        if key != self.key or msg.restart or self.finished:
            self._begin(msg)
        assert self.plan is not None and self.song is not None
        if self.pair is not None:
            loops, speed, drums = self.pair.loops(), self.pair.speed, self.pair.song_drums
        else:
            ((name, coach),) = self.coaches.items()
            loops, speed, drums = {name: coach.current.loop}, coach.speed, coach.song_drums
        if msg.drums != "coach":  # the players chose the song's drums themselves
            drums = msg.drums
        settings = JudgeSettings(windows=PRESETS[msg.windows], speed=speed, grace_ms=GRACE_MS)
        self.inputs = inputs = RoomInputs(  # a microphone needs the pass's speed
            msg.players,
            speed=speed,
            reference=lambda sr: self.library.reference(msg.song, speed, sr, drums),
            profile=self.library.kit_for,
            parts={name: loop.chart.pieces for name, loop in loops.items()},
        )
        self.loop = next(iter(loops.values()))
        self._clock = -math.inf
        self.passes += 1
        players: dict[str, LessonPlayer] = {}
        for spec in msg.players:
            coach, loop = self.coaches[spec.name], loops[spec.name]
            step = coach.current
            # the pass's session says which lesson pass it was, at what step and speed
            chart = replace(
                loop.chart,
                title=f"{self.plan.song} · lesson pass {self.passes}: {step.key}"
                + (f" at {round(speed * 100)} %" if speed < 1 else ""),
            )
            info = PlayerInfo(spec.name, spec.input, spec.offset_ms, "browser")
            lesson = LessonRef(self.lesson_id, self.passes, step.key)
            session = Session(
                chart=chart, settings=settings, players=[info], song=self.song, lesson=lesson
            )
            self.recorders[spec.name] = Recorder(session, self.store)
            players[spec.name] = LessonPlayer(
                step=coach.step,
                key=step.key,
                title=step.title,
                pass_=coach.on_step + 1,
                session=session.id,
                chart=chart.to_dict(),
            )
        return LessonReply(
            song=msg.song,
            speed=speed,
            drums=drums,
            loop=loop_json(self.loop),
            steps=[StepInfo(key=s.key, title=s.title) for s in self.plan.steps],
            goal=self.plan.goal,
            players=players,
            keymap=inputs.keymap.to_dict() if inputs.keymap else None,
        )

    def _begin(self, msg: LearnMsg) -> None:
        """A new lesson: the plan from the song's charts, each player's coach from where
        they were on this song (or a placement pass for someone who has played)."""
        entry = self.library.get(msg.song)
        groove = self.library.chart(msg.song, 3)
        try:
            song_groove: Any = self.library.chart(msg.song, 4)
        except OnebeatError:  # no transcription of the song's drums: the basic groove ends it
            song_groove = None
        self.plan = plan = lesson_plan(groove, song_groove=song_groove)
        self.passes = 0
        self.lesson_id = secrets.token_hex(8)
        self.song = SongRef(entry.title, str(entry.path), entry.sha256)
        self.coaches = {
            p.name: Coach.resume(
                plan,
                None if msg.restart else self.store.lesson(p.name, entry.sha256),
                experienced=p.experienced,
            )
            for p in msg.players
        }
        self.pair = PairCoach(self.coaches) if len(self.coaches) == 2 else None
        self.key = (msg.song, tuple(self.coaches))
        self.finished = False

    def _tick(self, t: float) -> list[Reply]:
        self._clock = max(self._clock, t)
        items: list[JudgmentItem] = []
        stats: dict[str, Running] = {}
        for rec in self.recorders.values():
            items += [judgment_json(j) for j in rec.update(t)]
            stats |= running_stats(rec)
        return [JudgedReply(items=items, stats=stats)] if items else []

    def _finish(self) -> CoachedReply:
        assert self.loop is not None and self.song is not None
        recorders, self.recorders = self.recorders, {}
        if self._clock < self.loop.end - 0.05:  # stopped half-way: saved, not coached
            return CoachedReply(stopped=True, done=False, players={})
        sessions: dict[str, Session] = {name: rec.finish() for name, rec in recorders.items()}
        if self.pair is not None:
            pd = self.pair.after_pass(sessions)
            decisions, together, done = pd.decisions, pd.together, pd.done
        else:
            ((name, coach),) = self.coaches.items()
            decisions, together = {name: coach.after_pass(sessions[name], name)}, None
            done = coach.done
        for name, coach in self.coaches.items():
            self.store.save_lesson(name, self.song.sha256, coach.state())
        self.finished = done
        players = {
            name: CoachedPlayer(
                action=d.action.value,
                message=d.message,
                accuracy=round(d.report.accuracy, 4),
                missed=round(d.report.missed, 4),
                session=sessions[name].id,
                summary=sessions[name].summary[name],
            )
            for name, d in decisions.items()
        }
        return CoachedReply(
            stopped=False,
            done=done,
            players=players,
            together=None
            if together is None
            else TogetherInfo(
                common=together.common,
                together=round(together.together, 4),
                mean_ms=round(together.mean_ms, 1),
                message=together.message,
            ),
        )

    def close(self) -> None:
        """The socket went: a pass not finished stays saved as interrupted."""
        self.recorders.clear()
