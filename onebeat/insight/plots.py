"""Plots of a take, a duet and progress, and the summary card: the one module that
imports matplotlib.

Every plot function takes ``ax=None`` (a new figure of its own) or the axes to draw on,
and returns the axes. Figures are made without pyplot (no global state, safe in the web
server's threads) in the app's dark colours, with matplotlib's bundled DejaVu Sans so
that an image looks the same on every machine (the golden-image tests rely on it).
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import MaxNLocator

from onebeat.insight.advice import take_tips
from onebeat.insight.duet import TOGETHER_MS, PairStats
from onebeat.insight.progress import ProgressLine
from onebeat.insight.stats import TakeStats, signed_ms
from onebeat.kit import LANES, lean, piece_name

if TYPE_CHECKING:
    from onebeat.insight.report import Report

__all__ = [
    "asynchrony_over_time",
    "figure_png",
    "offset_histogram",
    "offsets_over_time",
    "progress_curve",
    "summary_card",
]

BG, PANEL, INK, DIM, LINE = "#14161c", "#1e222b", "#eef0f4", "#9aa3b2", "#323846"
PLAYER_COLOURS = ("#ffb02e", "#3fc1ff")
GRADE_COLOURS = {
    "perfect": "#5be37d",
    "great": "#c4e35b",
    "good": "#f0c040",
    "miss": "#ff5a5a",
}
#: Piece colours: the kit's lanes' (:data:`onebeat.kit.LANES`).
PIECE_COLOURS = {lane.piece.value: lane.colour for lane in LANES}
_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10.0,
    "figure.facecolor": BG,
    "axes.facecolor": PANEL,
    "axes.edgecolor": LINE,
    "axes.labelcolor": DIM,
    "axes.titlecolor": INK,
    "axes.titlesize": 11.0,
    "axes.titleweight": "bold",
    "axes.grid": True,
    "grid.color": LINE,
    "grid.linewidth": 0.6,
    "xtick.color": DIM,
    "ytick.color": DIM,
    "text.color": INK,
    "legend.facecolor": PANEL,
    "legend.edgecolor": LINE,
    "legend.labelcolor": INK,
    "legend.fontsize": 8.5,
    "svg.hashsalt": "onebeat",
    "path.simplify": True,
}


#: rcParams are global: plots made in two threads at once (the web app's) take turns.
_LOCK = threading.RLock()


@contextmanager
def style() -> Iterator[None]:
    """The plots' look, for code that draws on its own axes."""
    with _LOCK, matplotlib.rc_context(cast(Any, _STYLE)):
        yield


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 3.2)) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def figure_png(fig: Figure | SubFigure, *, dpi: float | None = None) -> bytes:
    """A figure (or the figure of a subfigure) as PNG bytes, without a software tag so
    that the bytes depend on the picture alone."""
    if isinstance(fig, SubFigure):
        fig = fig.figure
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=dpi, facecolor=fig.get_facecolor(), metadata={"Software": None}
    )
    return buf.getvalue()


def offset_histogram(stats: TakeStats, *, ax: Axes | None = None, window_ms: float = 110.0) -> Axes:
    """Offsets of one player's hits per drum piece (step histograms, 5-ms bins)."""
    with style():
        ax = _axes(ax)
        bins = np.arange(-window_ms, window_ms + 5.0, 5.0)
        for p in stats.pieces:
            x = np.array([r.offset_ms for r in stats.results if r.piece == p.piece])
            x = x[np.isfinite(x)]
            if len(x) == 0:
                continue
            label = (
                f"{piece_name(p.piece)}  {signed_ms(p.offsets.mean_ms)} ± {p.offsets.sd_ms:.0f} ms"
                if p.offsets.n > 1
                else piece_name(p.piece)
            )
            ax.hist(
                np.clip(x, bins[0], bins[-1]),
                bins=bins.tolist(),
                histtype="step",
                linewidth=1.8,
                color=PIECE_COLOURS.get(p.piece, INK),
                label=label,
            )
        ax.axvline(0.0, color=INK, linewidth=0.8)
        ax.set_xlim(bins[0], bins[-1])
        ax.set_xlabel("early  ←  offset [ms]  →  late")
        ax.set_ylabel("hits")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{stats.player}: offsets by piece")
        if ax.get_legend_handles_labels()[0]:  # (a take with no note hit has none)
            ax.legend(loc="upper left", frameon=True)
    return ax


