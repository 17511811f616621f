"""Monitors: each backend's own monitoring server, registered by the backend it watches.

A backend with no entry here has no monitor (FastAPI BackgroundTasks has none to run); the reading
then records that, and the monitoring claim judges it from the history.
"""

from chaos.monitor.base import Launch, Monitor, MonitorError, Reading
from chaos.monitor.flower import Flower
from chaos.monitor.rq_dashboard import RQDashboard

MONITORS: dict[str, Monitor] = {m.backend: m for m in (Flower(), RQDashboard())}

__all__ = ["MONITORS", "Launch", "Monitor", "MonitorError", "Reading"]
