"""``onebeat replay``: judge a saved session again."""

from __future__ import annotations

import argparse
import sys

from onebeat.cli.common import SESSION_HELP, db_option, format_stats, session_store

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``replay`` command's arguments."""
    p = sub.add_parser(
        "replay", help="judge a saved session again and check it gives the same result"
    )
    p.add_argument("session", help=SESSION_HELP)
    db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from onebeat.session import replay, same_judgments

    with session_store(args) as store:
        session = store.load(args.session)
    again = replay(session)
    print(f"session {session.id[:8]}: {session.song.title}, {len(session.hits)} hits")
    for name, st in again.summary().items():
        print(format_stats(name, st))
    if not session.finished:
        print("  the take was interrupted: replayed to the end of the chart")
        return 0
    if same_judgments(again.judgments, session.judgments) and again.summary() == session.summary:
        print(f"  replay   identical: {len(again.judgments)} judgments and every stat")
        return 0
    print("  replay   DIFFERS from the saved judgments", file=sys.stderr)
    return 1
