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

import math
from typing import Any

from onebeat.engine import PRESETS, Hit, JudgeSettings, Judgment
from onebeat.inputs import KIT_MAPS, KeyMap, MidiMapper
from onebeat.session import PlayerInfo, Recorder, Session, SessionStore, SongRef
from onebeat.web.library import Library
from onebeat.web.protocol import FinishMsg, KeyMsg, MidiMsg, PadMsg, StartMsg, TickMsg

__all__ = ["GRACE_MS", "PlayRoom", "RoomError"]

#: How long a Miss waits for hits still on their way from a phone [ms].
GRACE_MS = 150.0


class RoomError(Exception):
    """A message that does not fit the room's state (a hit before ``start``, say)."""


def judgment_json(j: Judgment) -> dict[str, Any]:
    return {
        "player": j.player,
        "t": round(j.time, 4) if math.isfinite(j.time) else None,
        "grade": j.grade.value if j.grade else None,
        "outcome": j.outcome.value if j.outcome else None,
        "note": j.note_index,
        "offset_ms": None if j.offset_ms is None else round(j.offset_ms, 1),
        "dynamic_ok": j.dynamic_ok,
    }


class PlayRoom:
    """A play session driven by WebSocket messages."""

    def __init__(self, library: Library, store: SessionStore) -> None:
        self.library = library
        self.store = store
        self.recorder: Recorder | None = None
        self.keymap: KeyMap | None = None
        self.mappers: dict[str, MidiMapper] = {}
        self.touch: set[str] = set()

    def handle(self, msg: Any) -> list[dict[str, Any]]:
        """Act on one validated message; the replies, in order."""
        if isinstance(msg, StartMsg):
            return [self._start(msg)]
        rec = self.recorder
        if rec is None or rec.session.finished:
            raise RoomError(f"'{msg.type}' before 'start'")
        if isinstance(msg, TickMsg):
            return self._judged(rec.update(msg.t))
        if isinstance(msg, FinishMsg):
            session = rec.finish()
            return [{"type": "results", "session": session.id, "summary": session.summary}]
        hit, raw = self._hit(msg, rec.session.player_names)
        if hit is None:
            return []
        rec.hit(hit, raw)
        return self._judged(rec.update(hit.time))

    def _hit(self, msg: KeyMsg | MidiMsg | PadMsg, names: list[str]) -> tuple[Hit | None, str]:
        if isinstance(msg, KeyMsg):
            if self.keymap is None:
                raise RoomError("no player plays the keyboard")
            return self.keymap.hit(msg.key, msg.t), f"key {msg.key}"
        if msg.player not in names:
            raise RoomError(f"player {msg.player!r} is not in this session")
        if isinstance(msg, MidiMsg):
            mapper = self.mappers.get(msg.player)
            if mapper is None:
                raise RoomError(f"player {msg.player!r} does not play MIDI")
            return mapper.feed_bytes(msg.data, msg.t), "midi " + " ".join(map(str, msg.data))
        if not isinstance(msg, PadMsg):
            raise RoomError(f"'{msg.type}' is not a message for the room")
        if msg.player not in self.touch:
            raise RoomError(f"player {msg.player!r} does not play touch pads")
        return Hit(msg.player, msg.t, msg.pad, msg.v), f"pad {msg.pad or 'any'}"

    def _start(self, msg: StartMsg) -> dict[str, Any]:
        if self.recorder is not None and not self.recorder.session.finished:
            self.recorder.finish()  # a new take ends the one before, saved
        names = [p.name for p in msg.players]
        if len(set(names)) != len(names):
            raise RoomError("players: two players have one name")
        entry = self.library.get(msg.song)
        chart = self.library.chart(msg.song, msg.level)
        keyboard = [p.name for p in msg.players if p.input == "keyboard"]
        self.keymap = KeyMap.default(keyboard) if keyboard else None
        self.mappers = {
            p.name: MidiMapper(p.name, KIT_MAPS[p.kit]) for p in msg.players if p.input == "midi"
        }
        self.touch = {p.name for p in msg.players if p.input == "touch"}
        session = Session(
            chart=chart,
            settings=JudgeSettings(
                windows=PRESETS[msg.windows], speed=msg.speed, grace_ms=GRACE_MS
            ),
            players=[PlayerInfo(p.name, p.input, p.offset_ms, "browser") for p in msg.players],
            song=SongRef(entry.title, str(entry.path), entry.sha256),
        )
        self.recorder = Recorder(session, self.store)
        return {
            "type": "ready",
            "session": session.id,
            "players": names,
            "chart": chart.to_dict(),
            "keymap": self.keymap.to_dict() if self.keymap else None,
        }

    def _judged(self, judgments: list[Judgment]) -> list[dict[str, Any]]:
        if not judgments or self.recorder is None:
            return []
        rec = self.recorder
        stats = {}
        for p in rec.session.player_names:
            s = rec.stats(p)
            stats[p] = {"score": s.score, "streak": s.streak, "accuracy": round(s.accuracy, 4)}
        return [{"type": "judged", "items": [judgment_json(j) for j in judgments], "stats": stats}]

    def close(self) -> None:
        """The socket went: an unfinished take stays saved as interrupted."""
        self.recorder = None
