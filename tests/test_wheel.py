"""taskchaos as a team installs it: the wheel (``uv build``) installed into each example project's own
fresh environment, beside its own Celery or RQ (pinned to uv.lock, so that the verdict is about the
versions this repository records), and ``taskchaos run --system taskchaos.toml`` run from the
example's folder on one cell (the FastAPI example's app mounts the contract router from the installed
package, ``targets.bgtasks.router``). Nothing of this checkout is on the path: the cells, the probe task and the targets come
from the installed package, and the run judges the example's own settings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH: ./run installs it (pip install uv)")
    return uv


def _run(argv, *, cwd, env=None, timeout=600) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, argv))} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def _outside_env(venv: Path) -> dict:
    """The environment a team's shell has: its own virtualenv first on PATH, nothing of ours."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT", "PYTEST_ADDOPTS")
           and not k.startswith(("PYTEST_XDIST", "TASKCHAOS_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run([_uv(), "build", "--wheel", "--out-dir", str(dist)], cwd=REPO)
    return next(dist.glob("taskchaos-*.whl"))


@pytest.fixture(scope="module", params=["celery-project", "rq-project", "fastapi-project"])
def installed(request, tmp_path_factory, wheel):
    """An example copied to a folder of its own, with the wheel and the example's dependencies
    installed into its own virtualenv."""
    uv = _uv()
    root = tmp_path_factory.mktemp("wheel")
    project = root / request.param
    shutil.copytree(EXAMPLES / request.param, project, ignore=shutil.ignore_patterns(".venv", "reports", "__pycache__"))
    pins = root / "pins.txt"  # the versions uv.lock records, as constraints: the same Celery, kombu, redis...
    pins.write_text(_run([uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header"], cwd=REPO).stdout)
    venv = project / ".venv"
    _run([uv, "venv", "--python", sys.executable, str(venv)], cwd=project)
    _run([uv, "pip", "install", "--python", str(venv / "bin" / "python"), "-c", str(pins), str(wheel),
          "-r", "pyproject.toml"], cwd=project)
    return project, venv


def test_the_installed_package_holds_the_cells_the_probe_and_the_router(installed):
    project, venv = installed
    out = _run([str(venv / "bin" / "python"), "-c",
                "import importlib.util, chaos, targets.contract, chaos.cell_modules as m; "
                "print(chaos.__file__); print(targets.contract.__file__); "
                "print(importlib.util.find_spec('targets.celery.tasks').origin); print(m.cells_dir())"],
               cwd=project, env=_outside_env(venv)).stdout.split()
    site = venv / "lib"
    assert all(Path(p).is_relative_to(site) for p in out), out
    assert Path(out[3]).name == "taskchaos_cells" and (Path(out[3]) / "test_persistence.py").is_file()


def test_taskchaos_run_from_the_example_judges_its_own_settings(installed):
    project, venv = installed
    if project.name == "celery-project":
        cell, selection, judging = ("persistence/kill-worker/shop@aof-everysec", "test_persistence_under_executor_faults "
                                    "and kill-worker", "shop@aof-everysec (shop.celery:app)")
    elif project.name == "rq-project":
        cell, selection, judging = ("persistence/kill-child/mailer@aof-everysec", "test_persistence_under_executor_faults "
                                    "and kill-child", "mailer@aof-everysec (mailer.rq_settings)")
    else:
        cell, selection, judging = ("persistence/kill-producer/signup@aof-everysec", "test_persistence_under_executor_faults "
                                    "and kill-producer", "signup@aof-everysec (signup.main:app)")
    done = _run([str(venv / "bin" / "taskchaos"), "run", "--system", "taskchaos.toml", "--budget", "quick",
                 "--workers", "1", "--no-progress", "-k", selection], cwd=project, env=_outside_env(venv), timeout=900)
    assert f"taskchaos run: judging {judging}" in done.stdout, done.stdout
    report = json.loads(next((project / "reports").glob("*/report.json")).read_text())
    [judged] = [c for c in report["cells"] if c["cell"] == cell]
    assert report["versions"]["taskchaos"] == "0.1.0"
    assert not list((venv / "lib").rglob("reports")), "a run wrote inside site-packages"
    if project.name == "celery-project":
        # the example's expectation (its taskchaos-expectations.toml): its acks_late with kombu's hour-long
        # visibility timeout loses the killed worker's tasks within its 20 s recovery window
        assert judged["verdict"]["verdict"] == "violated", judged["verdict"]
        profile = report["profiles"]["shop"]
        assert profile["system"]["app"] == "shop.celery:app"
        assert profile["system"]["as_read"]["task_acks_late"] is True
        assert profile["settings"]["visibility_timeout_s"] == 3600  # kombu's default, read from their app
        assert report["versions"]["celery"] not in ("", "not installed")
    elif project.name == "rq-project":
        # the mailer's RETRY re-enqueues the job whose work horse was killed: ran twice, nothing lost
        assert judged["verdict"]["verdict"] == "holds", judged["verdict"]
        assert judged["verdict"]["result"]["counts"].get("retried") == 1, judged["verdict"]
        profile = report["profiles"]["mailer"]
        assert profile["system"]["as_read"]["QUEUES"] == ["high", "default", "low"]
        assert profile["system"]["as_read"]["RETRY"] == "Retry(max=3, interval=[1, 2, 4])"
        assert report["versions"]["rq"] not in ("", "not installed")
    else:
        # the app killed while t0's answer is held: its mail pool had started t0, the client submitted it
        # again, and it ran to success on the restarted app (examples/fastapi-project's expectations)
        assert judged["verdict"]["verdict"] == "holds", judged["verdict"]
        assert judged["verdict"]["result"]["counts"].get("retried") == 1, judged["verdict"]
        profile = report["profiles"]["signup"]
        assert profile["system"]["app"] == "signup.main:app"
        assert profile["system"]["as_read"]["contract router"] == "mounted by the app at /_chaos"
        assert "submit" in profile["system"]["as_read"]["background machinery"]  # its pool's, not BackgroundTasks
        assert report["versions"]["fastapi"] not in ("", "not installed")
