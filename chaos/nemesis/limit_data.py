"""limit_data: each Redis connection is closed after 256 bytes more from the client, for the window."""

from chaos.nemesis.network import RESULT_RETRIES_WINDOW_S, ToxicFault


class LimitData(ToxicFault):
    name = "limit-data"
    description = "Redis connections closed after 256 bytes"
    toxic_type = "limit_data"
    stream = "upstream"
    attributes = {"bytes": 256}
    window_s = RESULT_RETRIES_WINDOW_S
