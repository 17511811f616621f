"""redis-py client settings from the profile (every one that changes fault behaviour, explicitly)."""

from __future__ import annotations


def redis_kwargs(client: dict) -> dict:
    """Keyword arguments for ``redis.Redis`` from a profile's ``redis_client`` table."""
    return {
        "socket_timeout": client["socket_timeout_s"],
        "socket_connect_timeout": client["socket_connect_timeout_s"],
        "socket_keepalive": client["socket_keepalive"],
        "retry_on_timeout": client["retry_on_timeout"],
        "health_check_interval": client["health_check_interval_s"],
    }
