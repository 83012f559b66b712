"""One vocabulary (issue 24): the kit's lanes, a drummer's names for the pieces, the
levels, the e-kits and the keyboard's hints are each defined once in Python; the page
reads them from the server and no other file carries a copy."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from onebeat.chart import LEVEL_HINTS, LEVEL_NAMES
from onebeat.inputs import KIT_MAPS
from onebeat.kit import LANES, DrumPiece, piece_name

ROOT = Path(__file__).resolve().parent.parent / "onebeat"
#: Where each kind of word is defined.
HOMES = {
    "lanes": ROOT / "kit.py",
    "levels": ROOT / "chart" / "generate.py",
    "kits": ROOT / "inputs" / "midi.py",
}


def _words() -> dict[str, list[str]]:
    return {
        "lanes": [lane.colour for lane in LANES]
        + [lane.label for lane in LANES if " " in lane.label],
        "levels": [*LEVEL_NAMES.values(), *LEVEL_HINTS.values()],
        "kits": [k.title for k in KIT_MAPS.values()],
    }


def _sources() -> list[Path]:
    files = [*ROOT.rglob("*.py"), *ROOT.rglob("*.js"), *ROOT.rglob("*.html")]
    return [f for f in files if f.is_file()]


#: A file holding this many words of one kind holds a copy of the list (a word or two may
#: be there by chance: "full" is a word; the miss colour is the snare's, the second
#: player's the high tom's).
COPY = {"lanes": 3, "levels": 2, "kits": 2}


def _copies() -> list[str]:
    copies = []
    for kind, words in _words().items():
        for f in _sources():
            if f == HOMES[kind]:
                continue
            text = f.read_text(encoding="utf-8").lower()
            found = [w for w in words if f'"{w.lower()}"' in text]
            if len(found) >= COPY[kind]:
                copies.append(f"{f.relative_to(ROOT)}: {', '.join(found)}")
    return copies


def test_each_word_is_defined_once() -> None:
    assert _copies() == []


def test_a_copy_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "page.js").write_text('const LEVELS = {1: ["tap the beat", "x"], 2: ["backbeat"]};')
    assert _copies() == ["page.js: tap the beat, backbeat"]


def test_every_piece_has_a_lane_and_a_name() -> None:
    assert [lane.piece for lane in LANES].count(DrumPiece.SNARE) == 1
    assert {lane.piece for lane in LANES} == set(DrumPiece)
    assert piece_name("hihat_closed") == "hi-hat" and piece_name("cowbell") == "cowbell"


def test_the_page_gets_the_vocabulary_from_the_server(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from onebeat.web import AppConfig, create_app

    app = create_app(AppConfig(data_dir=tmp_path))
    with TestClient(app, base_url="http://localhost", client=("127.0.0.1", 50000)) as c:
        vocab = c.get("/api/vocab").json()
    assert vocab["lanes"][0] == [LANES[0].piece.value, LANES[0].label, LANES[0].colour]
    assert vocab["levels"]["1"] == [LEVEL_NAMES[1], LEVEL_HINTS[1]]
    assert ["roland", KIT_MAPS["roland"].title] in vocab["kits"]
    assert vocab["keys"]["left"]["s"] == "hihat_closed"
    assert vocab["lean"]["late"] == "late (dragging)"
    assert next(iter(vocab["hit_kits"].items())) == ("acoustic", "a real acoustic kit (sampled)")
