"""Every name a package exports exists, and the exports are what the docs promise."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "onebeat",
    "onebeat.errors",
    "onebeat.audio",
    "onebeat.analysis",
    "onebeat.kit",
    "onebeat.demo",
    "onebeat.cli",
    "onebeat.chart",
    "onebeat.chart.clonehero",
    "onebeat.engine",
    "onebeat.inputs",
    "onebeat.session",
    "onebeat.insight",
    "onebeat.insight.stats",
    "onebeat.insight.duet",
    "onebeat.insight.progress",
    "onebeat.insight.plots",
    "onebeat.insight.report",
    "onebeat.insight.render",
    "onebeat.insight.advice",
    "onebeat.insight.media",
    "onebeat.simulate.players",
    "onebeat.tutor",
    "onebeat.hearing",
    "onebeat.library",
    "onebeat.play",
    "onebeat.play.replies",
    "onebeat.web",
    "onebeat.relay",
]


def test_only_one_module_imports_matplotlib() -> None:
    """Plots live in onebeat.insight.plots (../shared/DESIGN.md); the rest of the package
    loads without matplotlib."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "onebeat"
    users = sorted(
        str(f.relative_to(root))
        for f in root.rglob("*.py")
        if "import matplotlib" in f.read_text() or "from matplotlib" in f.read_text()
    )
    assert users == ["insight/plots.py"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name: str) -> None:
    mod = importlib.import_module(name)
    assert len(set(mod.__all__)) == len(mod.__all__)
    for attr in mod.__all__:
        assert hasattr(mod, attr), f"{name}.__all__ names {attr}, which is missing"


def test_every_error_is_a_onebeat_error() -> None:
    from onebeat import errors

    for attr in errors.__all__:
        assert issubclass(getattr(errors, attr), errors.OnebeatError)


def test_kit_maps_every_piece_to_a_gm_note_and_back() -> None:
    from onebeat.kit import GM_NOTES, DrumPiece, gm_note_to_piece

    assert set(GM_NOTES) == set(DrumPiece)
    for piece, note in GM_NOTES.items():
        assert gm_note_to_piece(note) is piece
    with pytest.raises(KeyError, match="56 is not a drum-kit piece"):
        gm_note_to_piece(56)
