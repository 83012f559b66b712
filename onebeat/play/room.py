"""One take in the browser: the messages of a play WebSocket turned into a judged,
recorded session.

The room knows nothing of sockets: :meth:`PlayRoom.handle` takes one validated message
and returns the messages to send back, so it is tested without a server. Key presses
and Web MIDI bytes are mapped here, with the same :class:`~onebeat.inputs.KeyMap` and
:class:`~onebeat.inputs.MidiMapper` as everywhere else; hits are judged as they arrive
by the session's :class:`~onebeat.session.Recorder`, which commits each one to the
database before the judgment goes back.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from onebeat.engine import PRESETS, Hit, JudgeSettings, Judgment, LoopPlan
from onebeat.errors import OnebeatError, RoomError
from onebeat.hearing import KitProfile, Reference
from onebeat.inputs import KIT_MAPS, KeyMap, MicStream, MidiMapper
from onebeat.inputs.midi import KitMap
from onebeat.kit import DrumPiece
from onebeat.library import Library
from onebeat.play.protocol import (
    FinishMsg,
    KeyMsg,
    MicAudio,
    MidiMsg,
    PadMsg,
    PlayerSpec,
    PlayMessage,
    RemoteSpec,
    StartMsg,
    TickMsg,
)
from onebeat.play.replies import (
    HeardReply,
    JudgedReply,
    JudgmentItem,
    LoopInfo,
    PassInfo,
    PassReply,
    PlayedReply,
    ReadyReply,
    Reply,
    ResultsReply,
    Running,
)
from onebeat.session import PlayerInfo, Recorder, Session, SessionStore, SongRef

__all__ = [
    "GRACE_MS",
    "PlayRoom",
    "RoomError",
    "RoomInputs",
    "judgment_json",
    "loop_json",
    "running_stats",
]

log = logging.getLogger("onebeat.web")

#: How long a Miss waits for hits still on their way from a phone [ms].
GRACE_MS = 150.0


def remote_device(remote: RemoteSpec | None, kind: str) -> str:
    """What a session keeps of a player's device: in a remote duet, the partner's link
    (the latency and mode it ran at: the report says it)."""
    if remote is None or kind != "remote":
        return "browser"
    return f"relay, {remote.latency_ms:.0f} ms one way, {remote.mode}"


def judgment_json(j: Judgment) -> JudgmentItem:
    """A judgment as the page draws it."""
    return JudgmentItem(
        player=j.player,
        t=round(j.time, 4) if math.isfinite(j.time) else None,
        grade=j.grade.value if j.grade else None,
        outcome=j.outcome.value if j.outcome else None,
        note=j.note_index,
        offset_ms=None if j.offset_ms is None else round(j.offset_ms, 1),
        dynamic_ok=j.dynamic_ok,
    )


def running_stats(rec: Recorder) -> dict[str, Running]:
    """Each player's score, streak and accuracy so far, as the page shows them."""
    out = {}
    for name in rec.session.player_names:
        s = rec.stats(name)
        out[name] = Running(
            score=s.score,
            streak=s.streak,
            accuracy=round(s.accuracy, 4),
            points=s.points,
            multiplier=s.multiplier,
        )
    return out


def loop_json(lp: LoopPlan) -> LoopInfo:
    return LoopInfo(first=lp.first, last=lp.last, start=lp.start, end=lp.end)


def learnt_map(kit: KitMap, pads: Mapping[int, DrumPiece]) -> KitMap:
    """A kit map with the pads a player taught over it (the notes not taught keep the
    kit's meaning; the hi-hat pedal still decides open or closed as the kit's does)."""
    if not pads:
        return kit
    notes = {**kit.notes, **{int(n): DrumPiece(p) for n, p in pads.items()}}
    return replace(kit, name=f"{kit.name}+learnt", notes=notes)


