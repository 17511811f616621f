"""BackgroundTasks target: ``bg.add_task`` as in the seed; the body runs in this process after the
response has been sent. There is no status or cancel API: those routes answer 501.

A team's own FastAPI app (a profile with ``system``, targets/bgtasks/system.py): their app, served as
it is, with the contract router of targets/bgtasks/router.py where they mounted it, or mounted here at
``/taskchaos`` when they did not."""

from __future__ import annotations

from targets.body import settings_from_env
from targets.bgtasks.router import BackgroundTasksAdapter
from targets.contract import build_app

SYSTEM = settings_from_env().get("system")
if SYSTEM:
    from targets.bgtasks.system import load_app, mounted

    app = mounted(load_app(SYSTEM["app"]))
else:
    app = build_app(BackgroundTasksAdapter(), submit_uses_background=True)
