"""``onebeat backends``: list the beat-tracking backends and their licences."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``backends`` command's arguments."""
    p = sub.add_parser("backends", help="list the beat-tracking backends and their licences")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from onebeat.analysis import BACKENDS, DEFAULT_BACKEND

    for name, info in BACKENDS.items():
        mark = " (default)" if name == DEFAULT_BACKEND else ""
        print(
            f"{name}{mark}: {info.description}\n    licence: {info.licence}; "
            f"package: {info.requires}"
        )
    return 0
