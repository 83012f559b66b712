"""``onebeat library``: the web app's song list, filled from folders at once."""

from __future__ import annotations

import argparse
from pathlib import Path

from onebeat.cli.analyze import analyze_folders, batch_options
from onebeat.cli.common import analysis_options

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``library`` command's arguments."""
    p = sub.add_parser(
        "library",
        help="add every song under folders to the play-along app's song list (analysed "
        "on all cores first), or list it",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="analyse every song under the folders (beats, bars, drums; cached, a batch "
        "stopped half-way goes on where it stopped) and add them to the song list",
    )
    add.add_argument("folders", type=Path, nargs="+", metavar="DIR", help="folders or songs")
    batch_options(add)
    analysis_options(add)
    actions.add_parser("list", help="the songs in the list")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from onebeat.library import Library
    from onebeat.session.store import data_dir

    if args.action == "list":
        library = Library(data_dir())
        try:
            for entry in library.songs():
                print(f"{entry.id}  {entry.title}  ({entry.path})")
        finally:
            library.close()
        return 0
    missing = [f for f in args.folders if not f.exists()]
    if missing:
        print(f"{missing[0]}: no such folder or file")
        return 1
    results = analyze_folders(args.folders, args)
    ok = [r.path for r in results if r.ok]
    if ok:
        library = Library(data_dir(), backend=args.backend)
        try:
            _, new = library.add_paths(ok)
        finally:
            library.close()
        print(
            f"{new} added to the song list ({len(ok) - new} already in it): "
            "`onebeat play` lists them"
        )
    return 1 if not results or len(ok) < len(results) else 0