class RoomInputs:
    """The players' inputs in a room: who plays the keyboard (and with which keys), whose
    kit sends Web MIDI (through which map), who plays touch pads, who plays an acoustic
    kit into a microphone (``profile``: each such player's kit, by name; ``parts``: the
    pieces each one's chart plays, which their strokes are named among)."""

    def __init__(
        self,
        players: list[PlayerSpec],
        *,
        speed: float = 1.0,
        reference: Callable[[int], Reference | None] | None = None,
        profile: Callable[[str], KitProfile | None] | None = None,
        parts: Mapping[str, Iterable[DrumPiece]] | None = None,
    ) -> None:
        self.names = [p.name for p in players]
        if len(set(self.names)) != len(self.names):
            raise RoomError("players: two players have one name")
        keyboard = [p.name for p in players if p.input == "keyboard"]
        self.keymap = KeyMap.default(keyboard) if keyboard else None
        self.mappers = {
            p.name: MidiMapper(p.name, learnt_map(KIT_MAPS[p.kit], p.pads))
            for p in players
            if p.input == "midi"
        }
        self.touch = {p.name for p in players if p.input == "touch"}
        self.remote = {p.name for p in players if p.input == "remote"}
        self.mics = {p.name: p for p in players if p.input == "microphone"}
        self.streams: dict[str, MicStream] = {}
        self._reference = reference
        self._profile = profile
        self._parts = dict(parts or {})
        self._speed = speed

    def needs_prepare(self, msg: MicAudio) -> bool:
        """Whether this frame starts a microphone's stream that takes the song out (its
        first frame): quick, for the socket to ask of every frame."""
        if self._reference is None or not 0 <= msg.player < len(self.names):
            return False
        spec = self.mics.get(self.names[msg.player])
        return spec is not None and not spec.headphones and self._new_stream(spec.name, msg.sr)

    def prepare(self, msg: MicAudio) -> None:
        """Decode what a microphone's first frame needs (the song as it is played, at the
        microphone's rate; kept by the library): slow, so the socket calls it off its
        event loop before :meth:`audio`, for the frames :meth:`needs_prepare` names. A
        song that does not decode is said by :meth:`audio`, which tries again."""
        if self._reference is not None and self.needs_prepare(msg):
            with contextlib.suppress(OnebeatError):
                self._reference(msg.sr)

    def _new_stream(self, name: str, sr: int) -> bool:
        """Whether a microphone's frame starts its stream (its first). A stream keeps the
        rate it started at: each new rate would decode the song again, so a client
        switching rates could grow the server's memory at will (issue 23)."""
        return name not in self.streams

    def audio(self, msg: MicAudio) -> tuple[list[Hit], list[Reply]]:
        """The hits a microphone block makes, and what to tell the page it heard."""
        if not 0 <= msg.player < len(self.names):
            raise RoomError(f"audio frame: no player {msg.player}")
        name = self.names[msg.player]
        spec = self.mics.get(name)
        if spec is None:
            raise RoomError(f"player {name!r} does not play a microphone")
        if self._new_stream(name, msg.sr):
            # in headphones the song never reaches the microphone: a bleed looked for
            # there would be fitted to the drummer's own strokes
            ref = self._reference(msg.sr) if self._reference and not spec.headphones else None
            if ref is not None:  # the song reaches the microphone as late as its hits do
                ref = replace(ref, delay_s=max(0.0, spec.offset_ms / 1000))
            profile = self._profile(name) if self._profile else None
            self.streams[name] = MicStream(
                name,
                sr=msg.sr,
                profile=profile,
                reference=ref,
                speed=self._speed,
                part=self._parts.get(name),
            )
        stream = self.streams[name]
        if stream.sr != msg.sr:
            raise RoomError(
                f"audio frame: {name}'s microphone streams at {stream.sr} Hz in this take, "
                f"not {msg.sr} Hz"
            )
        hits = stream.feed(msg.samples, msg.t)
        heard: list[Reply] = [
            HeardReply(player=name, t=round(h.time, 4), pad=h.piece) for h in hits
        ]
        return hits, heard

    def hits(
        self, msg: KeyMsg | MidiMsg | PadMsg | MicAudio
    ) -> tuple[list[tuple[Hit, str]], list[Reply]]:
        """The hits a message makes, each with its raw form for the record, and what to
        tell the page (what a microphone heard)."""
        if isinstance(msg, MicAudio):
            hits, heard = self.audio(msg)
            return [(h, f"mic {h.piece}") for h in hits], heard
        hit, raw = self.hit(msg)
        return ([] if hit is None else [(hit, raw)]), []

    def hit(self, msg: KeyMsg | MidiMsg | PadMsg) -> tuple[Hit | None, str]:
        """The hit a message makes (None: a key or MIDI message that plays nothing), and
        its raw form for the record."""
        if isinstance(msg, KeyMsg):
            if self.keymap is None:
                raise RoomError("no player plays the keyboard")
            return self.keymap.hit(msg.key, msg.t), f"key {msg.key}"
        if msg.player not in self.names:
            raise RoomError(f"player {msg.player!r} is not in this session")
        if isinstance(msg, MidiMsg):
            mapper = self.mappers.get(msg.player)
            if mapper is None:
                raise RoomError(f"player {msg.player!r} does not play MIDI")
            return mapper.feed_bytes(msg.data, msg.t), "midi " + " ".join(map(str, msg.data))
        if not isinstance(msg, PadMsg):
            raise RoomError(f"'{msg.type}' is not a message for the room")
        if msg.player in self.remote:  # a remote partner's stroke, passed on by the page
            return Hit(msg.player, msg.t, msg.pad, msg.v), f"remote {msg.pad or 'any'}"
        if msg.player not in self.touch:
            raise RoomError(f"player {msg.player!r} does not play touch pads")
        return Hit(msg.player, msg.t, msg.pad, msg.v), f"pad {msg.pad or 'any'}"


