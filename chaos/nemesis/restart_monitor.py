"""Graceful restart of the backend's monitoring server (Flower, RQ Dashboard: SIGTERM, then start
and wait until it is ready again) while a task is held and others wait. Tells whether what the
monitor shows survives the monitor itself: state kept in its memory is gone, state read from Redis
is not."""

from chaos.backends import get_backend
from chaos.nemesis.base import Fault


class RestartMonitor(Fault):
    name = "restart-monitor"
    description = "stop the monitoring server gracefully (SIGTERM) while a task runs and others wait, then start it"
    role = "monitor"

    def not_applicable(self, profile) -> str | None:
        backend = get_backend(profile.backend)
        if not backend.capabilities["monitor"]:
            return f"{profile.name} has no monitoring server to restart (capabilities.monitor is empty in {backend.folder})"
        return super().not_applicable(profile)

    def strike(self, deployment, trigger) -> dict:
        monitor = deployment.server("monitor")
        where = monitor.describe()
        monitor.stop()
        return {"server": "monitor", "monitor": deployment.monitor.name, "signal": "SIGTERM", "pid": where["pid"],
                "driver": where["driver"]}

    def heal(self, deployment) -> dict:
        monitor = deployment.server("monitor")
        monitor.start()
        return {"server": "monitor", "action": "start", "pid": monitor.describe()["pid"]}