def offsets_over_time(stats: TakeStats, *, ax: Axes | None = None) -> Axes:
    """One player's offsets through the take, the rolling spread around the mean, and
    the bars to work on shaded."""
    with style():
        ax = _axes(ax)
        for p in stats.pieces:
            rs = [r for r in stats.results if r.piece == p.piece and math.isfinite(r.offset_ms)]
            ax.scatter(
                [r.time for r in rs],
                [r.offset_ms for r in rs],
                s=7,
                color=PIECE_COLOURS.get(p.piece, INK),
                alpha=0.75,
                linewidths=0,
                label=piece_name(p.piece),
            )
        misses = [r.time for r in stats.results if not math.isfinite(r.offset_ms)]
        if misses:
            top = 100.0
            ax.scatter(
                misses,
                np.full(len(misses), top),
                marker="x",
                s=14,
                color=GRADE_COLOURS["miss"],
                linewidths=1,
                label="miss",
            )
        sp = stats.spread
        if len(sp.times):
            mean = stats.offsets.mean_ms
            ax.fill_between(
                sp.times,
                mean - sp.sd_ms,
                mean + sp.sd_ms,
                color=PLAYER_COLOURS[0],
                alpha=0.18,
                linewidth=0,
                label="± rolling spread",
            )
        ax.axhline(0.0, color=INK, linewidth=0.8)
        if stats.results:
            times = np.array([r.time for r in stats.results])
            bars = np.array([r.bar for r in stats.results])
            for w in stats.worst:
                inside = times[(bars >= w.first_bar) & (bars <= w.last_bar)]
                if len(inside):
                    ax.axvspan(
                        inside.min(),
                        inside.max(),
                        color=GRADE_COLOURS["miss"],
                        alpha=0.10,
                        linewidth=0,
                    )
        ax.set_ylim(-110, 110)
        ax.set_xlabel("song time [s]")
        ax.set_ylabel("offset [ms]")
        ax.set_title(f"{stats.player}: timing through the take ({sp.verdict})")
        if ax.get_legend_handles_labels()[0]:  # (a take with no note hit has none)
            ax.legend(loc="lower left", ncols=4, frameon=True, markerscale=2)
    return ax


def asynchrony_over_time(pair: PairStats, *, ax: Axes | None = None) -> Axes:
    """Two players' asynchrony on the notes both hit, the ±:data:`TOGETHER_MS` band,
    and its rolling spread."""
    a, b = pair.players
    with style():
        ax = _axes(ax)
        ax.axhspan(
            -TOGETHER_MS,
            TOGETHER_MS,
            color=GRADE_COLOURS["perfect"],
            alpha=0.10,
            linewidth=0,
            label=f"together (±{TOGETHER_MS:.0f} ms)",
        )
        ax.scatter(
            pair.times,
            pair.async_ms,
            s=7,
            color=PLAYER_COLOURS[0],
            alpha=0.7,
            linewidths=0,
            label=f"{a} − {b}",
        )
        c = pair.course
        if len(c.times):
            ax.plot(c.times, c.sd_ms, color=PLAYER_COLOURS[1], linewidth=2, label="rolling spread")
            ax.plot(c.times, -c.sd_ms, color=PLAYER_COLOURS[1], linewidth=2)
        ax.axhline(0.0, color=INK, linewidth=0.8)
        lim = (
            max(60.0, float(np.nanpercentile(np.abs(pair.async_ms), 99)) * 1.1)
            if len(pair.async_ms)
            else 60.0
        )
        ax.set_ylim(-lim, lim)
        ax.set_xlabel("song time [s]")
        ax.set_ylabel(f"← {a} ahead   [ms]   {b} ahead →")
        ax.set_title(f"{a} and {b}: together on {100 * pair.together:.0f} % ({c.verdict})")
        if ax.get_legend_handles_labels()[0]:  # (a take with no note hit has none)
            ax.legend(loc="lower left", ncols=3, frameon=True, markerscale=2)
    return ax