class PlayRoom:
    """A play session driven by WebSocket messages.

    A take is one session. A loop of bars is one session per pass: the page's clock runs
    on across passes (unwrapped song time), and the room sends each hit to its pass
    (:class:`~onebeat.engine.LoopPlan`), keeps the pass before open for the grace period
    after the seam, then finishes it and reports it with a ``pass`` message.
    """

    def __init__(self, library: Library, store: SessionStore) -> None:
        self.library = library
        self.store = store
        self.inputs: RoomInputs | None = None
        self.loop: LoopPlan | None = None
        self.passes: dict[int, Recorder] = {}  # open ones
        self.done: list[PassReply] = []  # finished passes, in order
        self._new_session: Callable[[int], Session] | None = None
        self._clock = -math.inf  # the latest song time heard from the page (unwrapped)
        #: In a remote take, this page's players' calibrations: their strokes are echoed.
        self._echo: dict[str, float] | None = None

    def handle(self, msg: PlayMessage | MicAudio) -> list[Reply]:
        """Act on one validated message; the replies, in order."""
        if isinstance(msg, StartMsg):
            return [self._start(msg)]
        if self._new_session is None or self.inputs is None:
            raise RoomError(f"'{msg.type}' before 'start'")
        if isinstance(msg, TickMsg):
            return self._tick(msg.t)
        if isinstance(msg, FinishMsg):
            return self._finish()
        if not isinstance(msg, KeyMsg | MidiMsg | PadMsg | MicAudio):
            raise RoomError(f"'{msg.type}' is not a message for a take")
        hits, out = self.inputs.hits(msg)
        for hit, raw in hits:
            out += self._hit(hit, raw)
        return out

    def _hit(self, hit: Hit, raw: str) -> list[Reply]:
        assert self.inputs is not None
        p, t = self.loop.local(hit.time) if self.loop else (0, hit.time)
        if p not in self.passes and self.done and p <= self.done[-1].pass_:
            log.warning("a hit for pass %d came after that pass was closed", p + 1)
            return []
        rec = self._pass(p)
        rec.hit(replace(hit, time=t), raw)
        played: list[Reply] = []
        if self._echo is not None and hit.player in self._echo:
            # calibrated as the judge calibrates it: what the partner should hear
            at = hit.time - self._echo[hit.player] / 1000 * rec.session.settings.speed
            v = hit.velocity
            played.append(PlayedReply(player=hit.player, t=round(at, 4), piece=hit.piece, v=v))
        if self.loop is not None:  # brings every open pass, this one too, up to the hit
            return played + self._tick(hit.time)
        return played + self._judged(p, rec.update(t))

    def _pass(self, p: int) -> Recorder:
        rec = self.passes.get(p)
        if rec is None:
            assert self._new_session is not None
            rec = self.passes[p] = Recorder(self._new_session(p), self.store)
        return rec

    def _tick(self, u: float) -> list[Reply]:
        self._clock = max(self._clock, u)
        if self.loop is None:
            return self._judged(0, self._pass(0).update(u))
        out: list[Reply] = []
        self._pass(self.loop.pass_of(u))
        for p in sorted(self.passes):
            t = u - p * self.loop.length
            out += self._judged(p, self.passes[p].update(t))
            if u >= self.loop.pass_end(p) + GRACE_MS / 1000:
                out.append(self._close_pass(p))
        return out

    def _close_pass(self, p: int) -> PassReply:
        session = self.passes.pop(p).finish()
        info = PassReply(pass_=p, session=session.id, summary=session.summary)
        self.done.append(info)
        return info

    def _finish(self) -> list[Reply]:
        if self.loop is None:
            rec = self._pass(0)
            # stopped before the end: the notes after the page's clock were never reached
            # (the summary leaves them out); a page that never said its clock, played out
            notes = rec.session.chart.notes
            heard = max([self._clock, *(h.hit.time for h in rec.session.hits)])
            stopped = math.isfinite(heard) and bool(notes) and heard < notes[-1].time
            session = rec.finish(stopped_at=max(0.0, heard) if stopped else None)
            self.passes.clear()
            self._new_session = None
            return [ResultsReply(session=session.id, summary=session.summary)]
        out: list[Reply] = []
        for p in sorted(self.passes):
            # a pass played to its end counts; one stopped half-way stays saved as interrupted
            if self._clock >= self.loop.pass_end(p) - 0.05:
                out.append(self._close_pass(p))
        self.passes.clear()
        self._new_session = None
        last = self.done[-1] if self.done else None
        out.append(
            ResultsReply(
                session=last.session if last else None,
                summary=last.summary if last else {},
                passes=[
                    PassInfo(pass_=d.pass_, session=d.session, summary=d.summary) for d in self.done
                ],
            )
        )
        return out

    def _start(self, msg: StartMsg) -> ReadyReply:
        if self._new_session is not None:
            self._finish()  # a new take ends the one before, saved
        self.done = []
        self._clock = -math.inf
        entry = self.library.get(msg.song)
        chart = self.library.chart(msg.song, msg.level)
        self.inputs = inputs = RoomInputs(
            msg.players,
            speed=msg.speed,
            reference=lambda sr: self.library.reference(msg.song, msg.speed, sr, msg.drums),
            profile=self.library.kit_for,
            parts={p.name: chart.pieces for p in msg.players},
        )
        self.loop = LoopPlan.from_chart(chart, *msg.loop) if msg.loop else None
        if self.loop is not None:
            chart = self.loop.chart
        settings = JudgeSettings(windows=PRESETS[msg.windows], speed=msg.speed, grace_ms=GRACE_MS)
        players = [
            PlayerInfo(p.name, p.input, p.offset_ms, remote_device(msg.remote, p.input))
            for p in msg.players
        ]
        self._echo = None
        if msg.remote is not None:
            self._echo = {p.name: p.offset_ms for p in msg.players if p.input != "remote"}
        song = SongRef(entry.title, str(entry.path), entry.sha256)

        def new_session(p: int) -> Session:
            c = replace(chart, title=f"{chart.title} · pass {p + 1}") if self.loop else chart
            return Session(chart=c, settings=settings, players=players, song=song)

        self._new_session = new_session
        session = self._pass(0).session
        ready = ReadyReply(
            session=session.id,
            players=inputs.names,
            chart=chart.to_dict(),
            keymap=inputs.keymap.to_dict() if inputs.keymap else None,
        )
        if self.loop is not None:
            ready.loop = loop_json(self.loop)
        return ready

    def _judged(self, p: int, judgments: list[Judgment]) -> list[Reply]:
        rec = self.passes.get(p)
        if not judgments or rec is None:
            return []
        items = [judgment_json(j) for j in judgments]
        if self.loop is not None:
            shift = p * self.loop.length
            for item in items:
                item.pass_ = p
                item.t = None if item.t is None else round(item.t + shift, 4)
        return [JudgedReply(items=items, stats=running_stats(rec))]

    def close(self) -> None:
        """The socket went: unfinished takes stay saved as interrupted."""
        self.passes.clear()
        self._new_session = None
