"""Who listens on a TCP port of 127.0.0.1: the pids, read from /proc (``net/tcp``, ``net/tcp6`` and
every process's ``fd/``).

A port is chosen free before its server binds it (chaos/infra/ports.py), and any process on the
machine can take it in between. Then the server either dies with "address already in use", or — worse
— its readiness probe passes against the squatter (another run's Redis answers PING as well as ours).
So a deployment checks, once a server is ready, that the listener on its port is one of the server's
own processes (``Server.listens_on``), and starts it again on another port when it is not
(chaos/infra/deployment.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's "st" column
# redis-server, uvicorn, Tornado, Werkzeug say "address already in use"; Erlang EADDRINUSE, and a
# RabbitMQ node whose distribution port is taken dist_port_already_used.
BIND_FAILURE = re.compile(r"address already in use|EADDRINUSE|dist_port_already_used", re.IGNORECASE)


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def listener_pids(port: int) -> set[int]:
    """The pids holding a listening socket on ``port`` (any local address). Processes whose ``fd/``
    this user cannot read are not seen."""
    inodes = _listening_inodes(port)
    if not inodes:
        return set()
    wanted = {f"socket:[{inode}]" for inode in inodes}
    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") in wanted:
                    pids.add(int(entry))
                    break
            except OSError:
                continue
    return pids


def bind_failed(log_text: str) -> bool:
    """Whether a server's log says it could not bind its address (redis-server, uvicorn, Tornado,
    Werkzeug and Erlang all say "address already in use" or EADDRINUSE)."""
    return bool(BIND_FAILURE.search(log_text))
