"""The embedded Toxiproxy-compatible server: ``python -m chaos.toxiproxy.server``.

taskchaos injects network faults on Redis connections through a Toxiproxy API. This process is
the embedded flavour of that API (``select.py`` picks a real Toxiproxy instead when there is
one): the HTTP API (``api.py`` on ``httpwire.py``), the proxies (``collection.py``,
``proxy.py``), the connections and their toxics (``connection.py``, ``link.py``, ``toxics/``).

Command line (the real ``toxiproxy-server`` flags, single or double dash)::

    python -m chaos.toxiproxy.server --host 127.0.0.1 --port 8474 [--config proxies.json] [--seed N]

With ``--port 0`` the system picks a free port. Once the API listens, one line goes to stdout
(flushed) — ``toxiproxy listening on 127.0.0.1:PORT`` — which ``process.py`` waits for.
SIGTERM or SIGINT: stop taking API requests, close every proxy and connection, exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import signal
import sys
from pathlib import Path

from .api import API_VERSION, ToxiproxyApi
from .collection import ProxyCollection
from .httpwire import HttpServer
from .netaddr import AddressError, bind_listener, format_addr
from .proxy import resolve_listen

__all__ = ["ToxiproxyServer", "main", "READY_LINE_PREFIX"]

log = logging.getLogger("chaos.toxiproxy")

READY_LINE_PREFIX = "toxiproxy listening on "


class ToxiproxyServer:
    """The API server and its proxies, in the current event loop."""

    def __init__(self) -> None:
        self.collection = ProxyCollection()
        self.api = ToxiproxyApi(self.collection)
        self.http = HttpServer(self.api.handle)
        self.host = ""
        self.port = 0

    async def start(self, host: str, port: int) -> int:
        """Listen for the API on one address (like Go, ``localhost`` binds 127.0.0.1 only)."""
        try:
            addr = await resolve_listen(format_addr(host, port) if host else f":{port}")
            sock = bind_listener(addr)
        except AddressError as exc:
            raise SystemExit(f"toxiproxy: cannot listen on {host}:{port}: {exc}") from None
        self.host = host
        self.port = await self.http.start(sock)
        return self.port

    async def load_config(self, path: Path) -> None:
        """Create the proxies of a populate file (``-config``); any error aborts startup."""
        response = await self.api.populate_json(path.read_bytes())
        if response.status != 201:
            raise SystemExit(f"toxiproxy: --config {path}: {response.body.decode(errors='replace')}")

    async def stop(self) -> None:
        await self.http.close()
        self.collection.shutdown()


async def serve(host: str, port: int, config: Path | None = None) -> None:
    """Run until SIGTERM/SIGINT."""
    server = ToxiproxyServer()
    if config is not None:
        await server.load_config(config)
    bound = await server.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    shown_host = f"[{host}]" if ":" in host else host
    print(f"{READY_LINE_PREFIX}{shown_host}:{bound}", flush=True)
    log.info("API %s listening on %s:%s", API_VERSION, host, bound)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await server.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chaos.toxiproxy.server",
                                     description="Embedded Toxiproxy-compatible server (API 2.12).")
    parser.add_argument("--host", "-host", default="localhost", help="API host (default: localhost)")
    parser.add_argument("--port", "-port", type=int, default=8474, help="API port, 0 = any free port")
    parser.add_argument("--config", "-config", type=Path, default=None,
                        help="JSON file of proxies to create at startup (as POST /populate)")
    parser.add_argument("--seed", "-seed", type=int, default=None, help="random seed (toxicity, jitter)")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.seed is not None:
        random.seed(args.seed)
    asyncio.run(serve(args.host, args.port, args.config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
