"""The Toxiproxy proxy in front of the broker: every client of the broker (target app, workers,
monitor) connects to it, never to the broker directly, so network faults hurt all of them. Toxiproxy
proxies any TCP, so the broker's kind (Redis, RabbitMQ's AMQP) does not matter here.

The Toxiproxy server is a real one when ``TOXIPROXY_URL`` is set or ``toxiproxy-server`` is on PATH,
the embedded one otherwise (``chaos.toxiproxy.select``); the report names the flavour. A proxy is
named per deployment, so several deployments can share one real server.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from chaos.infra.base import InfraError
from chaos.toxiproxy.client import ToxiproxyApiError, ToxiproxyClient
from chaos.toxiproxy.select import ToxiproxyHandle, ToxiproxyUnavailable, select_toxiproxy

_COUNTER = itertools.count(1)


class BrokerProxy:
    def __init__(self, *, listen_port: int, upstream_port: int, log_path: Path):
        self.listen_port = listen_port
        self.upstream_port = upstream_port
        self.log_path = log_path
        self.proxy = f"taskchaos-broker-{os.getpid()}-{next(_COUNTER)}"
        self.handle: ToxiproxyHandle | None = None
        self.client: ToxiproxyClient | None = None

    @property
    def flavour(self) -> str | None:
        return self.handle.flavour if self.handle else None

    def start(self) -> None:
        try:
            self.handle = select_toxiproxy(log_path=self.log_path)
        except (ToxiproxyUnavailable, RuntimeError) as exc:
            raise InfraError(f"cannot start Toxiproxy: {exc}") from exc
        self.client = ToxiproxyClient(self.handle.url)
        try:
            self.client.create_proxy(self.proxy, upstream=f"127.0.0.1:{self.upstream_port}",
                                     listen=f"127.0.0.1:{self.listen_port}")
        except ToxiproxyApiError as exc:
            flavour, url = self.handle.flavour, self.handle.url  # before stop() lets go of the handle
            self.stop()
            raise InfraError(f"Toxiproxy ({flavour}, {url}) refused the broker's proxy on "
                             f"127.0.0.1:{self.listen_port}: {exc}; see {self.log_path}") from exc

    def retarget(self, upstream_port: int) -> None:
        """Point the proxy at the broker on another port (it had to start again on a new one)."""
        self.upstream_port = upstream_port
        if self.client is not None:
            self.client.update_proxy(self.proxy, upstream=f"127.0.0.1:{upstream_port}")

    def stop(self) -> None:
        if self.client is not None:
            try:
                self.client.delete_proxy(self.proxy)
            except Exception:  # a stopped or shared server: the proxy goes with it, or is not ours to keep
                pass
            self.client = None
        if self.handle is not None:
            self.handle.stop()
            self.handle = None

    def heal(self) -> list[str]:
        """Enable the proxy and remove every toxic on it (ours alone: a shared server keeps others')."""
        actions = []
        if self.client is None:
            return actions
        info = self.client.get_proxy(self.proxy)
        if not info.enabled:
            self.client.enable(self.proxy)
            actions.append(f"enabled proxy {self.proxy}")
        for toxic in self.client.toxics(self.proxy):
            self.client.remove_toxic(self.proxy, toxic.name)
            actions.append(f"removed toxic {toxic.name} from {self.proxy}")
        return actions

    def describe(self) -> dict:
        return {"flavour": self.flavour, "url": self.handle.url if self.handle else None, "proxy": self.proxy,
                "listen": f"127.0.0.1:{self.listen_port}", "upstream": f"127.0.0.1:{self.upstream_port}",
                "pid": self.handle.process.pid if self.handle and self.handle.process else None,
                "log": str(self.log_path)}
