"""The drum kit's vocabulary: pieces and their General MIDI note numbers.

Shared by analysis (drum onsets), charts, the judging engine and the inputs, so that a
"snare" means the same everywhere.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["GM_NOTES", "DrumPiece", "gm_note_to_piece"]


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
