"""The plots, the card and the HTML report: golden images (tolerance-based) from the
fixed example takes, and what the report says. Regenerate the images with
``.venv/bin/python scripts/make_report_examples.py`` after a deliberate change, and look
at them."""

from __future__ import annotations

import base64
import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images
from PIL import Image

from onebeat.insight import plots
from onebeat.insight.render import card_png, report_html
from onebeat.insight.report import build_report
from tests.conftest import ROOT, TESTS
from tests.insight.examples import build

GOLDEN = TESTS / "data" / "golden"
sys.path.insert(0, str(ROOT / "scripts"))
from make_report_examples import golden_figures  # noqa: E402


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return golden_figures(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize(
    "name",
    [
        "offset_histogram",
        "offsets_over_time",
        "asynchrony_over_time",
        "progress_curve",
        "summary_card_duet",
        "summary_card_solo",
    ],
)
def test_plot_matches_its_golden_image(
    name: str, figures: dict[str, bytes], tmp_path: Path
) -> None:
    expected = GOLDEN / f"{name}.png"
    actual = tmp_path / f"{name}.png"
    actual.write_bytes(figures[name])
    # RMS difference over the pixels (0–255): text antialiasing may move a little
    # between FreeType builds; a plot that changed moves far more than 2
    assert compare_images(str(expected), str(actual), tol=2.0) is None


def test_a_changed_plot_fails_its_golden_comparison(
    figures: dict[str, bytes], tmp_path: Path
) -> None:
    """The comparison can fail: the same image with its points moved is far off."""
    img = np.asarray(Image.open(GOLDEN / "asynchrony_over_time.png").convert("RGB")).copy()
    img[60:260, 100:600] = np.roll(img[60:260, 100:600], 12, axis=0)
    Image.fromarray(img).save(tmp_path / "moved.png")
    assert compare_images(
        str(GOLDEN / "asynchrony_over_time.png"), str(tmp_path / "moved.png"), tol=2.0
    )


def test_plots_draw_on_given_axes_and_return_them(tmp_path: Path) -> None:
    duet, _, store = build(tmp_path)
    with store:
        report = build_report(duet, store=store, bootstrap=0)
    fig = Figure(figsize=(8, 6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2).ravel()
    assert plots.offset_histogram(report.takes[0], ax=axes[0]) is axes[0]
    assert plots.offsets_over_time(report.takes[1], ax=axes[1]) is axes[1]
    assert report.pair is not None
    assert plots.asynchrony_over_time(report.pair, ax=axes[2]) is axes[2]
    assert plots.progress_curve(report.progress[0], ax=axes[3]) is axes[3]
    # one step histogram per piece, one scatter per piece (plus misses)
    assert len(axes[0].patches) == len(report.takes[0].pieces)
    # the progress curve: one bar per take (three evenings)
    assert len(axes[3].patches) == 3


def test_card_and_report_say_what_happened(tmp_path: Path) -> None:
    duet, _, store = build(tmp_path)
    with store:
        report = build_report(duet, store=store, bootstrap=40)
    card = Image.open(io.BytesIO(card_png(report)))
    assert card.size == (1200, 630)
    page = report_html(report)
    for text in ("ana &amp; ben", "together", "Who follows whom", "By drum", "By section"):
        assert text in page
    assert "ben followed ana" in page
    assert "dragging the kick" in page  # ben's foot lands 25 ms late
    assert "New personal best" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 1 + 1 + 2 * 3  # card, asynchrony, per player: timing, offsets, progress
    Image.open(io.BytesIO(base64.b64decode(images[0]))).verify()
    d = report.to_dict()
    assert d["pair"]["fit"]["leader"] == 0 and d["pair"]["fit"]["known"]
    assert {p["player"] for p in d["takes"]} == {"ana", "ben"}
    assert d["new_bests"]["ben"] == ["accuracy", "spread", "streak"]
