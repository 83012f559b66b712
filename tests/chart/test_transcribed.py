"""Levels 4 and 5 from transcribed drums: synthetic onsets with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from onebeat.analysis.drums import DRUM_CLASSES, DrumAnalysis, DrumOnsets
from onebeat.chart import generate_chart, lint_chart
from onebeat.chart.transcribed import bar_spans, choose_subdivision
from onebeat.errors import ChartError
from onebeat.kit import DrumPiece
from tests.analysis.test_songmap import make_songmap

BPM = 120.0
SPB = 60.0 / BPM  # seconds per beat
FIRST = 1.0  # the first beat [s]
HAND_PIECES = {DrumPiece.SNARE, DrumPiece.HIHAT_CLOSED, DrumPiece.CRASH}

Hit = tuple[float, str, float]  # (beat position, class, strength)


def drum_analysis(
    hits: list[Hit],
    *,
    n_beats: int,
    jitter_s: float = 0.0,
    seed: int = 0,
    faint: list[Hit] = (),  # type: ignore[assignment]
) -> DrumAnalysis:
    """A DrumAnalysis whose onsets are exactly the given hits (times from beat positions);
    ``faint`` strokes are only in the activations (under the onset threshold)."""
    rng = np.random.default_rng(seed)
    duration = FIRST + (n_beats + 2) * SPB
    act = np.zeros((int(duration * 100) + 1, len(DRUM_CLASSES)), np.float32)
    for beat, cls, s in faint:
        act[round((FIRST + beat * SPB) * 100), DRUM_CLASSES.index(cls)] = s
    times: dict[str, list[float]] = {c: [] for c in DRUM_CLASSES}
    strengths: dict[str, list[float]] = {c: [] for c in DRUM_CLASSES}
    for beat, cls, s in sorted(hits):
        t = FIRST + beat * SPB + (rng.normal(0, jitter_s) if jitter_s else 0.0)
        times[cls].append(t)
        strengths[cls].append(s)
        act[round(t * 100), DRUM_CLASSES.index(cls)] = s
    onsets = DrumOnsets(
        times={c: np.array(v) for c, v in times.items()},
        strengths={c: np.array(v) for c, v in strengths.items()},
        activations=act,
    )
    texture = np.zeros((int(duration * 10) + 1, 25), np.float32)
    return DrumAnalysis(onsets=onsets, texture=texture, duration_s=duration)


def rock_bar(bar: int, *, strength: float = 0.9) -> list[Hit]:
    """Kick on 1, 3 and the "and" of 3; snare on 2 and 4; eighth hats."""
    b = 4 * bar
    hits = [(b + x, "kick", strength) for x in (0, 2, 2.5)]
    hits += [(b + x, "snare", strength) for x in (1, 3)]
    hits += [(b + x / 2, "hihat", strength) for x in range(8)]
    return hits


def songmap(n_beats: int, meter: int = 4) -> object:
    return make_songmap(FIRST + np.arange(n_beats + 1) * SPB, meter, 0)


def by_bar(chart: object, bar: int) -> set[tuple[float, DrumPiece]]:
    return {
        (round(n.beat - 4 * bar, 3), n.piece)
        for n in chart.notes
        if 4 * bar <= n.beat < 4 * bar + 4
    }  # type: ignore[attr-defined]


def expected_rock() -> set[tuple[float, DrumPiece]]:
    return {
        (
            h[0],
            {"kick": DrumPiece.KICK, "snare": DrumPiece.SNARE, "hihat": DrumPiece.HIHAT_CLOSED}[
                h[1]
            ],
        )
        for h in rock_bar(0)
    }


def test_level_4_puts_the_songs_groove_on_the_grid_despite_timing_jitter() -> None:
    hits = [h for bar in range(8) for h in rock_bar(bar)] + [(0.0, "crash", 0.8)]
    drums = drum_analysis(hits, n_beats=32, jitter_s=0.012, seed=3)
    chart = generate_chart(songmap(32), level=4, drums=drums)  # type: ignore[arg-type]
    for bar in range(1, 8):
        assert by_bar(chart, bar) == expected_rock()
    # the song's crash starts its first section, in place of the hat, with the kick
    first = by_bar(chart, 0)
    assert (0.0, DrumPiece.CRASH) in first and (0.0, DrumPiece.HIHAT_CLOSED) not in first
    # a section start where the song plays no crash gets none (none is invented)
    plain = generate_chart(songmap(32), level=4, drums=drum_analysis(hits[:-1], n_beats=32))  # type: ignore[arg-type]
    assert not any(n.piece is DrumPiece.CRASH for n in plain.notes)
    assert by_bar(plain, 0) == expected_rock()
    # every note sits exactly on the song's grid
    for n in chart.notes:
        assert n.beat * 4 == pytest.approx(round(n.beat * 4))
        assert n.time == pytest.approx(FIRST + n.beat * SPB)
    assert not [f for f in lint_chart(chart) if f.error]


def funk_bar(bar: int, *, strength: float = 0.9) -> list[Hit]:
    """A groove unlike level 3's: kick on 1, the "a" of 2 and 4; sixteenth hats."""
    b = 4 * bar
    hits = [(b + x, "kick", strength) for x in (0, 1.75, 3)]
    hits += [(b + x, "snare", strength) for x in (1, 3)]
    hits += [(b + x / 4, "hihat", strength) for x in range(16)]
    return hits


