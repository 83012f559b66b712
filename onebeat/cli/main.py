"""``onebeat``: the command line.

Each subcommand is its own module (``onebeat/cli/<command>.py``: ``add_parser`` and
``run``), a thin front end over the library; every :class:`OnebeatError` ends the program
with its one-line message and exit code 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from onebeat import __version__
from onebeat.cli import (
    analyze,
    backends,
    chart,
    demo,
    drumless,
    export,
    hear,
    kit,
    learn,
    library,
    play,
    relay,
    replay,
    report,
    score,
    sessions,
    transcribe,
)
from onebeat.cli.common import LICENCE_NOTE, format_summary
from onebeat.errors import OnebeatError

__all__ = ["build_parser", "format_summary", "main"]

#: The commands, in the order ``onebeat --help`` lists them.
COMMANDS = (
    analyze,
    demo,
    chart,
    transcribe,
    drumless,
    score,
    kit,
    hear,
    sessions,
    export,
    report,
    replay,
    library,
    play,
    learn,
    relay,
    backends,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``onebeat`` command's parser: each command adds its own."""
    parser = argparse.ArgumentParser(
        prog="onebeat",
        description="Play drums along to real songs, alone or as a pair.",
        epilog=LICENCE_NOTE,
    )
    parser.add_argument("--version", action="version", version=f"onebeat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``onebeat`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except OnebeatError as exc:
        print(f"onebeat: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("onebeat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `onebeat ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
