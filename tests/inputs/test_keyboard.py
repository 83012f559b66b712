"""The keyboard as a kit: the default map for one or two players, remapping, files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onebeat.engine import Hit
from onebeat.errors import InputError
from onebeat.inputs import KeyboardInput, KeyMap, open_input
from onebeat.kit import DrumPiece as P


def test_two_players_share_one_keyboard_mirrored() -> None:
    km = KeyMap.default(["ana", "ben"])
    assert km.hit("s", 1.0) == Hit("ana", 1.0, P.HIHAT_CLOSED, 100)
    assert km.hit("L", 1.0) == Hit("ben", 1.0, P.HIHAT_CLOSED, 100)  # case does not matter
    assert km.hit("c", 0.0).piece is km.hit("m", 0.0).piece is P.KICK  # type: ignore[union-attr]
    left = sorted(p.value for k, (pl, p) in km.keys.items() if pl == "ana")
    right = sorted(p.value for k, (pl, p) in km.keys.items() if pl == "ben")
    assert left == right and len(left) == 10  # every piece, on each side
    assert km.hit("z", 0.0) is None
    assert km.players == ["ana", "ben"]


def test_one_player_gets_both_halves_and_three_do_not_fit() -> None:
    km = KeyMap.default(["solo"])
    assert len(km.keys) == 20 and km.players == ["solo"]
    with pytest.raises(InputError, match="one or two players"):
        KeyMap.default(["a", "b", "c"])


def test_remap_save_and_load(tmp_path: Path) -> None:
    km = KeyMap.default(["ana", "ben"]).remap(" ", "ana", P.KICK)
    path = tmp_path / "keys.json"
    km.save(path)
    back = KeyMap.load(path)
    assert back == km
    assert back.hit(" ", 2.0) == Hit("ana", 2.0, P.KICK, 100)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"players": {"ana": {"s": "cowbell"}}}, r"players\.ana\.'s': 'cowbell' is not a piece"),
        (
            {"players": {"ana": {"s": "snare"}, "ben": {"S": "kick"}}},
            r"players\.ben\.'S': key already played by ana",
        ),
        ({"players": {"ana": {"": "snare"}}}, r"a key is a name"),
        ({"keys": {}}, r"needs a 'players' object"),
        ({"players": {"ana": ["s"]}}, r"players\.ana must map keys"),
    ],
)
def test_bad_key_maps_name_the_field(data: object, message: str, tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message):
        KeyMap.load(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not a readable key map"):
        KeyMap.load(path)


def test_keyboard_input_queues_presses() -> None:
    src = open_input("keyboard", keymap=KeyMap.default(["ana", "ben"]))
    assert isinstance(src, KeyboardInput) and src.kind == "keyboard"
    assert src.press("d", 1.0) and src.press("k", 1.01) and not src.press("F12", 1.02)
    assert [(h.player, h.piece) for h in src.poll()] == [("ana", P.SNARE), ("ben", P.SNARE)]
