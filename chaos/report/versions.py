"""The versions a verdict depends on: the servers (Redis), every backend's packages (its description's
``packages``), the harness's own (FastAPI, uvicorn, Hypothesis...), Python."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess

from chaos.backends import backends

HARNESS_PACKAGES = ("taskchaos", "redis", "fastapi", "starlette", "uvicorn", "httpx", "hypothesis", "pytest")


def packages() -> list[str]:
    """Every backend's packages, then the harness's, each once."""
    names = [name for backend in backends().values() for name in backend.packages] + list(HARNESS_PACKAGES)
    return list(dict.fromkeys(names))


def redis_server_version() -> str:
    from chaos.infra.process import find_redis_server

    try:
        out = subprocess.run([find_redis_server(), "--version"], capture_output=True, text=True, timeout=10).stdout
    except Exception as exc:  # reported, not fatal: the run itself says whether Redis was needed
        return f"unavailable ({exc})"
    for part in out.split():
        if part.startswith("v="):
            return part[2:]
    return out.strip()


def versions() -> dict:
    found = {"python": platform.python_version(), "redis-server": redis_server_version()}
    for name in packages():
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_revision(cwd) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=cwd, capture_output=True, text=True, timeout=10)
    except OSError:
        return "unknown"
    rev = out.stdout.strip() or "unknown"
    return rev + ("+dirty" if dirty.stdout.strip() else "")