def progress_curve(line: ProgressLine, *, ax: Axes | None = None, mark: str | None = None) -> Axes:
    """A player's takes of a song over days: accuracy (bars) and spread (line, right
    axis); ``mark`` (a session id) is drawn highlighted."""
    with style():
        ax = _axes(ax)
        x = np.arange(len(line.points))
        acc = [100 * p.accuracy for p in line.points]
        colours = [PLAYER_COLOURS[0] if p.session_id == mark else "#5b6478" for p in line.points]
        ax.bar(x, acc, color=colours, width=0.7, label="accuracy [%]")
        ax.set_ylim(0, 100)
        ax.set_ylabel("accuracy [%]")
        right = ax.twinx()
        right.plot(
            x,
            [p.sd_ms for p in line.points],
            color=PLAYER_COLOURS[1],
            marker="o",
            linewidth=2,
            label="spread [ms]",
        )
        right.set_ylabel("spread [ms]", color=PLAYER_COLOURS[1])
        right.tick_params(axis="y", colors=PLAYER_COLOURS[1])
        right.grid(False)
        right.set_ylim(0, max(10.0, max((p.sd_ms for p in line.points), default=10.0) * 1.2))
        days = [p.day[5:] for p in line.points]
        ax.set_xticks(x, [d if k == 0 or d != days[k - 1] else "" for k, d in enumerate(days)])
        ax.set_xlabel("takes (month-day)")
        ax.set_title(f"{line.player}: {line.label}")
    return ax


def _text_panel(fig: Figure, rect: tuple[float, float, float, float], colour: str) -> Axes:
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.add_patch(
        FancyBboxPatch(
            (0, 0),
            1,
            1,
            boxstyle="round,pad=0,rounding_size=0.04",
            facecolor=PANEL,
            edgecolor=colour,
            linewidth=3,
            transform=ax.transAxes,
            mutation_aspect=1,
        )
    )
    return ax


def _card_player(
    fig: Figure, report: Report, k: int, s: TakeStats, width: float, chars: int
) -> None:
    """The summary card's panel of one player: name, accuracy, timing, grades, a tip."""
    colour = PLAYER_COLOURS[k % 2]
    x0 = 0.04 + k * (width + 0.02)
    ax = _text_panel(fig, (x0, 0.46, width, 0.37), colour)
    ax.text(
        0.04,
        0.84,
        s.player,
        fontsize=18,
        fontweight="bold",
        color=colour,
        transform=ax.transAxes,
    )
    acc = 0.0 if math.isnan(s.accuracy) else 100 * s.accuracy
    ax.text(
        0.96,
        0.78,
        f"{acc:.0f} %",
        fontsize=40,
        fontweight="bold",
        ha="right",
        color=INK,
        transform=ax.transAxes,
    )
    if s.offsets.n > 1:
        leaning = lean(s.offsets.mean_ms)
        timing = (
            f"{abs(s.offsets.mean_ms):.0f} ms {leaning} on average, "
            if leaning != "on time"
            else "on time on average, "
        ) + f"±{s.offsets.sd_ms:.0f} ms spread"
    else:
        timing = "no notes hit"
    ax.text(0.04, 0.6, timing, fontsize=12, color=DIM, transform=ax.transAxes)
    total = max(1, s.notes)  # the grades as one stacked bar
    left = 0.04
    for g in ("perfect", "great", "good", "miss"):
        w = 0.92 * s.counts[g] / total
        if w > 0:
            ax.add_patch(
                FancyBboxPatch(
                    (left, 0.42),
                    w,
                    0.1,
                    boxstyle="square,pad=0",
                    facecolor=GRADE_COLOURS[g],
                    edgecolor="none",
                    transform=ax.transAxes,
                )
            )
        left += w
    ax.text(
        0.04,
        0.3,
        "  ".join(f"{g} {s.counts[g]}" for g in ("perfect", "great", "good", "miss")),
        fontsize=10.5,
        color=DIM,
        transform=ax.transAxes,
    )
    tips = take_tips(s)
    if report.new_bests.get(s.player):
        tips = [f"New personal best: {', '.join(report.new_bests[s.player])}!", *tips]
    first = textwrap.shorten(tips[0], chars * 2, placeholder="…") if tips else ""
    ax.text(
        0.04,
        0.17,
        textwrap.fill(first, chars),
        fontsize=11.5,
        color=INK,
        va="center",
        transform=ax.transAxes,
    )