def test_an_unsure_bar_takes_the_songs_own_pattern_before_the_generic_groove() -> None:
    hits = [h for bar in range(8) if bar != 5 for h in funk_bar(bar)]
    hits += [(20 + x / 2, "hihat", 0.3) for x in range(8)]  # bar 5: weak hats, no kick/snare
    chart = generate_chart(songmap(32), level=4, drums=drum_analysis(hits, n_beats=32))  # type: ignore[arg-type]
    assert by_bar(chart, 5) == by_bar(chart, 4) == by_bar(chart, 6)
    assert chart.bar_sources[5] == "pattern"
    assert chart.bar_sources[:5] == ("heard",) * 5
    assert chart.heard_share == pytest.approx(7 / 8)
    assert chart.heard == "88 % of bars from the song's drums"


def test_an_unsure_bar_with_no_sure_bar_of_its_length_gets_the_level_3_groove() -> None:
    hits = [(x / 2, "hihat", 0.3) for x in range(64)]  # weak hats only, no kick or snare
    chart = generate_chart(songmap(32), level=4, drums=drum_analysis(hits, n_beats=32))  # type: ignore[arg-type]
    level3 = generate_chart(songmap(32), level=3)  # type: ignore[arg-type]
    assert by_bar(chart, 5) == by_bar(level3, 5)
    assert set(chart.bar_sources) - {"rest"} == {"groove"}
    assert chart.heard_share == 0.0
    assert chart.heard == "approximate chart: 0 % of bars from the song"


def moments(chart: object) -> set[float]:
    return {n.beat for n in chart.notes}  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(6))
def test_level_5_contains_level_4(seed: int) -> None:
    """Whatever was heard (sure or unsure bars, fills, open hats, rides), every moment
    level 4 plays is played at level 5, and their bars come from the same place."""
    rng = np.random.default_rng(seed)
    hits: list[Hit] = []
    for bar in range(12):
        base = rock_bar(bar, strength=float(rng.uniform(0.3, 0.95)))
        hits += [h for h in base if rng.random() < 0.8]
        for cls in ("tom", "crash", "ride", "hihat_open"):
            hits += [
                (4 * bar + float(x) / 4, cls, float(rng.uniform(0.2, 1.0)))
                for x in rng.choice(16, size=int(rng.integers(0, 4)), replace=False)
            ]
    drums = drum_analysis(hits, n_beats=48)
    l4 = generate_chart(songmap(48), level=4, drums=drums)  # type: ignore[arg-type]
    l5 = generate_chart(songmap(48), level=5, drums=drums)  # type: ignore[arg-type]
    assert l4.bar_sources == l5.bar_sources
    assert moments(l4) <= moments(l5)


