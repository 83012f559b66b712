"""Regenerate the golden plot images (tests/data/golden) and, with --docs, the example
report, card and video frame under docs/ from the fixed example takes.

    .venv/bin/python scripts/make_report_examples.py [--docs]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onebeat.insight import plots  # noqa: E402
from onebeat.insight.render import write_card, write_html  # noqa: E402
from onebeat.insight.report import build_report  # noqa: E402
from tests.insight.examples import build  # noqa: E402

GOLDEN = ROOT / "tests" / "data" / "golden"


def golden_figures(tmp: Path) -> dict[str, bytes]:
    """Every golden image by name, as PNG bytes."""
    duet, solo, store = build(tmp)
    with store:
        report = build_report(duet, store=store, bootstrap=40)
        solo_report = build_report(solo)
    ben = report.takes[1]
    line = next(ln for ln in report.progress if ln.player == "ben")
    return {
        "offset_histogram": plots.figure_png(plots.offset_histogram(ben).figure),
        "offsets_over_time": plots.figure_png(plots.offsets_over_time(solo_report.takes[0]).figure),
        "asynchrony_over_time": plots.figure_png(plots.asynchrony_over_time(report.pair).figure),  # type: ignore[arg-type]
        "progress_curve": plots.figure_png(plots.progress_curve(line, mark=duet.id).figure),
        "summary_card_duet": plots.figure_png(plots.summary_card(report)),
        "summary_card_solo": plots.figure_png(plots.summary_card(solo_report)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", action="store_true", help="also write docs/report*.{html,png}")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, png in golden_figures(Path(d)).items():
            (GOLDEN / f"{name}.png").write_bytes(png)
            print(f"wrote {GOLDEN / name}.png")
        if args.docs:
            duet, solo, store = build(Path(d) / "docs")
            with store:
                report = build_report(duet, store=store)
            write_html(report, ROOT / "docs" / "report.html")
            write_card(report, ROOT / "docs" / "report-card.png")
            write_card(build_report(solo), ROOT / "docs" / "report-card-solo.png")
            print("wrote docs/report.html, docs/report-card.png, docs/report-card-solo.png")


if __name__ == "__main__":
    main()
