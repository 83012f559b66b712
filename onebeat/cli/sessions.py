"""``onebeat sessions``: list the saved sessions."""

from __future__ import annotations

import argparse

from onebeat.cli.common import db_option, session_store

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``sessions`` command's arguments."""
    p = sub.add_parser("sessions", help="list the saved sessions, newest first")
    p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with session_store(args) as store:
        infos = store.list(args.limit)
        if not infos:
            print(f"no sessions in {store.path} yet (onebeat score SONG --take FILE saves one)")
            return 0
        for info in infos:
            parts = [
                f"{p} {100 * float(info.summary[p]['accuracy']):.0f} %" if p in info.summary else p
                for p in info.players
            ]
            state = "" if info.finished else "  (interrupted)"
            print(f"{info.id[:8]}  {info.created[:16]}  {info.title}: {', '.join(parts)}{state}")
    return 0
