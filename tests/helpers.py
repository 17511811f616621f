"""Helpers shared by the harness's own tests: hand-made histories and ledgers."""

from __future__ import annotations

import time

from chaos.records.history import History, Op
from chaos.records.ledger import LedgerRecord, LedgerSnapshot


class Script:
    """Builds a history and a ledger by hand, with explicit monotonic times."""

    def __init__(self):
        self.history = History()
        self.records: list[LedgerRecord] = []

    def op(self, kind, type, key=None, t=0.0, **data):
        self.history.ops.append(Op(kind, type, key, t, t, data))
        return self

    def submit(self, key, result="ok", t=0.0):
        self.op("submit", "invoke", key, t)
        if result == "ok":
            self.op("submit", "ok", key, t + 0.01, id=f"id-{key}")
        elif result in ("fail", "info"):
            self.op("submit", result, key, t + 0.01, error="x")
        return self  # result None: no completion recorded at all

    def status(self, key, state, supported=True, t=100.0):
        return self.op("status", "ok", key, t, final=True, supported=supported, state=state, raw_state=state)

    def fault(self, start, end, name="kill-worker", role="executor"):
        self.op("fault", "start", None, start, id=f"f{start}", name=name, role=role)
        return self.op("fault", "end", None, end, id=f"f{start}", name=name)

    def ran(self, key, attempt, events, t, pid=100, step=0.1, executor=None):
        """``executor``: the server the ``started`` record names (as the task body writes it)."""
        for i, event in enumerate(events):
            detail = {"executor": executor} if event == "started" and executor else {}
            self.records.append(LedgerRecord(key, f"id-{key}", attempt, event, pid, "test", t + i * step,
                                             t + i * step, detail))
        return self

    def ledger(self, torn=0) -> LedgerSnapshot:
        return LedgerSnapshot(sorted(self.records, key=lambda r: r.mono), torn)


def wait_for(predicate, deadline_s=20.0):
    """Poll ``predicate`` until it returns something true (returned), or fail after the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def redis_clients(dep) -> list[dict]:
    """The clients of a deployment's Redis, asked on its own port (behind the proxy), without ours."""
    import redis

    port = int(dep.toxiproxy.describe()["upstream"].rsplit(":", 1)[1])
    with redis.Redis(port=port, socket_timeout=2) as direct:
        me = direct.client_id()
        return [c for c in direct.client_list() if int(c["id"]) != me]


def a_worker_waits_in_a_blocking_pop(dep) -> bool:
    """Redis flags a client blocked in BLPOP/BRPOP with ``b``: a worker between tasks, waiting.

    Cut a worker's Redis only then when the test means "the worker reconnects": RQ 3.0 retries a
    refused connection inside ``dequeue_job_and_maintain_ttl`` but quits on the same error from
    ``monitor_work_horse``, ``check_for_suspension`` or the heartbeat after a job (rq/worker/base.py
    ``work``), so a cut between two tasks would leave the outcome to timing."""
    return any("b" in c["flags"] for c in redis_clients(dep))


def interruptible() -> None:
    """``preexec_fn`` for a child that the test stops with SIGINT, as Ctrl-C would: a shell without job
    control starts background commands with SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler; a terminal's Ctrl-C reaches a process whose SIGINT is not ignored."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
