"""``taskchaos run`` on a terminal: pytest runs as a child process (its output, xdist's included,
passes through line by line, untouched), and below it a live line with ``rich`` says how far the run
is (chaos.report.progress, read from the run directory the cells write).

On Ctrl-C (which the terminal sends to pytest too) or SIGTERM (passed on as SIGINT), pytest stops
every server it started in its session finish; it has STOP_DEADLINE_S to end before it is killed by
its pid.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

STOP_DEADLINE_S = 60.0


def _reader(stream, lines: "queue.Queue[str | None]") -> None:
    for raw in iter(stream.readline, b""):
        lines.put(raw.decode("utf-8", "replace"))
    lines.put(None)


def run_with_progress(pytest_argv: list[str], run_dir: Path, claims: list[str]) -> int:
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from chaos.report.progress import RunWatcher, progress_line

    console = Console()
    env = dict(os.environ, COLUMNS=str(shutil.get_terminal_size().columns), PYTHONUNBUFFERED="1")
    child = subprocess.Popen([sys.executable, "-m", "pytest", *pytest_argv, "--color=yes"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(child.stdout, lines), daemon=True).start()
    watcher = RunWatcher(run_dir)
    started = time.monotonic()
    stop_by: float | None = None
    eof = False
    with Live(Text(""), console=console, refresh_per_second=4, transient=True, redirect_stdout=False,
              redirect_stderr=False) as live:
        while not eof:
            try:
                try:
                    line = lines.get(timeout=0.25)
                    while line is not None:
                        live.console.print(Text.from_ansi(line.rstrip("\n")), soft_wrap=True)
                        line = lines.get_nowait()
                    eof = True
                except queue.Empty:
                    pass
                live.update(Text(progress_line(watcher.snapshot(), claims, time.monotonic() - started), style="bold cyan",
                                 no_wrap=True, overflow="ellipsis"))
                if stop_by is not None and time.monotonic() > stop_by and child.poll() is None:
                    live.console.print(f"taskchaos: pytest (pid {child.pid}) did not stop within {STOP_DEADLINE_S:.0f} s: killing it")
                    child.kill()
            except KeyboardInterrupt as exc:
                if stop_by is None and child.poll() is None:
                    live.console.print("taskchaos: interrupted; pytest stops its servers and finishes")
                    if exc.args:  # SIGTERM to us (chaos.cli): pass it on; a Ctrl-C reached pytest from the terminal
                        child.send_signal(signal.SIGINT)
                    stop_by = time.monotonic() + STOP_DEADLINE_S
    try:
        return child.wait(timeout=STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait(timeout=10)
