"""Connection resets: every Redis connection is reset (TCP RST) as soon as data flows, for the window."""

from chaos.nemesis.network import RESULT_RETRIES_WINDOW_S, ToxicFault


class ResetPeer(ToxicFault):
    name = "reset-peer"
    description = "Redis connections reset by peer"
    toxic_type = "reset_peer"
    stream = "upstream"
    attributes = {"timeout": 0}  # milliseconds before the reset
    window_s = RESULT_RETRIES_WINDOW_S
