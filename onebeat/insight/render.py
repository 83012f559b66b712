"""A report rendered: one self-contained HTML page (plots inlined as PNG,
:func:`write_html`) and the summary image to share (:func:`write_card`). The plots are
:mod:`onebeat.insight.plots`' (imported when first drawn: matplotlib loads only then)."""

from __future__ import annotations

import base64
import html
import math
import os
from typing import Any

from onebeat._io import atomic_write_bytes, atomic_write_text
from onebeat.insight.advice import take_tips
from onebeat.insight.duet import PairStats
from onebeat.insight.report import Report
from onebeat.insight.stats import AUDIBLE_MS, TakeStats
from onebeat.kit import piece_name

__all__ = ["card_png", "report_html", "write_card", "write_html"]


def card_png(report: Report) -> bytes:
    """The summary card as PNG bytes (1200 × 630)."""
    from onebeat.insight import plots

    return plots.figure_png(plots.summary_card(report))


def write_card(report: Report, path: str | os.PathLike[str]) -> None:
    """The summary card as a PNG file."""
    atomic_write_bytes(path, card_png(report))


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _ms(x: float, sign: bool = True) -> str:
    if not math.isfinite(x):
        return "–"
    return f"{x:+.1f}" if sign else f"{x:.1f}"


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.0f} %"


def _take_html(s: TakeStats, plots_html: str, bests: list[str], second: bool) -> str:
    e = html.escape
    c = s.counts
    rows = "".join(
        f"<tr><td>{e(piece_name(p.piece))}</td><td>{p.notes}</td><td>{_pct(p.hit_rate)}</td>"
        f"<td>{_pct(p.accuracy)}</td><td>{_ms(p.offsets.mean_ms)}</td>"
        f"<td>{_ms(p.offsets.sd_ms, False)}</td></tr>"
        for p in s.pieces
    )
    secs = "".join(
        f"<tr><td>{e(x.label)}</td><td>{x.first_bar}–{x.last_bar}</td><td>{_pct(x.accuracy)}</td>"
        f"<td>{_ms(x.offsets.mean_ms)}</td><td>{_ms(x.offsets.sd_ms, False)}</td>"
        f"<td>{_ms(x.drift_ms_per_bar)}{' ⚠' if x.drifting else ''}</td></tr>"
        for x in s.sections
    )
    worst = "".join(
        f"<li>bars {w.first_bar}–{w.last_bar}: {_pct(w.accuracy)}, {w.missed} missed, "
        f"mean {_ms(w.mean_ms)} ms</li>"
        for w in s.worst
    )
    tips = "".join(f"<li>{e(t)}</li>" for t in take_tips(s))
    best = f'<p class="best">New personal best: {e(", ".join(bests))}!</p>' if bests else ""
    return f"""
<section class="take{" p2" if second else ""}">
<h2>{e(s.player)} <span class="big">{_pct(s.accuracy)}</span></h2>
{best}
<p>Perfect {c["perfect"]} · Great {c["great"]} · Good {c["good"]} · Miss {c["miss"]} ·
extra hits {c["extra"]} · wrong pad {c["wrong_pad"]} — of {s.notes} notes{
        f" (the {s.unplayed} after the take was stopped are left out)" if s.unplayed else ""
    }.
Timing: {_ms(s.offsets.mean_ms)} ms on average (negative: early), spread
{_ms(s.offsets.sd_ms, False)} ms.</p>
<ul class="tips">{tips}</ul>
{plots_html}
<h3>By drum</h3>
<table><tr><th>piece</th><th>notes</th><th>hit</th><th>accuracy</th><th>mean [ms]</th>
<th>spread [ms]</th></tr>{rows}</table>
<h3>By section</h3>
<table><tr><th>section</th><th>bars</th><th>accuracy</th><th>mean [ms]</th><th>spread [ms]</th>
<th>drift [ms/bar]</th></tr>{secs}</table>
<p class="dim">A drift is marked ⚠ when it is three standard errors from zero and adds up to
{AUDIBLE_MS:.0f} ms or more over the section.</p>
{"<h3>Work on</h3><ul>" + worst + "</ul>" if worst else ""}
</section>"""


