"""``onebeat play``: the web app, one or two players."""

from __future__ import annotations

import argparse
from pathlib import Path

from onebeat.cli.common import LICENCE_NOTE, kit_profile, web_options
from onebeat.errors import OnebeatError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``play`` command's arguments."""
    p = sub.add_parser(
        "play",
        epilog=LICENCE_NOTE,
        help="play along in the browser, one or two players (a local web app)",
        description="Start onebeat's web app on this machine and open it in the browser. "
        "It listens on localhost only, unless --lan lets phones on the local network join "
        "(with a join code).",
    )
    p.add_argument("song", type=Path, nargs="?", help="a song to add to the library and choose")
    web_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging
    import threading
    import webbrowser

    import uvicorn

    from onebeat.library import Library
    from onebeat.play.protocol import MAX_FRAME_BYTES
    from onebeat.session import data_dir
    from onebeat.web import AppConfig, create_app, lan_address
    from onebeat.web.app import port_problem

    logging.basicConfig(level=logging.WARNING, format="onebeat: %(message)s")
    host = "0.0.0.0" if args.lan else "127.0.0.1"
    problem = port_problem(host, args.port)
    if problem is not None:
        raise OnebeatError(problem)
    config = AppConfig(
        data_dir=data_dir(),
        lan=args.lan,
        lan_host=lan_address() if args.lan else "",
        port=args.port,
        backend=args.backend,
    )
    library = Library(
        config.data_dir,
        backend=args.backend,
        kit_profile=kit_profile(args.kit_profile),
        prepare_drumless=True,  # "the song's drums: none" plays at once
    )
    fragment = ""
    if args.song is not None:
        entry = library.add_path(args.song)
        fragment = f"#{'learn' if getattr(args, 'learn', False) else 'song'}={entry.id}"
        print(f"{entry.title}: analysing in the background (the page shows the progress)")
    url = f"http://127.0.0.1:{args.port}/{fragment}"
    print(f"onebeat is playing at {url}  (Ctrl+C to stop)")
    if args.lan:
        print(f"  phones on this network join at {config.join_url}  (the page shows a QR code)")
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    app = create_app(config, library)
    try:
        uvicorn.run(
            app, host=host, port=args.port, log_level="warning", ws_max_size=MAX_FRAME_BYTES
        )
    finally:
        library.close()
    return 0
