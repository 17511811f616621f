"""Free ports on 127.0.0.1, chosen at run time.

A port is chosen at random *below* the kernel's ephemeral range (``net.ipv4.ip_local_port_range``)
and checked free by binding it. Asking the kernel for port 0 instead hands out a port from the
ephemeral range, which every outgoing connection on the machine also draws from: between the check
and the server's own bind, a client socket (of this run, or of another run beside it) can take it,
and the server dies with "address already in use" — seen with 6 cells in parallel. Below that range
only servers that choose their port the same way compete, and a random pick among thousands, checked,
makes a collision very unlikely.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Not the global ``random``: Hypothesis seeds it the same way in every test process (and xdist
# runs several), so each would pick the same "random" ports.
_RNG = random.SystemRandom()
LOWEST = 10000
ATTEMPTS = 200


def _ephemeral_start() -> int:
    try:
        return int(RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    top = _ephemeral_start() - 1
    if top - LOWEST < 1000:  # an unusual range: fall back to the kernel's choice
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    for _ in range(ATTEMPTS):
        port = _RNG.randint(LOWEST, top)
        if _bindable(port):
            return port
    raise OSError(f"no free port on 127.0.0.1 between {LOWEST} and {top} after {ATTEMPTS} tries")
