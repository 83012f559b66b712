"""The computer keyboard as a drum kit, for one player or two sharing one keyboard.

The default map gives each player half of the keyboard, laid out like a kit seen from
the stool and mirrored between the halves, so two people side by side each keep their
hands at home (left player around S D F, right player around J K L)::

    piece          left player   right player
    hi-hat            s              l
    open hi-hat       w              o
    snare             d              k
    high tom          f              j
    mid tom           g              h
    floor tom         v              n
    kick              c              m
    hi-hat pedal      x              ,
    crash             q              p
    ride              e              i

One player alone gets both halves. Keys are named as a browser's ``KeyboardEvent.key``
names them, lower-cased (``" "`` is the space bar). A map is saved and loaded as JSON:
``{"players": {"ana": {"s": "hihat_closed", ...}, "ben": {...}}}``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from onebeat._io import atomic_write_text, read_json
from onebeat.engine import Hit
from onebeat.errors import InputError
from onebeat.inputs.base import InputSource, register
from onebeat.kit import DrumPiece

__all__ = ["DEFAULT_HALVES", "KEYBOARD_VELOCITY", "KeyMap", "KeyboardInput"]

#: Keyboards send no velocity: every key stroke is this loud.
KEYBOARD_VELOCITY = 100

_LEFT = {
    "s": DrumPiece.HIHAT_CLOSED,
    "w": DrumPiece.HIHAT_OPEN,
    "d": DrumPiece.SNARE,
    "f": DrumPiece.TOM_HIGH,
    "g": DrumPiece.TOM_MID,
    "v": DrumPiece.TOM_FLOOR,
    "c": DrumPiece.KICK,
    "x": DrumPiece.HIHAT_PEDAL,
    "q": DrumPiece.CRASH,
    "e": DrumPiece.RIDE,
}
_RIGHT = {
    "l": DrumPiece.HIHAT_CLOSED,
    "o": DrumPiece.HIHAT_OPEN,
    "k": DrumPiece.SNARE,
    "j": DrumPiece.TOM_HIGH,
    "h": DrumPiece.TOM_MID,
    "n": DrumPiece.TOM_FLOOR,
    "m": DrumPiece.KICK,
    ",": DrumPiece.HIHAT_PEDAL,
    "p": DrumPiece.CRASH,
    "i": DrumPiece.RIDE,
}

#: The default map's two halves: a player alone plays both, a pair one each.
DEFAULT_HALVES: dict[str, dict[str, DrumPiece]] = {"left": _LEFT, "right": _RIGHT}


@dataclass(frozen=True)
class KeyMap:
    """Key → (player, piece).

    Attributes
    ----------
    keys : mapping of str to (str, DrumPiece)
    """

    keys: Mapping[str, tuple[str, DrumPiece]]

    @classmethod
    def default(cls, players: Sequence[str]) -> KeyMap:
        """The default map: one player gets both halves, two get one half each."""
        if len(players) == 1:
            return cls({k: (players[0], p) for k, p in {**_LEFT, **_RIGHT}.items()})
        if len(players) == 2:
            left = {k: (players[0], p) for k, p in _LEFT.items()}
            right = {k: (players[1], p) for k, p in _RIGHT.items()}
            return cls({**left, **right})
        raise InputError(f"the keyboard has room for one or two players, not {len(players)}")

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "key map") -> KeyMap:
        """A map from its JSON form; an :class:`InputError` names the bad field."""
        players = data.get("players") if isinstance(data, dict) else None
        if not isinstance(players, dict) or not players:
            raise InputError(f"{source}: needs a 'players' object of player → key → piece")
        keys: dict[str, tuple[str, DrumPiece]] = {}
        for player, table in players.items():
            if not isinstance(table, dict):
                raise InputError(f"{source}: players.{player} must map keys to pieces")
            for key, piece in table.items():
                where = f"{source}: players.{player}.{key!r}"
                if not isinstance(key, str) or not key or len(key) > 20:
                    raise InputError(f"{where}: a key is a name of 1–20 characters")
                try:
                    drum = DrumPiece(piece)
                except ValueError:
                    known = ", ".join(p.value for p in DrumPiece)
                    raise InputError(f"{where}: {piece!r} is not a piece ({known})") from None
                k = key.lower()
                if k in keys:
                    raise InputError(f"{where}: key already played by {keys[k][0]}")
                keys[k] = (str(player), drum)
        return cls(keys)

    def to_dict(self) -> dict[str, Any]:
        players: dict[str, dict[str, str]] = {}
        for key, (player, piece) in self.keys.items():
            players.setdefault(player, {})[key] = piece.value
        return {"players": players}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KeyMap:
        p = Path(path)
        return cls.from_dict(read_json(p, InputError, "key map"), source=str(p))

    def save(self, path: str | os.PathLike[str]) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    def remap(self, key: str, player: str, piece: DrumPiece) -> KeyMap:
        """A copy with ``key`` playing ``piece`` for ``player`` (taken from whoever had it)."""
        keys = dict(self.keys)
        keys[key.lower()] = (player, piece)
        return KeyMap(keys)

    @property
    def players(self) -> list[str]:
        return list(dict.fromkeys(p for p, _ in self.keys.values()))

    def hit(self, key: str, time: float) -> Hit | None:
        """The hit a key press makes at song time ``time``, or None for an unmapped key."""
        found = self.keys.get(key.lower())
        if found is None:
            return None
        return Hit(found[0], time, found[1], KEYBOARD_VELOCITY)


@register("keyboard")
class KeyboardInput(InputSource):
    """Key presses from a browser page or a terminal, for the players of a key map.

    Whoever sees the key (the web server, the terminal loop) calls :meth:`press` with
    the key's name and its song time.
    """

    kind: ClassVar[str] = "keyboard"

    def __init__(self, *, keymap: KeyMap) -> None:
        super().__init__()
        self.keymap = keymap

    def press(self, key: str, time: float) -> bool:
        """Queue the hit of a key press; False for a key that plays nothing."""
        hit = self.keymap.hit(key, time)
        if hit is None:
            return False
        self.emit(hit)
        return True
