"""Infra drivers: how servers are run and hurt.

A driver (``base.InfraDriver``) makes :class:`base.Server` objects — Redis, the target app, the
workers — that the nemesis can stop, kill, pause, resume and restart. ``process`` (local processes
and signals) is the default; ``docker`` runs Redis in a container through the Docker Engine API
(``chaos/infra/docker.py``). Drivers are registered by name in ``DRIVERS`` and imported only when
chosen, so the process driver never loads the Docker SDK.
"""

import importlib

from chaos.infra.base import InfraDriver, InfraError, Server

DRIVERS: dict[str, str] = {"process": "chaos.infra.process:ProcessDriver", "docker": "chaos.infra.docker:DockerDriver"}


def get_driver(name: str) -> InfraDriver:
    try:
        module, _, cls = DRIVERS[name].partition(":")
    except KeyError:
        raise InfraError(f"unknown infra driver {name!r}; available: {', '.join(DRIVERS)}") from None
    return getattr(importlib.import_module(module), cls)()


def unavailable(name: str) -> str | None:
    """Why driver ``name`` cannot run on this machine (None: it can)."""
    if name == "docker":
        from chaos.infra.docker import daemon_unavailable

        return daemon_unavailable()
    return None


def stop_everything() -> None:
    """Stop every server and container this process started (teardown, Ctrl-C, exit)."""
    from chaos.infra.process import stop_all

    stop_all()
    import sys

    if "chaos.infra.docker" in sys.modules:  # only a run that used the docker driver has containers
        sys.modules["chaos.infra.docker"].remove_all()


__all__ = ["DRIVERS", "InfraDriver", "InfraError", "Server", "get_driver", "stop_everything", "unavailable"]
