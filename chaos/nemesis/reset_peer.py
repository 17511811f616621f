"""Connection resets: every Redis connection is reset (TCP RST) as soon as data flows, for the window."""

from chaos.nemesis.network import ToxicFault


class ResetPeer(ToxicFault):
    name = "reset-peer"
    description = "Redis connections reset by peer"
    toxic_type = "reset_peer"
    stream = "upstream"
    attributes = {"timeout": 0}  # milliseconds before the reset
