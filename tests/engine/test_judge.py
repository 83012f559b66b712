"""The judge: properties that must hold for any chart and any player."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from onebeat.chart import Chart, Dynamic, Note
from onebeat.engine import PRESETS, Grade, Hit, HitOutcome, Judge, JudgeSettings, calibrate
from onebeat.errors import CalibrationError
from onebeat.kit import DrumPiece

PIECES = [DrumPiece.KICK, DrumPiece.SNARE, DrumPiece.HIHAT_CLOSED, DrumPiece.CRASH]


def make_chart(times: list[float], pieces: list[DrumPiece], any_pad: bool = False) -> Chart:
    beats = np.arange(0.0, max(times) + 2.0, 0.5)
    notes = tuple(Note(t, t / 0.5, p) for t, p in zip(times, pieces, strict=True))
    return Chart(notes, beats, np.arange(len(beats)) % 4 + 1, 4, any_pad=any_pad)


@st.composite
def charts(draw: st.DrawFn, min_gap: float = 0.3) -> Chart:
    """Charts whose notes of one piece are at least ``min_gap`` apart (chords allowed)."""
    n = draw(st.integers(1, 40))
    gaps = draw(st.lists(st.floats(min_gap, 1.0), min_size=n, max_size=n))
    times = list(np.round(1.0 + np.cumsum(gaps), 4))
    pieces = draw(st.lists(st.sampled_from(PIECES), min_size=n, max_size=n))
    # a chord: a kick under some notes
    chords = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    extra_t = [
        t for t, c, p in zip(times, chords, pieces, strict=True) if c and p is not DrumPiece.KICK
    ]
    return make_chart(times + extra_t, pieces + [DrumPiece.KICK] * len(extra_t))


def play(judge: Judge, hits: list[Hit], update_times: list[float]) -> list[object]:
    for h in hits:
        judge.push(h)
    out: list[object] = []
    for t in update_times:
        out += judge.update(t)
    out += judge.finish()
    return out


def perfect_hits(chart: Chart, player: str = "a", shift: float = 0.0) -> list[Hit]:
    return [Hit(player, n.time + shift, n.piece, 100) for n in chart.notes]


@settings(max_examples=60, deadline=None)
@given(chart=charts())
def test_a_perfect_player_gets_all_perfect(chart: Chart) -> None:
    judge = Judge(chart, players=["a"])
    play(judge, perfect_hits(chart), [])
    s = judge.stats("a")
    assert s.perfect == len(chart.notes) and s.miss == s.extra == s.wrong_pad == 0
    assert s.accuracy == 1.0 and s.best_streak == len(chart.notes)


def test_the_multiplier_rises_every_ten_in_a_row_to_four_and_a_miss_resets_it() -> None:
    times = [1.0 + 0.4 * k for k in range(50)]
    chart = make_chart(times, [DrumPiece.SNARE] * len(times))
    judge = Judge(chart, players=["a"])
    hits = perfect_hits(chart)
    del hits[45]  # the 46th note missed
    play(judge, hits, [])
    s = judge.stats("a")
    # notes 1-10 at ×1, 11-20 ×2, 21-30 ×3, 31-45 ×4; the miss; 46-50 at ×1 again
    assert s.points == 100 * (10 + 20 + 30 + 15 * 4 + 4)
    assert s.score == 100 * 49 and s.accuracy == pytest.approx(49 / 50)
    assert s.streak == 4 and s.multiplier == 1 and s.best_streak == 45
    assert s.summary()["points"] == s.points


@settings(max_examples=60, deadline=None)
@given(chart=charts(), shift_ms=st.floats(-100.0, 100.0), preset=st.sampled_from(sorted(PRESETS)))
def test_a_constant_shift_is_the_mean_offset_and_grades_follow_the_windows(
    chart: Chart, shift_ms: float, preset: str
) -> None:
    windows = PRESETS[preset]
    # exactly on a window's edge, float rounding of seconds vs ms decides: not a property
    edges = (windows.perfect_ms, windows.great_ms, windows.good_ms)
    assume(all(abs(abs(shift_ms) - e) > 1e-6 for e in edges))
    judge = Judge(chart, players=["a"], settings=JudgeSettings(windows=windows))
    play(judge, perfect_hits(chart, shift=shift_ms / 1000), [])
    s = judge.stats("a")
    grade = windows.grade(shift_ms)
    if grade is Grade.MISS:
        assert s.miss == len(chart.notes) and s.streak == 0 and not s.offsets_ms
    else:
        assert getattr(s, grade.value) == len(chart.notes)
        assert s.mean_offset_ms == pytest.approx(shift_ms, abs=1e-6)
        assert s.sd_offset_ms == pytest.approx(0.0, abs=1e-6)


def test_gaussian_timing_noise_gives_the_proportions_the_windows_predict() -> None:
    rng = np.random.default_rng(5)
    times = list(1.0 + 0.5 * np.arange(4000))
    chart = make_chart(times, [DrumPiece.SNARE] * len(times))
    sigma_ms = 30.0
    hits = [Hit("a", t + rng.normal(0, sigma_ms / 1000), DrumPiece.SNARE) for t in times]
    judge = Judge(chart, players=["a"])
    play(judge, hits, [])
    s = judge.stats("a")
    w = PRESETS["default"]
    cdf = lambda x: math.erf(x / (sigma_ms * math.sqrt(2)))  # noqa: E731  P(|e| <= x)
    expected = {
        "perfect": cdf(w.perfect_ms),
        "great": cdf(w.great_ms) - cdf(w.perfect_ms),
        "good": cdf(w.good_ms) - cdf(w.great_ms),
        "miss": 1 - cdf(w.good_ms),
    }
    n = len(times)
    for name, p in expected.items():
        sd = math.sqrt(p * (1 - p) / n)
        assert getattr(s, name) / n == pytest.approx(p, abs=4 * sd + 1e-3), name
    assert s.sd_offset_ms == pytest.approx(sigma_ms, rel=0.05)


@settings(max_examples=40, deadline=None)
@given(chart=charts(), data=st.data())
def test_replay_is_exact_whatever_the_update_times_and_push_order(
    chart: Chart, data: st.DataObject
) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    hits = []
    for n in chart.notes:
        if rng.random() < 0.8:
            piece = n.piece if rng.random() < 0.9 else PIECES[int(rng.integers(len(PIECES)))]
            hits.append(Hit("a", n.time + rng.normal(0, 0.04), piece, int(rng.integers(1, 128))))
        if rng.random() < 0.1:
            hits.append(Hit("b", n.time + rng.uniform(-0.2, 0.2), n.piece))
    # two strokes at one timestamp (a chord), pushed in either order
    hits.append(Hit("b", chart.notes[0].time, DrumPiece.KICK))
    hits.append(Hit("b", chart.notes[0].time, DrumPiece.SNARE))
    hits.sort(key=lambda h: h.time)

    def run(order: list[Hit], updates: list[float]) -> tuple[list[object], dict[str, object]]:
        judge = Judge(chart, players=["a", "b"])
        out = play(judge, order, updates)
        return out, {p: judge.stats(p).summary() for p in judge.players}

    original = run(hits, [])
    jittered_updates = sorted(rng.uniform(0, chart.notes[-1].time + 1, 30))
    same_time_shuffled = sorted(hits, key=lambda h: (h.time, rng.random()))
    replay = run(same_time_shuffled, jittered_updates)
    assert replay[1] == original[1]
    key = lambda j: (j.time, j.player, str(j.grade), str(j.outcome), j.note_index)  # noqa: E731
    assert sorted(replay[0], key=key) == sorted(original[0], key=key)  # type: ignore[arg-type]


def test_wrong_pad_extra_flam_debounce_and_chords() -> None:
    chart = make_chart(
        [1.0, 1.0, 2.0, 3.0], [DrumPiece.KICK, DrumPiece.CRASH, DrumPiece.SNARE, DrumPiece.SNARE]
    )
    judge = Judge(
        chart, players=["a"], settings=JudgeSettings(velocity_threshold={DrumPiece.SNARE: 20})
    )
    hits = [
        Hit("a", 1.01, DrumPiece.CRASH),  # chord: crash …
        Hit("a", 1.0, DrumPiece.KICK),  # … and kick at once
        Hit("a", 1.5, DrumPiece.SNARE),  # nothing near: extra
        Hit("a", 1.98, DrumPiece.KICK),  # the snare note is near: wrong pad
        Hit("a", 2.0, DrumPiece.SNARE),
        Hit("a", 2.002, DrumPiece.SNARE),  # e-kit double trigger
        Hit("a", 2.02, DrumPiece.SNARE),  # a flam
        Hit("a", 3.0, DrumPiece.SNARE, 10),  # crosstalk under the threshold: ignored …
    ]
    out = play(judge, hits, [])
    outcomes = [j.outcome for j in out if j.outcome is not None]  # type: ignore[attr-defined]
    assert outcomes.count(HitOutcome.NOTE) == 3
    s = judge.stats("a")
    assert (s.perfect, s.extra, s.wrong_pad, s.flam, s.ignored, s.miss) == (3, 1, 1, 1, 2, 1)


def test_bad_input_is_counted_never_raised() -> None:
    chart = make_chart([1.0, 2.0], [DrumPiece.SNARE, DrumPiece.SNARE])
    judge = Judge(chart, players=["a"])
    for h in [
        Hit("a", math.nan, DrumPiece.SNARE),
        Hit("a", 1.0, DrumPiece.SNARE, 500),  # absurd velocity
        Hit("a", 1.0, None),  # a pad that maps to nothing
        Hit("a", -50.0, DrumPiece.SNARE),  # long before the song
        Hit("a", 1e9, DrumPiece.SNARE),  # long after it
    ]:
        judge.push(h)
    judge.update(5.0)
    judge.push(Hit("a", 2.0, DrumPiece.SNARE))  # older than the last update
    judge.finish()
    s = judge.stats("a")
    assert (s.invalid, s.extra, s.miss, s.perfect) == (4, 2, 2, 0)
    with pytest.raises(ValueError, match="player 'z'"):
        judge.push(Hit("z", 1.0, DrumPiece.SNARE))


def test_any_pad_windows_scale_with_speed_and_dynamics() -> None:
    chart = make_chart([1.0, 2.0], [DrumPiece.SNARE, DrumPiece.SNARE], any_pad=True)
    # at half speed a 30 ms song-time error is 60 ms of the player's real time: Great
    judge = Judge(chart, players=["a"], settings=JudgeSettings(speed=0.5))
    play(judge, [Hit("a", 1.03, DrumPiece.KICK), Hit("a", 2.0, DrumPiece.TOM_FLOOR)], [])
    s = judge.stats("a")
    assert (s.great, s.perfect) == (1, 1) and s.offsets_ms[0] == pytest.approx(60.0)
    ghost = Chart(
        (Note(1.0, 2.0, DrumPiece.SNARE, 30, Dynamic.GHOST),), chart.beats, chart.beat_positions, 4
    )
    judge = Judge(ghost, players=["a"])
    out = play(judge, [Hit("a", 1.0, DrumPiece.SNARE, 120)], [])
    assert [j.dynamic_ok for j in out] == [False]  # type: ignore[attr-defined]


def test_calibration_takes_the_median_and_drops_outliers() -> None:
    rng = np.random.default_rng(1)
    clicks = np.arange(20) * 0.75
    taps = clicks + 0.042 + rng.normal(0, 0.008, len(clicks))
    taps[[3, 11]] += 0.2  # two flubs
    cal = calibrate(taps=taps, clicks=clicks)
    assert cal.offset_ms == pytest.approx(42.0, abs=4.0)
    assert cal.dropped == 2 and cal.used == 18
    assert 4.0 < cal.spread_ms < 14.0
    with pytest.raises(CalibrationError, match="3 usable taps of 3"):
        calibrate(taps=taps[:3], clicks=clicks)


def test_a_hit_on_the_window_edge_is_graded_or_left_alone_never_both() -> None:
    chart = make_chart([2.0], [DrumPiece.KICK])
    judge = Judge(chart, players=["a"], settings=JudgeSettings(windows=PRESETS["strict"]))
    play(judge, [Hit("a", 2.0 + 0.084, DrumPiece.KICK)], [])  # 84.00000000000007 ms
    s = judge.stats("a")
    assert (s.miss, s.extra, s.streak, s.offsets_ms) == (1, 1, 0, [])


@settings(max_examples=40, deadline=None)
@given(chart=charts(), data=st.data())
def test_a_remote_partner_is_judged_as_if_beside_you_whatever_their_strokes_delay(
    chart: Chart, data: st.DataObject
) -> None:
    """A remote duet: the partner's strokes come over the internet, late by up to the
    judge's wait for them, while this player's own strokes and the song's clock drive
    the judge on time. The partner's judgments are those of a player beside you."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    wait_ms = 1500.0
    mine = [
        Hit("me", n.time + rng.normal(0, 0.03), n.piece) for n in chart.notes if rng.random() < 0.9
    ]
    theirs = sorted(
        (
            Hit("partner", n.time + rng.normal(0, 0.03), n.piece)
            for n in chart.notes
            if rng.random() < 0.9
        ),
        key=lambda h: h.time,
    )
    delay = data.draw(st.floats(0.0, 1.4))  # one-way path to here [s], under the wait
    jitter = rng.uniform(0, 0.05, len(theirs))

    beside = Judge(chart, players=["me", "partner"])
    play(beside, sorted(mine + theirs, key=lambda h: h.time), [])

    remote = Judge(chart, players=["me", "partner"], waits_ms={"partner": wait_ms})
    # what reaches the judge, in arrival order: my strokes at once, the song's clock every
    # 50 ms, the partner's strokes `delay` (± jitter) after they were played
    events: list[tuple[float, Hit | None]] = [(h.time, h) for h in mine]
    # (in the order they were played: one TCP connection never reorders)
    arrived = np.maximum.accumulate(
        [h.time + delay + j for h, j in zip(theirs, jitter, strict=True)]
    )
    events += [(float(a), h) for h, a in zip(theirs, arrived, strict=True)]
    events += [(t, None) for t in np.arange(0.0, chart.notes[-1].time + 3.0, 0.05)]
    for at, hit in sorted(events, key=lambda e: e[0]):
        if hit is None:
            remote.update(float(at))
        else:
            remote.push(hit)
            remote.update(hit.time)
    remote.finish()
    for p in ("me", "partner"):
        assert remote.stats(p).summary() == beside.stats(p).summary(), p
