"""The nemesis: faults, one per module, registered by name in ``FAULTS``.

A fault strikes a deployment when its trigger (a ledger event of one task) is seen, then heals.
"""

from chaos.nemesis.base import Fault
from chaos.nemesis.kill_child import KillChild
from chaos.nemesis.kill_redis import KillRedis
from chaos.nemesis.kill_worker import KillWorker
from chaos.nemesis.restart_redis import RestartRedis

FAULTS: dict[str, Fault] = {f.name: f for f in (KillWorker(), KillChild(), RestartRedis(), KillRedis())}

__all__ = ["FAULTS", "Fault"]