def _pair_html(p: PairStats, plot: str) -> str:
    e = html.escape
    a, b = p.players
    fit = ""
    if p.fit is not None:
        rows = "".join(
            f"<tr><td>{e(name)}</td><td>{m.alpha:.2f} ± {m.alpha_se:.2f}</td>"
            f"<td>{m.beta:.2f}</td><td>{m.sigma_t_ms:.1f}</td><td>{m.sigma_m_ms:.1f}</td></tr>"
            for name, m in zip(p.players, p.fit.players, strict=True)
        )
        fit = f"""
<h3>Who follows whom</h3>
<table><tr><th>player</th><th>gain toward partner</th><th>gain toward song</th>
<th>timekeeper noise [ms]</th><th>motor noise [ms]</th></tr>{rows}</table>
<p class="dim">Linear phase-correction model (Wing et al. 2014) fitted by bounded GLS
(Jacoby et al. 2015) over {p.fit.players[0].rows} strokes; ± is a parametric bootstrap's
standard error. A gain of 0 ignores the partner; 1 corrects the whole asynchrony at once.</p>"""
    said = "".join(f"<li>{e(t)}</li>" for t in p.sentences)
    return f"""
<section class="pair">
<h2>{e(a)} &amp; {e(b)} <span class="big">{_pct(p.together)} together</span></h2>
<ul class="tips">{said}</ul>
<p>{p.common} of {p.onsets} onsets played by both; asynchrony ({e(a)} − {e(b)})
{_ms(p.mean_ms)} ms on average, spread {_ms(p.sd_ms, False)} ms.</p>
{plot}
{fit}
</section>"""


_CSS = """
body { margin: 0 auto; max-width: 980px; padding: 1.5rem; background: #14161c; color: #eef0f4;
  font: 15px/1.45 system-ui, sans-serif; }
h1 { margin: 0; } h1 span { color: #ffb02e; } .sub { color: #9aa3b2; margin-top: .2rem; }
section { background: #1e222b; border-radius: 10px; padding: 1rem 1.4rem; margin: 1.2rem 0; }
section.take { border-top: 6px solid #ffb02e; } section.take.p2 { border-top-color: #3fc1ff; }
section.pair { border-top: 6px solid #5be37d; }
h2 { margin: .2rem 0 .6rem; } .big { float: right; font-size: 1.6rem; }
h3 { color: #9aa3b2; margin: 1.2rem 0 .4rem; font-size: 1rem; }
img { width: 100%; display: block; margin: .6rem 0; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: .25rem .6rem; border-bottom: 1px solid #323846; }
th:first-child, td:first-child { text-align: left; }
.tips li { margin: .15rem 0; } .dim { color: #9aa3b2; font-size: .9rem; }
.best { color: #5be37d; font-weight: 700; }
"""


def report_html(report: Report) -> str:
    """The report as one self-contained HTML page."""
    from onebeat.insight import plots

    e = html.escape

    def plot(ax: Any, alt: str) -> str:
        return _img(plots.figure_png(ax.figure, dpi=140), alt)

    parts = []
    if report.pair is not None:
        asy = plot(plots.asynchrony_over_time(report.pair), "asynchrony")
        parts.append(_pair_html(report.pair, asy))
    for k, s in enumerate(report.takes):
        imgs = plot(plots.offsets_over_time(s), f"{s.player}: timing")
        imgs += plot(plots.offset_histogram(s), f"{s.player}: offsets")
        for line in report.progress:
            if line.player == s.player and len(line.points) > 1:
                ax = plots.progress_curve(line, mark=report.session.id)
                imgs += plot(ax, f"{s.player}: progress")
        parts.append(_take_html(s, imgs, report.new_bests.get(s.player, []), k % 2 == 1))
    card = _img(card_png(report), "summary card")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>onebeat · {e(report.title)}</title><style>{_CSS}</style></head>
<body>
<h1><span>onebeat</span> · {e(report.title)}</h1>
<p class="sub">{e(report.subtitle)} · session {e(report.session.id[:8])}</p>
{card}
{"".join(parts)}
<p class="dim">Offsets are hit minus note in real milliseconds after each player's latency
calibration: negative is early (rushing), positive late (dragging). Spread is the standard
deviation.</p>
</body></html>
"""


def write_html(report: Report, path: str | os.PathLike[str]) -> None:
    """:func:`report_html` to a file, atomically."""
    atomic_write_text(path, report_html(report))
