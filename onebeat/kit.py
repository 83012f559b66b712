"""The drum kit's vocabulary: pieces, their General MIDI note numbers, the lanes a
player sees them in (order, label, colour), a drummer's names for them, and the words
for early and late.

Defined once, here: analysis, charts, the judge, the inputs, the video, the terminal
lesson and the statistics use these, and the page reads them from the server
(``GET /api/vocab``), so JavaScript copies none (``tests/test_vocabulary.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "GM_NOTES",
    "HIT_KIT_WORDS",
    "LANES",
    "ON_TIME_MS",
    "DrumPiece",
    "HitKit",
    "Lane",
    "gm_note_to_piece",
    "lean",
    "lean_word",
    "piece_name",
]


class DrumPiece(StrEnum):
    """A piece of a drum kit, as a chart and the judge see it."""

    KICK = "kick"
    SNARE = "snare"
    HIHAT_CLOSED = "hihat_closed"
    HIHAT_OPEN = "hihat_open"
    HIHAT_PEDAL = "hihat_pedal"
    TOM_HIGH = "tom_high"
    TOM_MID = "tom_mid"
    TOM_FLOOR = "tom_floor"
    CRASH = "crash"
    RIDE = "ride"


#: The standard General MIDI note number written for each piece.
GM_NOTES: dict[DrumPiece, int] = {
    DrumPiece.KICK: 36,
    DrumPiece.SNARE: 38,
    DrumPiece.HIHAT_CLOSED: 42,
    DrumPiece.HIHAT_OPEN: 46,
    DrumPiece.HIHAT_PEDAL: 44,
    DrumPiece.TOM_HIGH: 48,
    DrumPiece.TOM_MID: 45,
    DrumPiece.TOM_FLOOR: 43,
    DrumPiece.CRASH: 49,
    DrumPiece.RIDE: 51,
}

# Every GM percussion note a kit plays, folded onto the pieces above.
_GM_TO_PIECE: dict[int, DrumPiece] = {
    35: DrumPiece.KICK,
    36: DrumPiece.KICK,
    37: DrumPiece.SNARE,
    38: DrumPiece.SNARE,
    39: DrumPiece.SNARE,
    40: DrumPiece.SNARE,
    42: DrumPiece.HIHAT_CLOSED,
    44: DrumPiece.HIHAT_PEDAL,
    46: DrumPiece.HIHAT_OPEN,
    41: DrumPiece.TOM_FLOOR,
    43: DrumPiece.TOM_FLOOR,
    45: DrumPiece.TOM_MID,
    47: DrumPiece.TOM_MID,
    48: DrumPiece.TOM_HIGH,
    50: DrumPiece.TOM_HIGH,
    49: DrumPiece.CRASH,
    52: DrumPiece.CRASH,
    55: DrumPiece.CRASH,
    57: DrumPiece.CRASH,
    51: DrumPiece.RIDE,
    53: DrumPiece.RIDE,
    59: DrumPiece.RIDE,
}


def gm_note_to_piece(note: int) -> DrumPiece:
    """The kit piece a General MIDI percussion note plays.

    Raises
    ------
    KeyError
        For a note that is no kit piece (e.g. a cowbell, 56).
    """
    try:
        return _GM_TO_PIECE[note]
    except KeyError:
        raise KeyError(f"MIDI note {note} is not a drum-kit piece in General MIDI") from None


@dataclass(frozen=True)
class Lane:
    """A piece as a player sees it on the highway.

    Attributes
    ----------
    piece : DrumPiece
    label : str
        Under the lane (the page, the exported video).
    short : str
        The terminal's column heading (five characters at most).
    colour : str
        ``#rrggbb``.
    """

    piece: DrumPiece
    label: str
    short: str
    colour: str

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The colour as 0–255 red, green, blue."""
        c = self.colour.lstrip("#")
        return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


#: Lanes left to right as a drummer sees the kit, in the colours drum games use (YARG's
#: and Rock Band's: kick orange, snare red, yellow hi-hat and high tom, blue ride and mid
#: tom, green crash and floor tom; cymbals and drums of one colour told apart by shape).
LANES: tuple[Lane, ...] = (
    Lane(DrumPiece.HIHAT_PEDAL, "HH foot", "HHft", "#b89b00"),
    Lane(DrumPiece.HIHAT_CLOSED, "hi-hat", "hat", "#ffe900"),
    Lane(DrumPiece.HIHAT_OPEN, "open HH", "open", "#fff36b"),
    Lane(DrumPiece.SNARE, "snare", "snare", "#ff1d23"),
    Lane(DrumPiece.KICK, "kick", "kick", "#ff8400"),
    Lane(DrumPiece.TOM_HIGH, "tom 1", "tom1", "#ffe900"),
    Lane(DrumPiece.TOM_MID, "tom 2", "tom2", "#00bfff"),
    Lane(DrumPiece.TOM_FLOOR, "floor", "floor", "#79d304"),
    Lane(DrumPiece.RIDE, "ride", "ride", "#00bfff"),
    Lane(DrumPiece.CRASH, "crash", "crash", "#79d304"),
)

_PIECE_NAMES = {
    DrumPiece.KICK: "kick",
    DrumPiece.SNARE: "snare",
    DrumPiece.HIHAT_CLOSED: "hi-hat",
    DrumPiece.HIHAT_OPEN: "open hi-hat",
    DrumPiece.HIHAT_PEDAL: "hi-hat pedal",
    DrumPiece.TOM_HIGH: "high tom",
    DrumPiece.TOM_MID: "mid tom",
    DrumPiece.TOM_FLOOR: "floor tom",
    DrumPiece.CRASH: "crash",
    DrumPiece.RIDE: "ride",
}


def piece_name(piece: str) -> str:
    """A drummer's name for a piece ("hi-hat" for ``hihat_closed``)."""
    try:
        return _PIECE_NAMES[DrumPiece(piece)]
    except ValueError:
        return piece


#: A mean offset within this of zero reads "on time" everywhere (the CLI, the card, the
#: page); differences under ~6 ms are not heard [ms].
ON_TIME_MS = 3.0


def lean(mean_ms: float) -> str:
    """``late``, ``early`` or ``on time`` for a mean offset [ms]."""
    return "late" if mean_ms > ON_TIME_MS else "early" if mean_ms < -ON_TIME_MS else "on time"


class HitKit(StrEnum):
    """The kit a player's hits sound as on the page: real acoustic drums, sampled
    (``onebeat/data/hitkit``, cut from Emanuel Rumpf's CC BY 3.0 kit by
    ``scripts/make_hit_kit.py``), or onebeat's synthesised kit (the one its exported jams
    play: :mod:`onebeat.audio.drumsynth`)."""

    ACOUSTIC = "acoustic"
    ELECTRONIC = "electronic"


#: The page's words for each :class:`HitKit`.
HIT_KIT_WORDS = {
    HitKit.ACOUSTIC: "a real acoustic kit (sampled)",
    HitKit.ELECTRONIC: "an electronic kit (synthesised)",
}


def lean_word(mean_ms: float) -> str:
    """ "rushing" for a negative mean offset, "dragging" for a positive one."""
    return "rushing" if mean_ms < 0 else "dragging"
