"""``onebeat sessions``: list the saved sessions."""

from __future__ import annotations

import argparse

from onebeat.cli.common import db_option, session_store
from onebeat.session import SessionInfo

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``sessions`` command's arguments."""
    p = sub.add_parser(
        "sessions", help="list the saved sessions, newest first (a lesson on one line)"
    )
    p.add_argument("--limit", type=int, default=20, help="how many lines (default 20)")
    p.add_argument("--lesson", metavar="ID", help="a lesson's passes, first to last")
    db_option(p)
    p.set_defaults(func=run)


def _line(info: SessionInfo) -> str:
    parts = [
        f"{p} {100 * float(info.summary[p]['accuracy']):.0f} %" if p in info.summary else p
        for p in info.players
    ]
    state = "" if info.finished else "  (interrupted)"
    return f"{info.id[:8]}  {info.created[:16]}  {info.title}: {', '.join(parts)}{state}"


def _lesson_line(passes: list[SessionInfo]) -> str:
    """A lesson in one line: when, the song, how many passes, the steps it went through
    and each player's best pass."""
    first, last = passes[-1], passes[0]  # newest first
    assert first.lesson is not None
    song = first.title.split(" · lesson pass")[0]
    steps: list[str] = []
    for p in reversed(passes):
        if p.lesson is not None and (not steps or steps[-1] != p.lesson.step):
            steps.append(p.lesson.step)
    best: dict[str, float] = {}
    for p in passes:
        for name, s in p.summary.items():
            best[name] = max(best.get(name, 0.0), float(s.get("accuracy", 0.0)))
    who = ", ".join(f"{n} best {100 * a:.0f} %" for n, a in best.items())
    return (
        f"lesson {first.lesson.id[:8]}  {last.created[:16]}  {song}: {len(passes)} passes, "
        f"{' → '.join(steps)}" + (f"; {who}" if who else "")
    )


def run(args: argparse.Namespace) -> int:
    with session_store(args) as store:
        if args.lesson:
            for info in store.lesson_passes(args.lesson):
                print(_line(info))
            return 0
        infos = store.list(10 * args.limit)  # a lesson's passes make one line
        if not infos:
            print(f"no sessions in {store.path} yet (onebeat score SONG --take FILE saves one)")
            return 0
        lines: list[str] = []
        lessons: dict[str, list[SessionInfo]] = {}
        for info in infos:
            if info.lesson is None:
                lines.append(_line(info))
            elif info.lesson.id not in lessons:
                lessons[info.lesson.id] = [info]
                lines.append(info.lesson.id)  # its line, once all its passes are in
            else:
                lessons[info.lesson.id].append(info)
        for line in lines[: args.limit]:
            print(_lesson_line(lessons[line]) if line in lessons else line)
        if lessons:
            print("(onebeat sessions --lesson ID lists a lesson's passes)")
    return 0