def _card_below(fig: Figure, report: Report) -> None:
    """Below the players: the pair (together score, asynchrony) or the player's timing
    course through the take."""
    ax = _text_panel(fig, (0.04, 0.06, 0.25, 0.36), LINE)
    plot = fig.add_axes((0.34, 0.1, 0.62, 0.3))
    if report.pair is not None:
        p = report.pair
        big, label, note = (
            f"{100 * p.together:.0f} %",
            "together",
            f"within ±{TOGETHER_MS:.0f} ms of each other",
        )
        big_colour = GRADE_COLOURS["perfect"]
        asynchrony_over_time(p, ax=plot)
        said = [x for x in p.sentences[1:] if "ahead" in x]
        if p.gains_known:
            said += [x for x in p.sentences if "gains" in x]
    else:
        s = report.takes[0]
        sp = s.spread
        if math.isfinite(sp.first_ms):
            big, label = f"{sp.first_ms:.0f} → {sp.last_ms:.0f}", "ms spread"
            steady = (
                "steady through the take"
                if round(sp.first_ms) == round(sp.last_ms)
                else "no clear change through the take"
            )
            note = {"improving": "it came together", "loosening": "it loosened"}.get(
                sp.verdict, steady
            )
        else:
            big, label, note = "–", "ms spread", "too few notes to say"
        big_colour = GRADE_COLOURS["perfect"] if sp.verdict == "improving" else INK
        offsets_over_time(s, ax=plot)
        said = [f"{s.player}'s timing through the take: × a miss, shaded the bars to work on."]
    ax.text(
        0.5,
        0.62,
        big,
        fontsize=34 if len(big) > 5 else 40,
        fontweight="bold",
        ha="center",
        color=big_colour,
        transform=ax.transAxes,
    )
    ax.text(0.5, 0.36, label, fontsize=15, ha="center", color=INK, transform=ax.transAxes)
    ax.text(0.5, 0.18, note, fontsize=10, ha="center", color=DIM, transform=ax.transAxes)
    plot.set_title("")
    plot.set_xlabel("")
    legend = plot.get_legend()
    if legend is not None:
        legend.remove()
    line = textwrap.shorten("  ".join(said[:2]), 118, placeholder="…")
    fig.text(0.34, 0.415, line, fontsize=11, color=DIM)


def summary_card(report: Report) -> Figure:
    """The take on one image for sharing (1200 × 630 px, the size link previews use):
    song and players, each player's accuracy, grades, timing and best tip, and for a
    pair the together score and their asynchrony over the take."""
    with style():
        fig = Figure(figsize=(12.0, 6.3), dpi=100)
        FigureCanvasAgg(fig)
        fig.text(0.04, 0.91, "onebeat", fontsize=26, fontweight="bold", color=PLAYER_COLOURS[0])
        fig.text(0.19, 0.915, report.title, fontsize=20, fontweight="bold", color=INK)
        fig.text(0.19, 0.865, report.subtitle, fontsize=12, color=DIM)
        n = len(report.takes)
        width = 0.92 / max(n, 1) - 0.02 * (n > 1)
        chars = int(width * 1200 * 0.9 / 8.6)  # a line of 11.5-pt text in the panel
        for k, s in enumerate(report.takes):
            _card_player(fig, report, k, s, width, chars)
        _card_below(fig, report)
    return fig
