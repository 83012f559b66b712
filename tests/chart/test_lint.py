"""The chart linter and the Rock Band difficulty reductions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from onebeat.chart import Chart, Note, generate_chart, lint_chart, reduce_chart
from onebeat.kit import DrumPiece
from tests.analysis.test_songmap import make_songmap
from tests.chart.test_transcribed import drum_analysis

K, S, H, C, T1 = (
    DrumPiece.KICK,
    DrumPiece.SNARE,
    DrumPiece.HIHAT_CLOSED,
    DrumPiece.CRASH,
    DrumPiece.TOM_HIGH,
)


def chart(notes: list[tuple[float, DrumPiece]], bpm: float = 120.0) -> Chart:
    spb = 60.0 / bpm
    beats = np.arange(17) * spb
    return Chart(
        notes=tuple(Note(b * spb, b, p) for b, p in notes),
        beats=beats,
        beat_positions=np.arange(17) % 4 + 1,
        beats_per_bar=4,
    )


def rules(c: Chart, **kw: object) -> set[str]:
    return {f.rule for f in lint_chart(c, **kw) if f.error}  # type: ignore[arg-type]


def test_each_rule_catches_its_problem() -> None:
    assert rules(chart([(0, K), (0, S), (1, S)])) == set()
    assert rules(chart([(0, S), (0, H), (0, C)])) == {"three-hands"}
    # 32nds at 240 BPM: 31 ms between hand strokes
    assert "hand-speed" in rules(chart([(i / 8, S) for i in range(8)], bpm=240))
    # sixteenth kicks at 240 BPM: 62 ms apart
    assert rules(chart([(i / 4, K) for i in range(8)], bpm=240)) == {"kick-speed"}
    assert rules(chart([(0, K), (0, H)]), difficulty="easy") == {"easy-limbs"}
    assert rules(chart([(0, K), (0, S), (0, H)]), difficulty="medium") == {"medium-limbs"}
    fill = [(3 + i / 4, T1) for i in range(4)] + [(3.5, K)]
    assert rules(chart(fill), difficulty="hard") == {"hard-fill-kick"}
    assert rules(chart([(0, K), (4, K)]), duration_s=1.0) == {"off-audio"}


def test_an_empty_bar_between_played_bars_is_a_warning() -> None:
    found = lint_chart(chart([(0, K), (8, K)]))
    assert [(f.rule, f.error, f.beat) for f in found] == [("empty-bar", False, 4.0)]
    assert "bar 2 has no notes" in str(found[0])


def random_drums(
    rng: np.random.Generator, n_beats: int, meter: int
) -> list[tuple[float, str, float]]:
    """A busy random drum part: every class, sixteenths, fills, crashes."""
    hits = []
    classes = ("kick", "snare", "hihat", "hihat_open", "tom", "crash", "ride")
    probs = (0.4, 0.3, 0.6, 0.05, 0.1, 0.03, 0.1)
    for slot in range(n_beats * 4):
        for cls, p in zip(classes, probs, strict=True):
            if rng.random() < p:
                hits.append((slot / 4, cls, float(rng.uniform(0.5, 1.0))))
    return hits


@settings(max_examples=30, deadline=None)
@given(
    bpm=st.floats(60, 200),
    meter=st.sampled_from([3, 4, 6]),
    seed=st.integers(0, 2**16),
)
def test_every_level_and_difficulty_passes_the_linter(bpm: float, meter: int, seed: int) -> None:
    """Generated charts are playable at 60–200 BPM in 3/4, 4/4 and 6/8, at every level,
    and the Rock Band reductions keep their difficulty's rules."""
    rng = np.random.default_rng(seed)
    n_beats = 8 * meter
    spb = 60.0 / bpm
    sm = make_songmap(1.0 + np.arange(n_beats + 1) * spb, meter, 0)
    hits = random_drums(rng, n_beats, meter)
    # the synthetic analysis places onsets at 120 BPM from 1 s: rescale to this tempo
    drums = drum_analysis([(b, c, s) for b, c, s in hits], n_beats=n_beats)
    scaled = {c: 1.0 + (t - 1.0) * (spb / 0.5) for c, t in drums.onsets.times.items()}
    drums.onsets.times.update(scaled)
    charts = [generate_chart(sm, level=lv, drums=drums) for lv in (1, 2, 3, 4, 5)]  # type: ignore[arg-type]
    for c in charts:
        errors = [str(f) for f in lint_chart(c) if f.error]
        assert not errors, (c.level, errors[:3])
    groove, full = charts[3], charts[4]
    for name, part in (("easy", groove), ("medium", groove), ("hard", groove), ("expert", full)):
        reduced = reduce_chart(part, name)
        errors = [str(f) for f in lint_chart(reduced, difficulty=name) if f.error]
        assert not errors, (name, errors[:3])
        assert {(n.beat, n.piece) for n in reduced.notes} <= {(n.beat, n.piece) for n in part.notes}
