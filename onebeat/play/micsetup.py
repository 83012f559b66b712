"""Setting a microphone player up in the page: the latency of their microphone path and
their kit, each learnt from strokes heard outside any take.

The page plays clicks (latency) or asks for one piece after another, "hit the kick 8
times" (kit), and streams the microphone as in a take, but stamped with its audio clock
rather than song time. Each stroke heard goes back as ``heard``; for a latency
calibration the page takes those times as the player's taps (``/api/calibrate`` then
drops the outliers and takes the median, as for any input); for a kit calibration the
strokes heard while a piece is asked for are that piece's examples, and ``kit`` learns
the kit from them (:func:`onebeat.hearing.learn_kit`) and keeps it for the player
(:meth:`Library.save_kit`), to be used in their next take or lesson.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from onebeat.hearing import HitListener, learn_kit
from onebeat.kit import DrumPiece
from onebeat.library import Library
from onebeat.play.protocol import KitMsg, ListenMsg, MicAudio, PlayMessage
from onebeat.play.replies import HeardReply, KitReply, Reply
from onebeat.play.room import RoomError

__all__ = ["MicSetup"]

#: Examples kept per piece (a calibration asks for 8; a keen player's extras are kept
#: up to this).
MAX_PER_PIECE = 24


@dataclass
class _Listening:
    name: str
    piece: DrumPiece | None
    listener: HitListener | None = None
    examples: list[tuple[DrumPiece, np.ndarray]] = field(default_factory=list)


class MicSetup:
    """The page's microphone set-up, driven by ``listen``, ``kit`` and audio frames."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.players: dict[int, _Listening] = {}

    def handle(self, msg: PlayMessage | MicAudio) -> list[Reply]:
        if isinstance(msg, ListenMsg):
            now = self.players.get(msg.player)
            if now is None or now.name != msg.name:
                now = self.players[msg.player] = _Listening(msg.name, msg.piece)
            now.piece = msg.piece
            if msg.piece is None:  # a new set-up (the page starts each so): none kept
                now.examples.clear()
            return []
        if isinstance(msg, KitMsg):
            return [self._learn(msg)]
        if isinstance(msg, MicAudio):
            return self._audio(msg)
        raise RoomError(f"'{msg.type}' is not a message while setting a microphone up")

    def _audio(self, msg: MicAudio) -> list[Reply]:
        who = self.players.get(msg.player)
        if who is None:
            raise RoomError(f"audio frame: player {msg.player} is not being listened to")
        if who.listener is None or who.listener.sr != msg.sr:
            who.listener = HitListener(sr=msg.sr, classify=False)
        out: list[Reply] = []
        for h in who.listener.feed(msg.samples, msg.t):
            if (
                who.piece is not None
                and sum(p is who.piece for p, _ in who.examples) < MAX_PER_PIECE
            ):
                who.examples.append((who.piece, h.features))
            out.append(HeardReply(player=who.name, t=round(h.time, 4), pad=who.piece))
        return out

    def _learn(self, msg: KitMsg) -> KitReply:
        who = self.players.get(msg.player)
        if who is None or who.name != msg.name:
            raise RoomError(f"kit: {msg.name}'s kit was not being listened to")
        profile = learn_kit(who.examples, name=f"{msg.name}'s kit")  # InputError: too few
        self.library.save_kit(msg.name, profile)
        del self.players[msg.player]
        counts = {str(p): profile.labels.count(p) for p in profile.kinds}
        return KitReply(player=msg.name, pieces=counts)

    def close(self) -> None:
        self.players.clear()
