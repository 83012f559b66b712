"""Take statistics on model players with a known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from onebeat.insight import take_stats
from onebeat.insight.advice import take_tips
from onebeat.kit import DrumPiece
from onebeat.simulate.players import ModelPlayer, groove_chart, model_offsets, play_chart


def take(player: ModelPlayer, *, bars: int = 64, seed: int = 0, offsets: np.ndarray | None = None):
    chart = groove_chart(bars)
    offs = model_offsets(chart, player, np.random.default_rng(seed)) if offsets is None else offsets
    return play_chart(chart, {player.name: offs}), offs


@pytest.mark.parametrize("seed", range(5))
def test_a_player_20_ms_late_with_15_ms_spread_is_reported_so(seed: int) -> None:
    session, _ = take(ModelPlayer("ana", 20.0, 15.0), seed=seed)
    s = take_stats(session, "ana")
    assert s.notes == 768 and s.offsets.n == 768
    assert s.offsets.mean_ms == pytest.approx(20.0, abs=2.0)
    assert s.offsets.sd_ms == pytest.approx(15.0, abs=2.0)
    assert s.spread.verdict == "steady"
    assert s.counts["miss"] == 0 and s.hit_rate == 1.0
    tips = take_tips(s)
    assert tips == ["You are dragging the snare by ~21 ms."] or "dragging" in tips[0]


def test_grades_and_accuracy_match_the_windows() -> None:
    chart = groove_chart(4)
    offs = np.zeros(len(chart.notes))
    offs[:4] = [10.0, 50.0, 90.0, np.nan]  # Perfect, Great, Good, Miss (default 40/75/110)
    s = take_stats(play_chart(chart, {"ana": offs}), "ana")
    assert s.counts["perfect"] == len(offs) - 3 and s.counts["great"] == 1
    assert s.counts["good"] == 1 and s.counts["miss"] == 1
    assert s.accuracy == pytest.approx((100 * (len(offs) - 3) + 70 + 40) / (100 * len(offs)))


def test_per_piece_leans_and_misses_are_told_apart() -> None:
    lean = {DrumPiece.KICK: 35.0, DrumPiece.SNARE: -30.0}
    session, _ = take(ModelPlayer("ben", 0.0, 8.0, lean_ms=lean), seed=1)
    s = take_stats(session, "ben")
    by = {p.piece: p for p in s.pieces}
    assert by["kick"].offsets.mean_ms == pytest.approx(35.0, abs=2.0)
    assert by["snare"].offsets.mean_ms == pytest.approx(-30.0, abs=2.0)
    assert by["hihat_closed"].offsets.mean_ms == pytest.approx(0.0, abs=2.0)
    assert take_tips(s)[0] == "You are dragging the kick by ~35 ms."

    chart = groove_chart(16)
    offs = np.zeros(len(chart.notes))
    kicks = [i for i, n in enumerate(chart.notes) if n.piece is DrumPiece.KICK]
    offs[kicks[::2]] = np.nan  # every other kick missing
    s = take_stats(play_chart(chart, {"ben": offs}), "ben")
    assert {p.piece: p.hit_rate for p in s.pieces}["kick"] == 0.5
    assert "The kick is missing: 50 % of its notes." in take_tips(s)


def test_the_bars_where_it_went_wrong_are_named() -> None:
    chart = groove_chart(32)
    offs = np.random.default_rng(2).normal(0.0, 10.0, len(chart.notes))
    bars = np.array([int(n.beat) // 4 + 1 for n in chart.notes])  # bar 1 is the count-in
    offs[(bars >= 17) & (bars <= 20)] = np.where(
        np.arange(((bars >= 17) & (bars <= 20)).sum()) % 2, np.nan, 60.0
    )
    s = take_stats(play_chart(chart, {"cy": offs}), "cy")
    assert (s.worst[0].first_bar, s.worst[0].last_bar) == (17, 20)
    assert s.worst[0].missed == 24 and s.worst[0].accuracy < 0.5
    assert "Work on bars 17–20" in " ".join(take_tips(s))


def test_improving_spread_shows_as_improving() -> None:
    for seed in range(5):
        session, _ = take(ModelPlayer("dee", 0.0, 40.0, sd_end_ms=15.0), bars=48, seed=seed)
        s = take_stats(session, "dee")
        assert s.spread.verdict == "improving"
        assert s.spread.first_ms == pytest.approx(36.0, abs=6.0)  # the first quarter's mean spread
        assert s.spread.last_ms == pytest.approx(19.0, abs=4.0)
        assert s.spread.sd_ms[0] > 2 * s.spread.sd_ms[-1]
        assert any("came together" in t for t in take_tips(s))
    session, _ = take(ModelPlayer("dee", 0.0, 15.0, sd_end_ms=40.0), bars=48)
    assert take_stats(session, "dee").spread.verdict == "loosening"


def test_speeding_up_in_a_section_is_found() -> None:
    chart = groove_chart(32, section_bars=8)
    rng = np.random.default_rng(3)
    offs = rng.normal(0.0, 8.0, len(chart.notes))
    beat = np.array([n.beat for n in chart.notes])
    in_third = (beat >= 4 + 64) & (beat < 4 + 96)  # section 3: bars 18–25 (bar 1 count-in)
    offs[in_third] -= 4.0 * (beat[in_third] - 68) / 4  # 4 ms earlier every bar
    s = take_stats(play_chart(chart, {"eve": offs}), "eve")
    third = s.sections[2]
    assert (third.label, third.first_bar, third.last_bar) == ("section 3", 18, 25)
    assert third.drifting and third.drift_se < 0.4
    assert third.drift_ms_per_bar == pytest.approx(-4.0, abs=3 * third.drift_se)
    assert third.tempo_pct == pytest.approx(4.0 / 2000.0 * 100, rel=0.25)  # a 2-s bar
    assert [x.drifting for x in s.sections] == [False, False, True, False]
    assert any("speeding up" in t and "section 3" in t for t in take_tips(s))


def test_no_notes_hit_and_unknown_players() -> None:
    chart = groove_chart(4)
    session = play_chart(chart, {"zed": np.full(len(chart.notes), np.nan)})
    s = take_stats(session, "zed")
    assert s.offsets.n == 0 and math.isnan(s.offsets.mean_ms) and s.accuracy == 0.0
    assert s.to_dict()["offsets"]["mean_ms"] is None
    assert take_tips(s)[0].startswith("No notes were hit")
    with pytest.raises(ValueError, match="did not play"):
        take_stats(session, "nobody")


def test_a_take_stopped_early_is_judged_on_what_was_played() -> None:
    chart = groove_chart(16)
    offs = np.random.default_rng(6).normal(0.0, 10.0, len(chart.notes))
    offs[[k for k, n in enumerate(chart.notes) if n.time > 20.0]] = np.nan  # stopped at 20 s
    s = take_stats(play_chart(chart, {"ana": offs}), "ana")
    played = sum(1 for n in chart.notes if n.time <= 20.0 + 0.110)
    assert s.notes == played and s.unplayed == len(chart.notes) - played
    assert s.counts["miss"] == 0 and s.hit_rate == 1.0
    assert s.worst == [] and not any("Work on" in t for t in take_tips(s))
