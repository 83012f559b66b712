"""``onebeat relay``: rooms for remote duets, on a machine both players can reach."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import ssl
from collections.abc import Callable
from pathlib import Path

from onebeat.cli.common import LICENCE_NOTE
from onebeat.errors import OnebeatError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``relay`` command's arguments."""
    p = sub.add_parser(
        "relay",
        epilog=LICENCE_NOTE,
        help="hold rooms for duets over the internet (run it where both players reach it)",
        description="Run a relay for remote duets: players join a room by its code from "
        "their own onebeat page; each hears the song and is judged on their own machine, "
        "and the relay passes their hits (in song time) to each other. It keeps no audio "
        "and nothing beyond a room's life. Put it behind a TLS reverse proxy on the "
        "internet (README), or give it a certificate here.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s; 0.0.0.0 for every interface)",
    )
    p.add_argument("--port", type=int, default=8770, help="port (default: %(default)s)")
    p.add_argument(
        "--instance",
        default="A",
        help="this relay's letter, the first of its room "
        "codes (one per instance behind a load balancer; default: %(default)s)",
    )
    p.add_argument(
        "--max-rooms", type=int, default=5000, help="rooms at once (default: %(default)s)"
    )
    p.add_argument(
        "--joins-per-min",
        type=float,
        default=10.0,
        help="room joins and creations a minute per client address (default: %(default)s; "
        "behind a reverse proxy, the address it forwards)",
    )
    p.add_argument(
        "--ssl-certfile", type=Path, help="TLS certificate (PEM), to serve wss:// itself"
    )
    p.add_argument("--ssl-keyfile", type=Path, help="its private key (PEM)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from onebeat.relay import RelayConfig, create_relay
    from onebeat.web.app import port_problem

    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        raise OnebeatError("--ssl-certfile and --ssl-keyfile go together")
    for f in (args.ssl_certfile, args.ssl_keyfile):
        if f is not None and not f.is_file():
            raise OnebeatError(f"{f}: no such file")
    try:
        config = RelayConfig(
            instance=args.instance.upper(),
            max_rooms=args.max_rooms,
            joins_per_min=args.joins_per_min,
            join_burst=max(10.0, args.joins_per_min / 6),
        )
    except ValueError as exc:
        raise OnebeatError(f"--instance: {exc}") from None
    problem = port_problem(args.host, args.port)
    if problem is not None:
        raise OnebeatError(problem)
    context = None
    if args.ssl_certfile is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(args.ssl_certfile, args.ssl_keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise OnebeatError(f"{args.ssl_certfile}: not a certificate and key ({exc})") from None
    logging.basicConfig(level=logging.WARNING, format="onebeat relay: %(message)s")
    scheme = "wss" if args.ssl_certfile else "ws"
    print(
        f"onebeat relay (instance {config.instance}) at {scheme}://{args.host}:{args.port}/ws/relay"
        "  (Ctrl+C to stop)"
    )
    app = create_relay(config)

    async def serve() -> None:
        # what the imports made lives as long as the process: kept out of the collector's
        # full passes, which would otherwise walk it among the rooms' objects (a pass
        # stops every room's hits; at 500 rooms 110 -> 55 ms, bench/relay_load.py)
        gc.freeze()
        # and the young objects collected every 10,000 made rather than 700 (each hit
        # makes a few): fewer collections, and fewer of the full passes they lead to
        gc.set_threshold(10_000, 10, 10)
        server = await app.serve(args.host, args.port, ssl_context=context)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl+C, and systemd's stop
            with contextlib.suppress(NotImplementedError):  # (not on Windows' loop)
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.close()
        await app.close()  # every player is told the relay went, their rooms closed
        await server.wait_closed()

    factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    with contextlib.suppress(ImportError):  # the relay extra's faster event loop
        import uvloop

        factory = uvloop.new_event_loop
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve())
    return 0