def test_the_chart_says_where_its_bars_came_from_through_json() -> None:
    from onebeat.chart import Chart

    hits = [h for bar in range(2, 8) for h in rock_bar(bar)]
    chart = generate_chart(songmap(32), level=4, drums=drum_analysis(hits, n_beats=32))  # type: ignore[arg-type]
    assert chart.bar_sources[:2] == ("rest", "rest")
    data = chart.to_dict()
    assert data["heard"] == "100 % of bars from the song's drums"
    again = Chart.from_dict(data)
    assert again.bar_sources == chart.bar_sources
    data["bar_sources"] = ["heard", "made up"]
    with pytest.raises(ChartError, match="bar_sources"):
        Chart.from_dict(data)
    assert generate_chart(songmap(32), level=3).bar_sources == ()  # type: ignore[arg-type]
    assert generate_chart(songmap(32), level=3).heard == ""  # type: ignore[arg-type]


def test_a_transcription_is_every_stroke_heard_with_nothing_filled_in() -> None:
    from onebeat.chart.transcribed import transcribed_chart

    hits = [h for bar in range(8) if bar != 5 for h in funk_bar(bar)]
    hits += [(20 + x / 2, "hihat", 0.3) for x in range(8)]  # an unsure bar stays as heard
    hits += [(14 + x / 4, "tom", 0.2) for x in range(8)]  # toms, even weak ones
    drums = drum_analysis(hits, n_beats=32)
    chart = transcribed_chart(songmap(32), drums, level=5, as_heard=True)  # type: ignore[arg-type]
    assert by_bar(chart, 5) == {(x / 2, DrumPiece.HIHAT_CLOSED) for x in range(8)}
    assert (
        sum(
            n.piece in (DrumPiece.TOM_HIGH, DrumPiece.TOM_MID, DrumPiece.TOM_FLOOR)
            for n in chart.notes
        )
        == 8
    )
    assert not any(n.piece is DrumPiece.CRASH for n in chart.notes)  # none added
    with pytest.raises(ChartError, match="no drum strokes"):
        transcribed_chart(songmap(32), drum_analysis([], n_beats=32), level=5, as_heard=True)  # type: ignore[arg-type]


def test_bars_where_the_drums_rest_stay_empty_and_a_song_without_drums_gets_level_3() -> None:
    hits = [h for bar in range(2, 8) for h in rock_bar(bar)] + [(8.0, "crash", 0.7)]
    chart = generate_chart(songmap(32), level=4, drums=drum_analysis(hits, n_beats=32))  # type: ignore[arg-type]
    assert min(n.beat for n in chart.notes) == 8.0
    # the drums come in: a section starts there, with the song's crash
    assert (0.0, DrumPiece.CRASH) in by_bar(chart, 2)

    silent = generate_chart(songmap(32), level=5, drums=drum_analysis([], n_beats=32))  # type: ignore[arg-type]
    level3 = generate_chart(songmap(32), level=3)  # type: ignore[arg-type]
    assert {(n.beat, n.piece) for n in silent.notes} == {(n.beat, n.piece) for n in level3.notes}


def fill_song() -> DrumAnalysis:
    hits = [h for bar in range(8) for h in rock_bar(bar) if not (bar == 3 and h[0] >= 14)]
    hits += [(14 + x / 4, "tom", 0.9) for x in range(8)]  # bar 3, beats 3-4: sixteenth toms
    return drum_analysis(hits, n_beats=32)


