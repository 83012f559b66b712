"""``onebeat report``: how a take went: HTML report and a card."""

from __future__ import annotations

import argparse
from pathlib import Path

from onebeat.cli.common import SESSION_HELP, db_option, session_store

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``report`` command's arguments."""
    p = sub.add_parser(
        "report", help="how a take went: timing, the pair, progress; HTML report and a card"
    )
    p.add_argument("session", nargs="?", default="latest", help=SESSION_HELP + " (default: latest)")
    p.add_argument(
        "--latest",
        dest="session",
        action="store_const",
        const="latest",
        help="the latest session (the default)",
    )
    p.add_argument("-o", "--output", type=Path, metavar="HTML", help="write the report (HTML)")
    p.add_argument("--card", type=Path, metavar="PNG", help="write the summary card (PNG)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the figures (JSON)")
    db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from onebeat._io import atomic_write_text
    from onebeat.insight.advice import take_tips
    from onebeat.insight.render import write_card, write_html
    from onebeat.insight.report import build_report
    from onebeat.insight.stats import signed_ms

    with session_store(args) as store:
        session = store.load(args.session)
        report = build_report(session, store=store)
    print(f"session {session.id[:8]}: {report.title} · {report.subtitle}")
    if report.pair is not None:
        for line in report.pair.sentences:
            print(f"  together {line}")
    for t in report.takes:
        acc = "–" if t.notes == 0 else f"{100 * t.accuracy:.0f} %"
        timing = (
            f"{signed_ms(t.offsets.mean_ms, 1)} ± {t.offsets.sd_ms:.1f} ms"
            if t.offsets.n
            else "no notes hit"
        )
        print(f"  {t.player:8} {acc}, {timing}")
        if bests := report.new_bests.get(t.player):
            print(f"           new personal best: {', '.join(bests)}")
        for tip in take_tips(t):
            print(f"           {tip}")
    if args.output:
        write_html(report, args.output)
        print(f"  saved    {args.output} (the report, HTML)")
    if args.card:
        write_card(report, args.card)
        print(f"  saved    {args.card} (the summary card, PNG)")
    if args.json:
        atomic_write_text(args.json, json.dumps(report.to_dict(), indent=1) + "\n")
        print(f"  saved    {args.json} (the figures, JSON)")
    return 0
