"""Stalled connections: Redis requests are held and never answered while the toxic is there
(Toxiproxy's timeout toxic with timeout 0). The window outlasts the profiles' socket_timeout_s, so
clients see their own timeouts."""

from chaos.nemesis.network import ToxicFault


class Timeout(ToxicFault):
    name = "timeout"
    description = "Redis requests stall, unanswered, for longer than the clients' socket timeout"
    toxic_type = "timeout"
    stream = "upstream"
    attributes = {"timeout": 0}  # milliseconds; 0 = hold data until the toxic is removed
    window_s = 6.0