def test_level_4_plays_a_fill_on_the_snare_and_level_5_plays_it_down_the_toms() -> None:
    sm = songmap(32)
    l4 = generate_chart(sm, level=4, drums=fill_song())  # type: ignore[arg-type]
    l5 = generate_chart(sm, level=5, drums=fill_song())  # type: ignore[arg-type]
    assert by_bar(l4, 2) == expected_rock()
    fill = {(x / 4 + 2, DrumPiece.SNARE) for x in range(8)}
    assert by_bar(l4, 3) == {h for h in expected_rock() if h[0] < 2} | fill
    toms = [
        n
        for n in l5.notes
        if n.piece in (DrumPiece.TOM_HIGH, DrumPiece.TOM_MID, DrumPiece.TOM_FLOOR)
    ]
    assert len(toms) == 8 and all(14 <= n.beat < 16 for n in toms)
    order = [
        (DrumPiece.TOM_HIGH, DrumPiece.TOM_MID, DrumPiece.TOM_FLOOR).index(n.piece) for n in toms
    ]
    assert order == sorted(order) and order[0] == 0 and order[-1] == 2
    # level 4's notes outside the fill are level 5's too (nested levels)
    outside = {(n.beat, n.piece) for n in l4.notes if not 12 <= n.beat < 16}
    assert outside <= {(n.beat, n.piece) for n in l5.notes}
    assert moments(l4) <= moments(l5)
    for chart in (l4, l5):
        assert not [f for f in lint_chart(chart) if f.error]


def test_a_shuffle_is_charted_on_triplets() -> None:
    hits = []
    for bar in range(8):
        b = 4 * bar
        hits += [(b + x, "kick", 0.9) for x in (0, 2)] + [(b + x, "snare", 0.9) for x in (1, 3)]
        hits += [(b + x + f, "ride", 0.9) for x in range(4) for f in (0, 2 / 3)]
    drums = drum_analysis(hits, n_beats=32)
    assert choose_subdivision(FIRST + np.arange(33) * SPB, [drums.onsets.times["ride"]]) == 3
    chart = generate_chart(songmap(32), level=5, drums=drums)  # type: ignore[arg-type]
    rides = sorted(round(n.beat % 1, 3) for n in chart.notes if n.piece is DrumPiece.RIDE)
    assert set(rides) == {0.0, 0.667}


def test_three_hand_moments_are_thinned_to_what_two_hands_play() -> None:
    hits = [h for bar in range(8) for h in rock_bar(bar)]
    hits += [(4 * bar + 1, c, 0.9) for bar in range(8) for c in ("crash", "tom")]
    chart = generate_chart(songmap(32), level=5, drums=drum_analysis(hits, n_beats=32))  # type: ignore[arg-type]
    assert not [f for f in lint_chart(chart) if f.error]
    on_two = [n.piece for n in chart.notes if n.beat == 5.0]
    assert set(on_two) == {DrumPiece.CRASH, DrumPiece.SNARE}  # crash and snare outrank tom and hat


def test_levels_4_and_5_need_the_drums() -> None:
    with pytest.raises(ChartError, match="transcribed drums"):
        generate_chart(songmap(16), level=4)  # type: ignore[arg-type]


def test_bar_spans_with_a_pickup() -> None:
    positions = np.array([3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1])
    assert bar_spans(positions) == [(0, 2), (2, 6), (6, 10), (10, 11)]


def test_a_backbeat_heard_faintly_in_every_bar_is_played_and_a_faint_stray_is_not() -> None:
    """On a real mix the model is unsure of everything: a snare on 2 and 4 under the onset
    threshold in every bar is the song's groove, charted at levels 4 and 5; a faint
    stroke in one bar only, or a bar where the backbeat is not heard at all, gets none."""
    from onebeat.analysis.drums import class_thresholds
    from onebeat.chart.transcribed import GROOVE_WEAK, transcribed_chart

    threshold = class_thresholds()["snare"]
    faint_level = (GROOVE_WEAK + 1) / 2 * threshold  # under the threshold, over the weak
    hits = [h for bar in range(8) for h in rock_bar(bar) if h[1] != "snare"]
    faint = [(4 * bar + x, "snare", faint_level) for bar in range(8) if bar != 6 for x in (1, 3)]
    faint.append((4 * 2 + 1.5, "snare", faint_level))  # a stray, in bar 2 only
    drums = drum_analysis(hits, n_beats=32, faint=faint)
    for level in (4, 5):
        chart = generate_chart(songmap(32), level=level, drums=drums)  # type: ignore[arg-type]
        for bar in range(8):
            snares = {beat for beat, piece in by_bar(chart, bar) if piece is DrumPiece.SNARE}
            assert snares == (set() if bar == 6 else {1.0, 3.0}), (level, bar)
    heard = transcribed_chart(songmap(32), drums, level=5, as_heard=True)  # type: ignore[arg-type]
    assert not any(n.piece is DrumPiece.SNARE for n in heard.notes)  # nothing filled in
    # the same strokes at full strength are heard as they were before
    loud = drum_analysis(hits + [(b, c, 0.9) for b, c, _ in faint], n_beats=32)
    chart = generate_chart(songmap(32), level=4, drums=loud)  # type: ignore[arg-type]
    assert {beat for beat, p in by_bar(chart, 2) if p is DrumPiece.SNARE} == {1.0, 1.5, 3.0}


