"""Which Toxiproxy a run uses: a real one if there is one, else the embedded server.

1. ``TOXIPROXY_URL`` set → that server (flavour ``real-url``); it must answer ``GET /version``
   now, or :class:`ToxiproxyUnavailable` is raised — no silent fallback to another flavour.
2. else ``toxiproxy-server`` on ``PATH`` → started as a child process (``real-binary``).
3. else the embedded server as a child process (``embedded``).

``select_toxiproxy()`` returns a :class:`ToxiproxyHandle` with ``.url``, ``.flavour`` and
``.stop()`` (which stops a child we started and leaves a ``TOXIPROXY_URL`` server alone).

(This module shadows the stdlib ``select`` only for code run *from this directory* as a script;
run the server with ``python -m chaos.toxiproxy.server``, never ``python server.py``.)
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .process import ToxiproxyProcess, probe_version, start_binary, start_embedded

__all__ = ["FLAVOURS", "ToxiproxyHandle", "ToxiproxyUnavailable", "select_toxiproxy"]

FLAVOURS = ("real-url", "real-binary", "embedded")


class ToxiproxyUnavailable(RuntimeError):
    """``TOXIPROXY_URL`` names a server that does not answer."""


@dataclass
class ToxiproxyHandle:
    """The Toxiproxy a run talks to."""

    url: str
    flavour: str
    process: ToxiproxyProcess | None = None

    @property
    def log_path(self) -> Path | None:
        return self.process.log_path if self.process is not None else None

    def stop(self) -> None:
        """Stop the server if we started it (a ``TOXIPROXY_URL`` server is not ours to stop)."""
        if self.process is not None:
            self.process.stop()


def select_toxiproxy(log_path: Path | None = None, env: Mapping[str, str] | None = None,
                     startup_timeout_s: float = 20.0) -> ToxiproxyHandle:
    """Pick and (if needed) start a Toxiproxy; see the module docstring for the order."""
    env = os.environ if env is None else env
    url = env.get("TOXIPROXY_URL", "").strip()
    if url:
        url = url.rstrip("/")
        if probe_version(url, timeout_s=min(startup_timeout_s, 5.0)) is None:
            raise ToxiproxyUnavailable(f"TOXIPROXY_URL={url} does not answer GET /version; start that "
                                       "server or unset TOXIPROXY_URL to use another flavour")
        return ToxiproxyHandle(url, "real-url")
    binary = shutil.which("toxiproxy-server", path=env.get("PATH"))
    if binary:
        process = start_binary(binary, log_path=log_path, startup_timeout_s=startup_timeout_s)
        return ToxiproxyHandle(process.url, "real-binary", process)
    process = start_embedded(log_path=log_path, startup_timeout_s=startup_timeout_s)
    return ToxiproxyHandle(process.url, "embedded", process)
