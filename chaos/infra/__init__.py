"""Infra drivers: how servers are run and hurt.

A driver (``base.InfraDriver``) makes :class:`base.Server` objects — Redis, the target app, the
workers — that the nemesis can stop, kill, pause, resume and restart. ``process`` (local processes
and signals) is the default. Drivers are registered by name in ``DRIVERS``.
"""

from chaos.infra.base import InfraDriver, InfraError, Server
from chaos.infra.process import ProcessDriver

DRIVERS: dict[str, type[InfraDriver]] = {"process": ProcessDriver}


def get_driver(name: str) -> InfraDriver:
    try:
        return DRIVERS[name]()
    except KeyError:
        raise InfraError(f"unknown infra driver {name!r}; available: {', '.join(DRIVERS)}") from None


__all__ = ["DRIVERS", "InfraDriver", "InfraError", "Server", "get_driver"]