def test_level_5_keeps_time_on_one_piece_per_phrase() -> None:
    """A few rides heard among a phrase's hi-hats are hi-hats at level 5 (a drummer keeps
    time on one), a phrase played on the ride is ridden; the transcription keeps each
    stroke as heard; open hi-hats stay open on a hi-hat phrase."""
    from onebeat.chart.transcribed import GROOVE_BARS, transcribed_chart

    n_bars = 2 * (GROOVE_BARS + 1) + 4
    hits: list[Hit] = []
    for bar in range(n_bars):
        on_ride = bar >= n_bars - GROOVE_BARS  # the last phrase rides
        for h in rock_bar(bar):
            if h[1] == "hihat":
                ride_here = on_ride or (bar == 1 and h[0] % 1 == 0)  # stray rides in bar 1
                hits.append((h[0], "ride" if ride_here else "hihat", h[2]))
            else:
                hits.append(h)
    hits = [h for h in hits if h[0] != 4 * 3 + 3.5] + [(4 * 3 + 3.5, "hihat_open", 0.9)]
    drums = drum_analysis(hits, n_beats=4 * n_bars)
    l5 = generate_chart(songmap(4 * n_bars), level=5, drums=drums)  # type: ignore[arg-type]
    assert {p for _, p in by_bar(l5, 1)} == {
        DrumPiece.KICK,
        DrumPiece.SNARE,
        DrumPiece.HIHAT_CLOSED,
    }
    assert (3.5, DrumPiece.HIHAT_OPEN) in by_bar(l5, 3)
    assert (0.5, DrumPiece.RIDE) in by_bar(l5, n_bars - 1)
    heard = transcribed_chart(songmap(4 * n_bars), drums, level=5, as_heard=True)  # type: ignore[arg-type]
    assert (0.0, DrumPiece.RIDE) in by_bar(heard, 1)


def test_the_time_keeper_plays_its_phrases_pattern_and_strays_are_left_out() -> None:
    """Eighth hi-hats in every bar, and in one bar a hi-hat heard on a sixteenth that no
    other bar plays (the model hearing a hi-hat in a kick's noise): levels 4 and 5 keep
    the eighths and leave the stray out; an open hi-hat heard once is kept; the
    transcription keeps everything heard."""
    from onebeat.chart.transcribed import transcribed_chart

    hits = [h for bar in range(12) for h in rock_bar(bar)]
    hits.append((4 * 5 + 2.75, "hihat", 0.9))  # the stray, bar 5
    hits = [h for h in hits if h[0] != 4 * 7 + 3.5] + [(4 * 7 + 3.5, "hihat_open", 0.9)]
    drums = drum_analysis(hits, n_beats=48)
    for level in (4, 5):
        chart = generate_chart(songmap(48), level=level, drums=drums)  # type: ignore[arg-type]
        hats = {b for b, p in by_bar(chart, 5) if p is DrumPiece.HIHAT_CLOSED}
        assert hats == {x / 2 for x in range(8)}, level
    l5 = generate_chart(songmap(48), level=5, drums=drums)  # type: ignore[arg-type]
    assert (3.5, DrumPiece.HIHAT_OPEN) in by_bar(l5, 7)
    heard = transcribed_chart(songmap(48), drums, level=5, as_heard=True)  # type: ignore[arg-type]
    assert (2.75, DrumPiece.HIHAT_CLOSED) in by_bar(heard, 5)
