"""All proxies of a server by name: create, replace (populate), delete, reset, shut down.

Toxiproxy's ``ProxyCollection``. Names are unique; a proxy is registered only once it started
(when asked to start), so a failed create leaves nothing behind. ``populate`` keeps an existing
proxy whose listen and upstream are unchanged (toxics and all) and replaces one that differs.
"""

from __future__ import annotations

from .errors import ERR_PROXY_ALREADY_EXISTS, ERR_PROXY_NOT_FOUND
from .proxy import Proxy

__all__ = ["ProxyCollection"]


class ProxyCollection:
    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise ERR_PROXY_NOT_FOUND
        return proxy

    def sorted(self) -> list[Proxy]:
        """Proxies by name (Go marshals a map with sorted keys)."""
        return [self.proxies[name] for name in sorted(self.proxies)]

    async def add(self, proxy: Proxy, start: bool) -> None:
        if proxy.name in self.proxies:
            raise ERR_PROXY_ALREADY_EXISTS
        if start:
            await proxy.start()
        self.proxies[proxy.name] = proxy

    async def add_or_replace(self, proxy: Proxy, start: bool) -> Proxy:
        """Register ``proxy`` unless an identical one exists; returns the registered proxy."""
        existing = self.proxies.get(proxy.name)
        if existing is not None:
            if existing.listen == proxy.listen and existing.upstream == proxy.upstream:
                return existing
            existing.stop()
        if start:
            await proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy

    def remove(self, name: str) -> None:
        proxy = self.get(name)
        proxy.stop()
        del self.proxies[name]

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic; stops at the first proxy that cannot start
        (a 500, as in Go)."""
        for proxy in self.sorted():
            await proxy.start()
            proxy.toxics.reset()

    def shutdown(self) -> None:
        for proxy in list(self.proxies.values()):
            proxy.stop()
