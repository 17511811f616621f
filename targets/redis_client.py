"""redis-py client settings from the profile (every one that changes fault behaviour, explicitly).

A setting whose value is ``LIBRARY_DEFAULT`` (chaos/library_default.py) is not passed at all: the library's own default applies
(for redis-py: no socket timeout, no keepalive). The profiles made to show what an unconfigured
deployment does use it (``*-library-defaults``), and the report shows the word, not a number."""

from __future__ import annotations

from chaos.library_default import is_library_default

_REDIS_KWARGS = {"socket_timeout_s": "socket_timeout", "socket_connect_timeout_s": "socket_connect_timeout",
                 "socket_keepalive": "socket_keepalive", "retry_on_timeout": "retry_on_timeout",
                 "health_check_interval_s": "health_check_interval"}


def given(options: dict) -> dict:
    """``options`` without the ones left at the library's default."""
    return {key: value for key, value in options.items() if not is_library_default(value)}


__all__ = ["given", "redis_kwargs"]


def redis_kwargs(client: dict) -> dict:
    """Keyword arguments for ``redis.Redis`` from a profile's ``redis_client`` table."""
    return given({kwarg: client[setting] for setting, kwarg in _REDIS_KWARGS.items()})
