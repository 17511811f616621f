"""A team's own FastAPI app, judged as it is served (``backend = "bgtasks"`` in a system description,
chaos/system.py).

``app`` names their app object, as their server command does (``uvicorn signup.main:app`` -> app =
"signup.main:app"). taskchaos serves that object with uvicorn, with their middleware, lifespan and
handlers as they are, and drives it through the contract router (targets/bgtasks/router.py): the one
they mounted, over their own machinery if they passed one, or, when they mounted none, the default
one (the request's ``BackgroundTasks``), mounted at ``/taskchaos`` and matched before their routes.

What the app object cannot tell is how it is served; the keys ``[system.options]`` takes:

    timeout_graceful_shutdown = 30   # uvicorn --timeout-graceful-shutdown, seconds

Left out, it is uvicorn's own default, read from uvicorn (``Config``): no limit, so a SIGTERM waits
for every running background task until the deploy's SIGKILL comes. Replaced: the address and port
(127.0.0.1, chosen at run time). There is no broker: the bodies run in the app's process.
"""

from __future__ import annotations

import inspect

from chaos.system import OptionError, their_object
from targets.contract import mounted_contract

KINDS = (None,)
MOUNT_PREFIX = "/taskchaos"
OPTIONS = {
    "timeout_graceful_shutdown": "uvicorn's --timeout-graceful-shutdown as your app is served with, seconds "
                                 "(left out: uvicorn's default, {default!r}: a SIGTERM waits for every running "
                                 "background task)",
}


class SystemAppError(ValueError):
    """Their app cannot be used as it is (the message says what to do)."""


def load_app(spec: str):
    """Their FastAPI app object, ``module:attribute``."""
    app = their_object(spec, SystemAppError, "as your server command names it "
                                             "(`uvicorn signup.main:app` -> app = \"signup.main:app\")")
    from fastapi import FastAPI

    if not isinstance(app, FastAPI):
        raise SystemAppError(f"app = {spec!r} is a {type(app).__module__}.{type(app).__qualname__}, not a FastAPI app "
                             f"(an app factory: name the app it returns)")
    return app


def mounted(app):
    """``app`` serving the contract: where they mounted it, else the default router at MOUNT_PREFIX,
    matched before their own routes (a catch-all of theirs would otherwise answer for it)."""
    if mounted_contract(app) is not None:
        return app
    from targets.bgtasks.router import taskchaos_router

    before = len(app.router.routes)
    app.include_router(taskchaos_router(), prefix=MOUNT_PREFIX)
    ours = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[:0] = ours
    return app


def _graceful(options: dict):
    from uvicorn import Config

    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise OptionError(unknown[0], f"options.{unknown[0]}: unknown; a FastAPI app takes {', '.join(OPTIONS)}")
    default = inspect.signature(Config).parameters["timeout_graceful_shutdown"].default
    value = options.get("timeout_graceful_shutdown", default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise OptionError("timeout_graceful_shutdown", f"options.timeout_graceful_shutdown = {value!r}: a whole number of "
                                                       f"seconds >= 0, as uvicorn's --timeout-graceful-shutdown")
    return value, default


def _names(functions) -> list[str]:
    return [f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', repr(f))}" for f in functions]


def _lifespans(context) -> list[str]:
    """Their lifespan functions (what runs at a deploy's SIGTERM, after the graceful wait), seen through
    the lifespans FastAPI merges when routers are included; the default one (on_shutdown) left out."""
    function = getattr(context, "__wrapped__", context)
    if getattr(function, "__qualname__", "").endswith("merged_lifespan") and function.__closure__:
        return [name for cell in function.__closure__ for name in _lifespans(cell.cell_contents)]
    if type(context).__name__ == "_DefaultLifespan" or not callable(context):
        return []
    return _names([function])


def read(spec: str, kind: str | None, options: dict) -> dict:
    """Their app as a profile of this backend has it, what was read, what is replaced."""
    if kind not in KINDS:
        raise SystemAppError(f"a FastAPI app's background tasks run in its own process: there is no broker to judge "
                             f"it on (leave broker out, not {kind!r})")
    graceful, default = _graceful(options)
    app = load_app(spec)
    found = mounted_contract(app)
    prefix = found[0] if found else MOUNT_PREFIX
    machinery = found[1].get("machinery", "?") if found else "fastapi.BackgroundTasks.add_task"
    as_read = {
        "app": f"{type(app).__module__}.{type(app).__qualname__}",
        "middleware": [f"{m.cls.__module__}.{m.cls.__qualname__}" for m in app.user_middleware],
        "lifespan": _lifespans(app.router.lifespan_context),
        "on_shutdown": _names(app.router.on_shutdown),
        "background machinery": machinery,
        "contract router": f"mounted by the app at {prefix or '/'}" if found else f"not mounted by the app (taskchaos "
                                                                                  f"mounts it at {MOUNT_PREFIX})",
        "timeout_graceful_shutdown": graceful,
    }
    settings = {
        "description": f"a team's own FastAPI app, {spec}, as it is served",
        "retries": 0,
        "retry_countdown_s": 0,
        "recovery_window_s": 0,  # nothing recovers a body that died with the process
        "uvicorn_graceful_timeout_s": graceful,  # None: uvicorn's default, no limit
        "contract_prefix": prefix,
    }
    replaced = {"address": "uvicorn serves the app on 127.0.0.1 at a port the harness chooses"}
    if not found:
        replaced["routes"] = (f"the contract router (targets/bgtasks/router.py) mounted at {MOUNT_PREFIX}, ahead of "
                              f"the app's own routes, which are left as they are")
    return {"settings": settings, "as_read": as_read, "replaced": replaced,
            "options": {key: what.format(default=default) for key, what in OPTIONS.items()}}


__all__ = ["KINDS", "MOUNT_PREFIX", "SystemAppError", "load_app", "mounted", "read"]
