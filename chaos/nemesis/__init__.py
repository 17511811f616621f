"""The nemesis: faults, one per module, registered by name in ``FAULTS``.

A fault strikes a deployment when its trigger (a ledger event of one task) is seen, then heals.
"""

from chaos.nemesis.bandwidth import Bandwidth
from chaos.nemesis.base import Fault
from chaos.nemesis.kill_beat import KillBeat
from chaos.nemesis.kill_child import KillChild
from chaos.nemesis.kill_broker import KillBroker
from chaos.nemesis.kill_producer import KillProducer
from chaos.nemesis.kill_worker import KillWorker
from chaos.nemesis.latency import Latency
from chaos.nemesis.limit_data import LimitData
from chaos.nemesis.memory_pressure import MEMORY_FAULTS
from chaos.nemesis.broker_down import BrokerDown
from chaos.nemesis.reset_peer import ResetPeer
from chaos.nemesis.slicer import Slicer
from chaos.nemesis.slow_close import SlowClose
from chaos.nemesis.restart_monitor import RestartMonitor
from chaos.nemesis.restart_broker import RestartBroker
from chaos.nemesis.pause_broker import PauseBroker
from chaos.nemesis.pause_worker import PauseWorker
from chaos.nemesis.rolling_deploy import RollingDeploy
from chaos.nemesis.stop_worker import STOP_WORKER_FAULTS
from chaos.nemesis.timeout import Timeout

FAULTS: dict[str, Fault] = {f.name: f for f in (
    KillWorker(), KillChild(), *STOP_WORKER_FAULTS, RollingDeploy(), PauseWorker(), RestartBroker(), KillBroker(), PauseBroker(),
    BrokerDown(), Latency(), ResetPeer(), Timeout(), Bandwidth(), LimitData(), Slicer(), SlowClose(),
    *MEMORY_FAULTS, RestartMonitor(), KillBeat(), KillProducer(),
)}
# Network faults hit in one of two phases; a cell names the phase: "<fault>-submit" (the whole
# workload is submitted inside the window) or "<fault>-run" (the window opens when the held task is
# running and lasts until it has returned, so its acknowledgement and result cross the fault).
PHASES = ("submit", "run")

__all__ = ["FAULTS", "PHASES", "Fault", "fault_labels"]


def fault_labels() -> list[str]:
    """Every fault as a cell names it: instantaneous faults by name, windowed ones with a phase."""
    labels = []
    for name, fault in FAULTS.items():
        labels += [f"{name}-{phase}" for phase in PHASES] if fault.window_s else [name]
    return labels
