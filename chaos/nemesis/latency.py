"""A latency spike on every Redis reply: 1000 ms ± 250 ms jitter, for the window."""

from chaos.nemesis.network import ToxicFault


class Latency(ToxicFault):
    name = "latency"
    description = "Redis replies delayed by 1000 ms (jitter 250 ms)"
    toxic_type = "latency"
    attributes = {"latency": 1000, "jitter": 250}  # milliseconds
