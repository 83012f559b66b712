"""An e-kit's pads as the player taught them, over the kit map's notes."""

from __future__ import annotations

import mido
import pytest
from pydantic import ValidationError

from onebeat.kit import DrumPiece
from onebeat.play.protocol import PlayerSpec
from onebeat.play.room import RoomInputs


def piece_of(inputs: RoomInputs, name: str, note: int) -> DrumPiece | None:
    hit = inputs.mappers[name].feed(mido.Message("note_on", channel=9, note=note, velocity=90), 1.0)
    return None if hit is None else hit.piece


def test_taught_pads_play_their_pieces_and_the_rest_keep_the_kit_maps() -> None:
    spec = PlayerSpec.model_validate(
        {"name": "ana", "input": "midi", "pads": {"35": "kick", "36": "kick", "40": "snare"}}
    )
    inputs = RoomInputs([spec, PlayerSpec(name="bo", input="midi")])
    assert piece_of(inputs, "ana", 35) is DrumPiece.KICK  # the double pedal's second note
    assert piece_of(inputs, "ana", 40) is DrumPiece.SNARE  # taught (GM: the electric snare)
    assert piece_of(inputs, "ana", 51) is DrumPiece.RIDE  # not taught: the kit map's
    assert piece_of(inputs, "bo", 35) is DrumPiece.KICK  # GM's acoustic bass drum anyway
    assert inputs.mappers["bo"].kit.name == "gm"  # nothing taught: the map as it is


@pytest.mark.parametrize(
    "pads", [{"128": "kick"}, {"36": "cowbell"}, {"x": "kick"}, {"-1": "snare"}]
)
def test_a_bad_pad_map_is_refused(pads: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        PlayerSpec.model_validate({"name": "ana", "input": "midi", "pads": pads})
