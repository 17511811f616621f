"""Bandwidth starvation: Redis replies trickle at 1 KB/s for the window."""

from chaos.nemesis.network import ToxicFault


class Bandwidth(ToxicFault):
    name = "bandwidth"
    description = "Redis replies limited to 1 KB/s"
    toxic_type = "bandwidth"
    attributes = {"rate": 1}  # KB/s
