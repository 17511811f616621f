"""slow-close: for the window, every broker connection is cut on the broker's side as soon as its
client next speaks, and the close reaches the client only 3 s later — a path that drops connections
without telling at once (a load balancer draining, a NAT table flushed, a peer gone half-open).

Toxiproxy's ``slow_close`` only delays a close something else makes: alone, on connections that stay
open, it changes nothing. So the fault adds two toxics: ``limit_data`` of 0 bytes on the requests
(the connection to the broker is closed at the client's first byte, which never arrives) and
``slow_close`` on the replies (the client learns of that close 3 s later). Until then its request is
unanswered; a client with a socket timeout under 3 s gives up first, one without one waits the 3 s.
Each reconnection inside the window meets the same. It lasts as long as the faults that close
connections (RESULT_RETRIES_WINDOW_S), for the same reason: t0's result and ack, sent behind it,
decide the cell."""

from chaos.nemesis.network import RESULT_RETRIES_WINDOW_S, ToxicFault

CLOSE_DELAY_MS = 3000
CUT = {"bytes": 0}  # limit_data: the request stream closed before its first byte is passed on


class SlowClose(ToxicFault):
    name = "slow-close"
    description = (f"broker connections cut as their client next speaks; the close reaches the client "
                   f"{CLOSE_DELAY_MS / 1000:g} s later")
    toxic_type = "slow_close"
    stream = "downstream"
    attributes = {"delay": CLOSE_DELAY_MS}  # milliseconds
    window_s = RESULT_RETRIES_WINDOW_S

    @property
    def cut_name(self) -> str:
        return f"{self.toxic_name}-cut"

    def strike(self, deployment, trigger) -> dict:
        struck = super().strike(deployment, trigger)  # the slow close first, so that every cut closes late
        toxiproxy = deployment.toxiproxy
        toxiproxy.client.add_toxic(toxiproxy.proxy, "limit_data", dict(CUT), stream="upstream", name=self.cut_name)
        struck["cut"] = {"toxic": self.cut_name, "type": "limit_data", "stream": "upstream", "attributes": dict(CUT)}
        return struck

    def heal(self, deployment) -> dict:
        toxiproxy = deployment.toxiproxy
        toxiproxy.client.remove_toxic(toxiproxy.proxy, self.cut_name)  # stop cutting, then let closes through at once
        healed = super().heal(deployment)
        healed["removed"] = [self.cut_name, healed["removed"]]
        return healed
