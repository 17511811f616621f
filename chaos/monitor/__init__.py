"""Monitors: each backend's own monitoring server. The interface lives here (chaos/monitor/base.py)
and the reading in observe.py; each monitor lives in its backend's folder, named by the
description's ``capabilities.monitor`` (chaos/backends.py).

A backend with no monitor (FastAPI BackgroundTasks has none to run) says so in its description; the
reading then records that, and the monitoring claim judges it from the history.
"""

from chaos.monitor.base import Launch, Monitor, MonitorError, Reading

__all__ = ["Launch", "Monitor", "MonitorError", "Reading"]
