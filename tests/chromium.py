"""Headless Chromium (Debian's ``chromium`` package) for the report's browser test: dump a page's DOM
and take a screenshot, with a deadline. Chromium runs in its own session; on timeout it is killed by
its own process group id (= its pid), never by name."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

PACKAGE = "chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run")
DEADLINE_S = 90.0


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(args: list[str], url: str, deadline_s: float = DEADLINE_S) -> subprocess.CompletedProcess:
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError(f"Chromium is not installed: install the Debian package {PACKAGE} (apt-get install {PACKAGE})")
    with tempfile.TemporaryDirectory(prefix="taskchaos-chromium-") as profile:
        argv = [binary, *FLAGS, f"--user-data-dir={profile}", *args, url]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group id is its pid
            out, err = proc.communicate(timeout=10)
            raise TimeoutError(f"chromium (pid {proc.pid}) did not finish {args} within {deadline_s:.0f} s: killed; "
                               f"stderr: {err.decode(errors='replace')[-2000:]}") from None
    return subprocess.CompletedProcess(argv, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


def dump_dom(page: Path) -> str:
    result = run_chromium(["--dump-dom"], page.resolve().as_uri())
    if result.returncode != 0 or "<html" not in result.stdout:
        raise RuntimeError(f"chromium --dump-dom {page} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def screenshot(page: Path, png: Path, size: str = "1400,1800") -> Path:
    result = run_chromium([f"--screenshot={png.resolve()}", f"--window-size={size}", "--hide-scrollbars"], page.resolve().as_uri())
    if result.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium --screenshot {page} failed ({result.returncode}): {result.stderr[-2000:]}")
    return png
